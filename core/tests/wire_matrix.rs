//! The policy scenarios an admin runs (read, restrict, add and remove roles, lift the restriction,
//! move to on-premises, clear the source, an unchanged request, reset, export and import), each
//! under every emulator profile that changes what travels on the wire: the client must be right
//! whichever way the service turns out. Every scenario is written the way the service as recorded
//! accepts it (roles only with source cloud), so it holds under the earlier reading too.

mod common;

use common::*;
use graph_emulator::{
    AcceptedRoles, DefaultAllowedRoles, DeleteBehavior, EnumCasing, NotSetRoles, OnPremisesRoles,
    PatchAnswer, PatchSourceNull, Profile, PropertyCasing, ReadShape, SourceKey,
};
use photo_policy_core::document::PolicyDocument;
use photo_policy_core::drift;
use photo_policy_core::export::{self, ExportOptions};
use photo_policy_core::plan::{ChangeRequest, ResetMethod};
use serde_json::{json, Value};

/// Every profile that changes what the client sends or reads, by name. The first is the service
/// as recorded; the others change one thing each (or, `learn`, everything the earlier reading
/// changes).
pub fn wire_profiles() -> Vec<(&'static str, Profile)> {
    let recorded = Profile::recorded;
    vec![
        ("recorded", recorded()),
        ("learn", Profile::learn()),
        (
            "sourceKey=source",
            Profile {
                source_key: SourceKey::Camel,
                ..recorded()
            },
        ),
        (
            "sourceKey=SOURCE",
            Profile {
                source_key: SourceKey::Upper,
                ..recorded()
            },
        ),
        (
            "propertyCasing=strict",
            Profile {
                property_casing: PropertyCasing::Strict,
                ..recorded()
            },
        ),
        (
            "enumCasing=strict",
            Profile {
                enum_casing: EnumCasing::Strict,
                ..recorded()
            },
        ),
        (
            "acceptedRoles=all",
            Profile {
                accepted_roles: AcceptedRoles::All,
                ..recorded()
            },
        ),
        (
            "notSetRoles=accepted",
            Profile {
                not_set_roles: NotSetRoles::Accepted,
                ..recorded()
            },
        ),
        (
            "onPremisesRoles=nullOnly",
            Profile {
                on_premises_roles: OnPremisesRoles::NullOnly,
                ..recorded()
            },
        ),
        (
            "read=list",
            Profile {
                read_shape: ReadShape::List,
                ..recorded()
            },
        ),
        (
            "patch=204",
            Profile {
                patch: PatchAnswer::NoContent204,
                ..recorded()
            },
        ),
        (
            "defaultAllowedRoles=empty",
            Profile {
                default_allowed_roles: DefaultAllowedRoles::Empty,
                ..recorded()
            },
        ),
        (
            "defaultAllowedRoles=missing",
            Profile {
                default_allowed_roles: DefaultAllowedRoles::Missing,
                ..recorded()
            },
        ),
        (
            "defaultAllowedRoles=object",
            Profile {
                default_allowed_roles: DefaultAllowedRoles::Object,
                ..recorded()
            },
        ),
        (
            "includeId=true",
            Profile {
                include_id: true,
                ..recorded()
            },
        ),
        (
            "delete=refused",
            Profile {
                delete: DeleteBehavior::Refused,
                ..recorded()
            },
        ),
        (
            "patchSourceNull=refused",
            Profile {
                patch_source_null: PatchSourceNull::Refused,
                ..recorded()
            },
        ),
    ]
}

fn change(v: Value) -> ChangeRequest {
    ChangeRequest::from_json(&v.to_string()).unwrap()
}

/// Runs `scenario` on a fresh emulator under every wire profile, naming the profile on failure.
fn under_every_profile(scenario: impl Fn(&Env, &str)) {
    for (name, profile) in wire_profiles() {
        let env = Env::new(profile);
        scenario(&env, name);
    }
}

/// The bodies of the PATCH requests sent so far.
fn patch_bodies(env: &Env) -> Vec<Value> {
    env.graph_requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| r.json().expect("PATCH body is JSON"))
        .collect()
}

/// The stored source as the service holds it (the emulator stores the canonical name).
fn stored_source(env: &Env) -> Value {
    env.emu
        .policy(TENANT)
        .get("source")
        .cloned()
        .unwrap_or(Value::Null)
}

/// Role IDs of a view, in order.
fn role_ids(view: &photo_policy_core::model::PolicyView) -> Vec<String> {
    view.allowed_roles.iter().map(|r| r.id.clone()).collect()
}

#[test]
fn reading_the_default_and_a_stored_policy() {
    under_every_profile(|env, name| {
        let view = block_on(env.client.get(&env.ctx())).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(view.is_default(), "{name}: {view:?}");
        assert_eq!(view.source, None, "{name}");
        assert!(view.allowed_roles.is_empty(), "{name}");
        assert!(view.additional_properties.is_empty(), "{name}: {view:?}");
        assert_eq!(view.tenant_id.as_deref(), Some(TENANT), "{name}");

        env.emu.set_policy(
            TENANT,
            json!({"source": "cloud", "allowedRoles": [PA, GA], "futureSetting": {"x": 1}}),
        );
        let view = block_on(env.client.get(&env.ctx())).unwrap();
        assert_eq!(view.source.as_deref(), Some("cloud"), "{name}");
        assert_eq!(role_ids(&view), [PA, GA], "{name}");
        // The source key in whatever casing is the source, never an extra property.
        let extra: Vec<&String> = view.additional_properties.keys().collect();
        assert_eq!(extra, ["futureSetting"], "{name}");
    });
}

#[test]
fn restricting_to_roles_with_source_cloud_sends_one_camel_case_patch() {
    under_every_profile(|env, name| {
        let out = block_on(env.client.apply(
            &change(json!({"source": "Cloud", "allowedRoles": ["People Administrator", "GA"]})),
            &env.ctx(),
        ))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(out.applied, "{name}");
        assert!(out.previous.is_default(), "{name}");
        assert_eq!(out.current.source.as_deref(), Some("cloud"), "{name}");
        assert_eq!(role_ids(&out.current), [PA, GA], "{name}");
        assert_eq!(
            patch_bodies(env),
            [json!({"source": "cloud", "allowedRoles": [PA, GA]})],
            "{name}"
        );
        assert_eq!(stored_source(env), "cloud", "{name}");
        assert_eq!(
            sorted_roles(&env.emu.policy(TENANT)),
            {
                let mut v = vec![GA.to_string(), PA.to_string()];
                v.sort();
                v
            },
            "{name}"
        );
        let view = block_on(env.client.get(&env.ctx())).unwrap();
        assert_eq!(view, out.current, "{name}");
    });
}

#[test]
fn adding_removing_and_lifting_roles_on_a_cloud_policy() {
    under_every_profile(|env, name| {
        env.emu
            .set_policy(TENANT, json!({"source": "cloud", "allowedRoles": [GA]}));
        let ctx = env.ctx();
        let out = block_on(env.client.apply(
            &change(json!({"addAllowedRoles": ["People Administrator", "User Administrator"]})),
            &ctx,
        ))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(role_ids(&out.current), [GA, PA, UA], "{name}");
        let out = block_on(env.client.apply(
            &change(json!({"removeAllowedRoles": ["Global Administrator"]})),
            &ctx,
        ))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(role_ids(&out.current), [PA, UA], "{name}");
        let out = block_on(env.client.apply(&change(json!({"allowedRoles": []})), &ctx))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(out.current.allowed_roles.is_empty(), "{name}");
        assert_eq!(out.current.source.as_deref(), Some("cloud"), "{name}");
        // Only the roles travelled, never the source again.
        let bodies = patch_bodies(env);
        assert_eq!(bodies.len(), 3, "{name}");
        for body in &bodies {
            let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["allowedRoles"], "{name}: {body}");
        }
        assert_eq!(stored_source(env), "cloud", "{name}");
        assert!(sorted_roles(&env.emu.policy(TENANT)).is_empty(), "{name}");
    });
}

#[test]
fn moving_to_on_premises_clears_the_roles_in_the_same_patch() {
    under_every_profile(|env, name| {
        env.emu
            .set_policy(TENANT, json!({"source": "cloud", "allowedRoles": [PA, UA]}));
        let out = block_on(env.client.apply(
            &change(json!({"source": "OnPremises", "allowedRoles": []})),
            &env.ctx(),
        ))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(out.current.source.as_deref(), Some("onPremises"), "{name}");
        assert!(out.current.allowed_roles.is_empty(), "{name}");
        let bodies = patch_bodies(env);
        assert_eq!(bodies.len(), 1, "{name}");
        assert_eq!(bodies[0]["source"], "onPremises", "{name}");
        let roles = &bodies[0]["allowedRoles"];
        assert!(
            roles.is_null() || roles == &json!([]),
            "{name}: roles cleared as {roles}"
        );
        assert_eq!(stored_source(env), "onPremises", "{name}");
        assert!(sorted_roles(&env.emu.policy(TENANT)).is_empty(), "{name}");
    });
}

#[test]
fn clearing_the_source_and_an_unchanged_request() {
    under_every_profile(|env, name| {
        env.emu.set_policy(TENANT, json!({"source": "cloud"}));
        let out = block_on(
            env.client
                .apply(&change(json!({"source": "NotSet"})), &env.ctx()),
        );
        match out {
            Ok(out) => {
                assert_eq!(out.current.source, None, "{name}");
                assert_eq!(stored_source(env), Value::Null, "{name}");
            }
            // A service that refuses `source: null` leaves the source as it was, and says so.
            Err(e) => {
                assert_eq!(name, "patchSourceNull=refused", "{e}");
                assert_eq!(e.service().unwrap().http_status, 400);
                assert_eq!(stored_source(env), "cloud");
            }
        }

        env.emu
            .set_policy(TENANT, json!({"source": "cloud", "allowedRoles": [GA]}));
        env.emu.clear_requests();
        let out = block_on(env.client.apply(
            &change(json!({"source": "Cloud", "allowedRoles": ["Global Administrator"]})),
            &env.ctx(),
        ))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!out.applied, "{name}");
        assert_eq!(out.requests, 1, "{name}");
        assert_eq!(env.methods(), ["GET"], "{name}");
    });
}

#[test]
fn reset_from_a_restricted_cloud_policy_is_verified() {
    under_every_profile(|env, name| {
        env.emu.set_policy(
            TENANT,
            json!({"source": "cloud", "allowedRoles": [PA, GA], "futureSetting": 1}),
        );
        let out = block_on(env.client.reset(&env.ctx())).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(out.verified, "{name}");
        assert!(out.current.source.is_none(), "{name}");
        assert!(out.current.allowed_roles.is_empty(), "{name}");
        assert_eq!(out.previous.source.as_deref(), Some("cloud"), "{name}");
        let expected = if name == "patchSourceNull=refused" {
            ResetMethod::Delete
        } else {
            ResetMethod::Patch
        };
        assert_eq!(out.method, expected, "{name}");
        assert!(block_on(env.client.get(&env.ctx()))
            .unwrap()
            .allowed_roles
            .is_empty());
    });
}

#[test]
fn export_then_import_restores_a_drifted_tenant() {
    under_every_profile(|env, name| {
        let ctx = env.ctx();
        env.emu
            .set_policy(TENANT, json!({"source": "cloud", "allowedRoles": [GA, PA]}));
        let exported = block_on(export::export(
            &env.client,
            &ExportOptions {
                path: None,
                overwrite: false,
            },
            &ctx,
        ))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let desired = PolicyDocument::from_text(&exported.document.to_string())
            .unwrap_or_else(|e| panic!("{name}: {e}"));

        // Someone lifts the restriction by hand.
        env.emu
            .set_policy(TENANT, json!({"source": "cloud", "allowedRoles": []}));
        let report = drift::report(&desired, block_on(env.client.get(&ctx)).unwrap());
        assert!(!report.compliant, "{name}");

        let applied = block_on(env.client.apply(&desired.change_request(), &ctx))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(applied.applied, "{name}");
        let report = drift::report(&desired, block_on(env.client.get(&ctx)).unwrap());
        assert!(report.compliant, "{name}: {:?}", report.differences);
        assert_eq!(stored_source(env), "cloud", "{name}");
    });
}
