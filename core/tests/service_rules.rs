//! The client against the service as Microsoft's recorded answers show it (the emulator's
//! `recorded` preset) and against the earlier reading (`learn`): the `Source` key, list answers,
//! roles the service refuses, roles only with source cloud, and what each change sends.

mod common;

use common::*;
use graph_emulator::{NotSetRoles, OnPremisesRoles, Profile, ReadShape};
use photo_policy_core::document::PolicyDocument;
use photo_policy_core::export::{self, ExportOptions};
use photo_policy_core::plan::{ChangeRequest, ResetMethod};
use photo_policy_core::ErrorKind;
use serde_json::{json, Value};

fn change(v: Value) -> ChangeRequest {
    ChangeRequest::from_json(&v.to_string()).unwrap()
}

/// Every profile that changes what the client must do about casing, roles and sources.
fn profiles() -> Vec<(&'static str, Profile)> {
    vec![
        ("recorded", Profile::recorded()),
        (
            "recorded, roles cleared only with null",
            Profile {
                on_premises_roles: OnPremisesRoles::NullOnly,
                ..Profile::recorded()
            },
        ),
        (
            "recorded, roles accepted with source not set",
            Profile {
                not_set_roles: NotSetRoles::Accepted,
                ..Profile::recorded()
            },
        ),
        ("learn", Profile::learn()),
    ]
}

fn patches(env: &Env) -> Vec<Value> {
    env.graph_requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| r.json().unwrap())
        .collect()
}

#[test]
fn the_recorded_default_answer_reads_as_the_default_policy() {
    for (label, profile) in profiles() {
        let env = Env::new(profile);
        let view = block_on(env.client.get(&env.ctx())).unwrap();
        assert!(view.is_default(), "{label}");
        assert!(view.additional_properties.is_empty(), "{label}: {view:?}");
        env.emu
            .set_policy(TENANT, json!({"source": "cloud", "allowedRoles": [PA]}));
        let view = block_on(env.client.get(&env.ctx())).unwrap();
        assert_eq!(view.source.as_deref(), Some("cloud"), "{label}");
        assert!(view.additional_properties.is_empty(), "{label}: {view:?}");
    }
}

#[test]
fn a_list_answer_is_read_as_its_single_policy_and_refused_otherwise() {
    let env = Env::new(Profile {
        read_shape: ReadShape::List,
        ..Profile::recorded()
    });
    env.emu
        .set_policy(TENANT, json!({"source": "cloud", "allowedRoles": [GA]}));
    let view = block_on(env.client.get(&env.ctx())).unwrap();
    assert_eq!(view.source.as_deref(), Some("cloud"));
    assert_eq!(view.allowed_roles[0].id, GA);
    for (shape, count) in [(ReadShape::EmptyList, "0"), (ReadShape::TwoItems, "2")] {
        env.emu.set_profile(Profile {
            read_shape: shape,
            ..Profile::recorded()
        });
        let err = block_on(env.client.get(&env.ctx())).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{shape:?}");
        assert!(
            err.message().contains(&format!("of {count} elements")),
            "{}",
            err.message()
        );
        // Nothing is written on a policy that could not be read.
        let err = block_on(
            env.client
                .apply(&change(json!({"source": "onPremises"})), &env.ctx()),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidResponse);
        assert!(patches(&env).is_empty());
    }
}

#[test]
fn restricting_roles_with_source_cloud_sends_one_patch_with_both() {
    for (label, profile) in profiles() {
        let env = Env::new(profile);
        let out = block_on(env.client.apply(
            &change(json!({"source": "cloud", "allowedRoles": ["People Administrator"]})),
            &env.ctx(),
        ))
        .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert!(out.applied, "{label}");
        assert_eq!(
            patches(&env),
            [json!({"source": "cloud", "allowedRoles": [PA]})],
            "{label}"
        );
        assert_eq!(out.current.source.as_deref(), Some("cloud"), "{label}");
        assert_eq!(out.current.allowed_roles[0].id, PA, "{label}");
    }
}

#[test]
fn leaving_cloud_with_roles_set_is_refused_and_the_fix_sends_one_patch() {
    for (label, profile) in profiles() {
        let env = Env::new(profile);
        env.emu
            .set_policy(TENANT, json!({"source": "cloud", "allowedRoles": [GA, PA]}));
        for source in ["onPremises", "notSet"] {
            let err = block_on(
                env.client
                    .apply(&change(json!({ "source": source })), &env.ctx()),
            )
            .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{label} {source}");
            assert!(err.message().contains("-AllowedRoles @()"), "{label}");
            assert!(patches(&env).is_empty(), "{label}: nothing written");
        }
        // Asking for roles with another source is refused before any request at all.
        env.emu.clear_requests();
        let err = block_on(env.client.apply(
            &change(json!({"source": "onPremises", "allowedRoles": ["GA"]})),
            &env.ctx(),
        ))
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{label}");
        assert!(env.graph_requests().is_empty(), "{label}");

        let out = block_on(env.client.apply(
            &change(json!({"source": "onPremises", "allowedRoles": []})),
            &env.ctx(),
        ))
        .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert!(out.applied);
        assert_eq!(
            patches(&env),
            [json!({"source": "onPremises", "allowedRoles": null})],
            "{label}"
        );
        assert_eq!(out.current.source.as_deref(), Some("onPremises"), "{label}");
        assert!(out.current.allowed_roles.is_empty(), "{label}");

        // Restricting roles on an on-premises policy is refused; with -Source Cloud it works.
        env.emu.clear_requests();
        let err = block_on(env.client.apply(
            &change(json!({"allowedRoles": ["PeopleAdmin"]})),
            &env.ctx(),
        ))
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{label}");
        assert!(err.message().contains("-Source Cloud"), "{label}");
        assert!(patches(&env).is_empty(), "{label}");
    }
}

#[test]
fn roles_the_service_refuses_are_refused_before_anything_is_sent() {
    for (label, profile) in profiles() {
        let env = Env::new(profile);
        env.emu.set_policy(TENANT, json!({"source": "cloud"}));
        env.emu.clear_requests();
        for roles in [json!(["Directory Writers"]), json!(["GA", "IntuneAdmin"])] {
            let err = block_on(
                env.client
                    .apply(&change(json!({ "allowedRoles": roles })), &env.ctx()),
            )
            .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{label}");
            assert!(err.message().contains("the service refuses it"), "{label}");
            let plan_err = block_on(
                env.client
                    .plan(&change(json!({ "allowedRoles": roles })), &env.ctx()),
            )
            .unwrap_err();
            assert_eq!(plan_err.kind(), ErrorKind::InvalidArgument);
        }
        assert!(env.graph_requests().is_empty(), "{label}");
    }
}

#[test]
fn reset_clears_the_roles_section_with_null_and_is_verified() {
    for (label, profile) in profiles() {
        let env = Env::new(profile);
        env.emu
            .set_policy(TENANT, json!({"source": "cloud", "allowedRoles": [GA]}));
        let out = block_on(env.client.reset(&env.ctx())).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(out.method, ResetMethod::Patch, "{label}");
        assert!(out.current.is_default(), "{label}");
        assert_eq!(
            patches(&env),
            [json!({"source": null, "allowedRoles": null})],
            "{label}"
        );
    }
}

#[test]
fn export_and_import_round_trip_under_the_recorded_service() {
    for (label, profile) in profiles() {
        let env = Env::new(profile);
        env.emu
            .set_policy(TENANT, json!({"source": "cloud", "allowedRoles": [PA, GA]}));
        let exported = block_on(export::export(
            &env.client,
            &ExportOptions::default(),
            &env.ctx(),
        ))
        .unwrap();
        let doc = PolicyDocument::from_json(&exported.document).unwrap();
        assert_eq!(exported.document["source"], "cloud", "{label}");
        assert_eq!(
            exported.document["additionalProperties"],
            json!({}),
            "{label}"
        );
        assert!(exported.document.get("Source").is_none(), "{label}");

        block_on(env.client.reset(&env.ctx())).unwrap();
        env.emu.clear_requests();
        let out = block_on(env.client.apply(&doc.change_request(), &env.ctx()))
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert!(out.applied, "{label}");
        assert_eq!(
            patches(&env),
            [json!({"source": "cloud", "allowedRoles": [PA, GA]})],
            "{label}"
        );
        assert_eq!(sorted_roles(&env.emu.policy(TENANT)).len(), 2, "{label}");
    }
}
