//! get / plan / apply / reset against the Graph emulator, under the profiles that matter.

mod common;

use common::*;
use graph_emulator::{
    AcceptedRoles, DefaultAllowedRoles, DeleteBehavior, EnumCasing, PatchAnswer, PatchSourceNull,
    Profile,
};
use photo_policy_core::events::EventLevel;
use photo_policy_core::plan::{ChangeRequest, ResetMethod, ResetOptions};
use photo_policy_core::ErrorKind;
use serde_json::json;

fn change(v: serde_json::Value) -> ChangeRequest {
    ChangeRequest::from_json(&v.to_string()).unwrap()
}

#[test]
fn get_reads_the_default_policy_in_every_shape() {
    for roles in [
        DefaultAllowedRoles::Null,
        DefaultAllowedRoles::Empty,
        DefaultAllowedRoles::Missing,
        DefaultAllowedRoles::Object,
    ] {
        for include_id in [false, true] {
            let env = Env::new(Profile {
                default_allowed_roles: roles,
                include_id,
                ..Default::default()
            });
            let view = block_on(env.client.get(&env.ctx())).unwrap();
            assert_eq!(view.source, None, "{roles:?}");
            assert!(view.source_known);
            assert!(view.allowed_roles.is_empty(), "{roles:?}");
            assert!(
                view.additional_properties.is_empty(),
                "{roles:?} {include_id}"
            );
            assert_eq!(view.tenant_id.as_deref(), Some(TENANT));
            assert!(view.is_default());
        }
    }
}

#[test]
fn get_shows_stored_values_names_and_unknown_properties() {
    let env = Env::new(Profile::default());
    env.emu.set_policy(
        TENANT,
        json!({"source": "onPremises", "allowedRoles": [UA, " 62E90394-69F5-4237-9190-012177145E10"], "futureSetting": {"x": 1}}),
    );
    let view = block_on(env.client.get(&env.ctx())).unwrap();
    assert_eq!(view.source.as_deref(), Some("onPremises"));
    let names: Vec<_> = view
        .allowed_roles
        .iter()
        .map(|r| r.name.clone().unwrap())
        .collect();
    assert_eq!(names, ["User Administrator", "Global Administrator"]);
    assert_eq!(view.allowed_roles[1].id, GA);
    assert_eq!(view.additional_properties["futureSetting"], json!({"x": 1}));
    let v = serde_json::to_value(&view).unwrap();
    assert_eq!(v["cloud"], "Global");
    assert_eq!(v["tenantId"], TENANT);
}

#[test]
fn every_request_has_a_fresh_client_request_id_user_agent_and_a_verbose_line() {
    let env = Env::new(Profile::default());
    block_on(env.client.get(&env.ctx())).unwrap();
    block_on(
        env.client
            .apply(&change(json!({"source": "cloud"})), &env.ctx()),
    )
    .unwrap();
    let reqs = env.graph_requests();
    assert_eq!(reqs.len(), 3);
    let mut ids = std::collections::HashSet::new();
    for r in &reqs {
        let id = r.header("client-request-id").expect("client-request-id");
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
        assert!(ids.insert(id.to_string()), "reused {id}");
        let ua = r.header("user-agent").unwrap();
        assert!(ua.starts_with("PhotoUpdatePolicy/"), "{ua}");
        assert_eq!(r.path, "/beta/admin/people/photoUpdateSettings");
    }
    assert_eq!(reqs[2].header("content-type"), Some("application/json"));
    let verbose = env.events.lines(EventLevel::Verbose);
    let url = format!("{}/beta/admin/people/photoUpdateSettings", env.emu.url());
    assert!(
        verbose
            .iter()
            .any(|l| l.starts_with(&format!("GET {url} → 200 OK in ")) && l.ends_with(" ms")),
        "{verbose:#?}"
    );
    assert!(verbose
        .iter()
        .any(|l| l.starts_with(&format!("PATCH {url} → 200 OK in "))));
    for line in env.events.all() {
        assert!(!line.contains(&env.token), "token leaked in an event");
        assert!(!line.to_ascii_lowercase().contains("bearer"), "{line}");
    }
}

/// The main scenario under every profile combination that changes what the client sees.
#[test]
fn set_and_reset_under_profile_combinations() {
    for patch in [PatchAnswer::Ok200, PatchAnswer::NoContent204] {
        for roles in [
            DefaultAllowedRoles::Null,
            DefaultAllowedRoles::Empty,
            DefaultAllowedRoles::Missing,
            DefaultAllowedRoles::Object,
        ] {
            for casing in [EnumCasing::Strict, EnumCasing::Lenient] {
                let label = format!("{patch:?} {roles:?} {casing:?}");
                let env = Env::new(Profile {
                    patch,
                    default_allowed_roles: roles,
                    enum_casing: casing,
                    ..Default::default()
                });
                let ctx = env.ctx();
                let out = block_on(env.client.apply(
                    &change(
                        json!({"source": "CLOUD", "allowedRoles": ["People Administrator", "GA"]}),
                    ),
                    &ctx,
                ))
                .unwrap_or_else(|e| panic!("{label}: {e}"));
                assert!(out.applied, "{label}");
                assert_eq!(out.previous.source, None, "{label}");
                assert!(out.previous.allowed_roles.is_empty(), "{label}");
                assert_eq!(out.current.source.as_deref(), Some("cloud"), "{label}");
                let ids: Vec<_> = out
                    .current
                    .allowed_roles
                    .iter()
                    .map(|r| r.id.as_str())
                    .collect();
                assert_eq!(ids, [PA, GA], "{label}");
                // 200: GET + PATCH; 204: GET + PATCH + read-back GET.
                let expected = if patch == PatchAnswer::Ok200 { 2 } else { 3 };
                assert_eq!(out.requests, expected, "{label}");
                assert_eq!(env.methods().len(), expected as usize, "{label}");
                // Sent in camel case, whatever the caller typed.
                let patch_req = env
                    .graph_requests()
                    .into_iter()
                    .find(|r| r.method == "PATCH")
                    .unwrap();
                assert_eq!(
                    patch_req.json().unwrap(),
                    json!({"source": "cloud", "allowedRoles": [PA, GA]}),
                    "{label}"
                );
                let stored = env.emu.policy(TENANT);
                assert_eq!(stored["source"], "cloud", "{label}");

                let view = block_on(env.client.get(&ctx)).unwrap();
                assert_eq!(view, out.current, "{label}");

                let reset =
                    block_on(env.client.reset(&ctx)).unwrap_or_else(|e| panic!("{label}: {e}"));
                assert_eq!(reset.method, ResetMethod::Patch, "{label}");
                assert!(reset.verified);
                assert!(reset.current.is_default(), "{label}");
                assert_eq!(reset.previous, out.current, "{label}");
                // GET, PATCH, GET (verification).
                assert_eq!(reset.requests, 3, "{label}");
                assert!(
                    block_on(env.client.get(&ctx)).unwrap().is_default(),
                    "{label}"
                );
            }
        }
    }
}

#[test]
fn set_add_and_remove_roles() {
    let env = Env::new(Profile::default());
    // Roles are accepted only with source cloud.
    env.emu.set_policy(TENANT, json!({"source": "cloud"}));
    let ctx = env.ctx();
    let out = block_on(
        env.client
            .apply(&change(json!({"allowedRoles": ["UserAdmin"]})), &ctx),
    )
    .unwrap();
    assert_eq!(out.plan.patch_body, Some(json!({"allowedRoles": [UA]})));
    assert_eq!(
        out.plan.description,
        "Allowed roles: (everyone) → User Administrator"
    );

    let out = block_on(env.client.apply(
        &change(json!({"addAllowedRoles": ["PeopleAdmin", "GA"]})),
        &ctx,
    ))
    .unwrap();
    assert_eq!(
        out.plan.patch_body,
        Some(json!({"allowedRoles": [UA, PA, GA]}))
    );
    assert_eq!(env.emu.policy(TENANT)["allowedRoles"], json!([UA, PA, GA]));

    let out = block_on(env.client.apply(
        &change(json!({"removeAllowedRoles": ["User Administrator", "Intune Administrator"]})),
        &ctx,
    ))
    .unwrap();
    assert_eq!(out.plan.patch_body, Some(json!({"allowedRoles": [PA, GA]})));
    assert_eq!(out.plan.warnings.len(), 1);
    assert!(out.plan.warnings[0].contains("Intune Administrator is not in the allowed roles"));
    // Plan warnings travel in the result only; the 24-hour notice is an event.
    assert!(!env
        .events
        .lines(EventLevel::Warning)
        .iter()
        .any(|w| w.contains("Intune Administrator")));
    assert!(env
        .events
        .lines(EventLevel::Warning)
        .iter()
        .any(|w| w.contains("24 hours")));

    let out = block_on(env.client.apply(&change(json!({"allowedRoles": []})), &ctx)).unwrap();
    assert!(out.current.allowed_roles.is_empty());
    assert_eq!(env.emu.policy(TENANT)["allowedRoles"], json!([]));
}

#[test]
fn no_op_apply_sends_exactly_one_get() {
    let env = Env::new(Profile::default());
    env.emu
        .set_policy(TENANT, json!({"source": "cloud", "allowedRoles": [GA]}));
    let out = block_on(env.client.apply(
        &change(json!({"source": "Cloud", "allowedRoles": ["Global Administrator"]})),
        &env.ctx(),
    ))
    .unwrap();
    assert!(!out.applied);
    assert!(!out.plan.has_changes);
    assert_eq!(out.plan.patch_body, None);
    assert_eq!(out.requests, 1);
    assert_eq!(out.previous, out.current);
    assert_eq!(env.methods(), ["GET"]);
}

#[test]
fn plan_reads_but_never_writes() {
    let env = Env::new(Profile::default());
    let plan = block_on(
        env.client
            .plan(&change(json!({"source": "cloud"})), &env.ctx()),
    )
    .unwrap();
    assert!(plan.has_changes);
    assert_eq!(plan.description, "Source: NotSet → Cloud");
    assert_eq!(env.methods(), ["GET"]);
    assert_eq!(env.emu.policy(TENANT), json!({}));
}

#[test]
fn a_planned_change_is_written_without_reading_again() {
    let env = Env::new(Profile::default());
    let ctx = env.ctx();
    let planned = block_on(env.client.begin_change(
        &change(json!({"source": "cloud", "allowedRoles": ["People Administrator"]})),
        &ctx,
    ))
    .unwrap();
    assert!(planned.plan().has_changes);
    assert_eq!(planned.requests(), 1);
    assert_eq!(env.methods(), ["GET"]);

    let out = block_on(env.client.apply_planned(&planned, false, &ctx)).unwrap();
    assert!(out.applied);
    // The plan's read and the write: one GET and one PATCH for the whole change.
    assert_eq!(out.requests, 2);
    assert_eq!(env.methods(), ["GET", "PATCH"]);
    assert_eq!(out.current.source.as_deref(), Some("cloud"));
    assert_eq!(env.emu.policy(TENANT)["allowedRoles"], json!([PA]));
}

#[test]
fn a_planned_change_read_again_is_planned_anew() {
    let env = Env::new(Profile::default());
    // Roles are accepted only with source cloud.
    env.emu.set_policy(TENANT, json!({"source": "cloud"}));
    let ctx = env.ctx();
    let planned = block_on(env.client.begin_change(
        &change(json!({"addAllowedRoles": ["Global Administrator"]})),
        &ctx,
    ))
    .unwrap();
    // Someone else changes the policy while the user reads the prompt.
    env.emu
        .set_policy(TENANT, json!({"source": "cloud", "allowedRoles": [UA]}));
    let out = block_on(env.client.apply_planned(&planned, true, &ctx)).unwrap();
    // Plan, read again, write, and the read-back that verifies a relative role change.
    assert_eq!(env.methods(), ["GET", "GET", "PATCH", "GET"]);
    assert_eq!(out.requests, 4);
    // The addition is applied to what the policy is now, not to what it was when planned.
    assert_eq!(env.emu.policy(TENANT)["allowedRoles"], json!([UA, GA]));
    assert_eq!(out.plan.before.allowed_roles.len(), 1);
}

#[test]
fn a_planned_reset_is_written_and_verified_without_reading_first() {
    let env = Env::new(Profile::default());
    env.emu
        .set_policy(TENANT, json!({"source": "cloud", "allowedRoles": [PA]}));
    let ctx = env.ctx();
    let planned = block_on(env.client.begin_reset(&ResetOptions::default(), &ctx)).unwrap();
    assert!(planned.plan().has_changes);
    assert!(planned.plan().after.is_default());
    assert_eq!(planned.requests(), 1);
    assert_eq!(env.methods(), ["GET"]);

    let out = block_on(env.client.apply_reset(&planned, false, &ctx)).unwrap();
    // The plan's read, the write and the read-back that verifies the reset: no second read first.
    assert_eq!(env.methods(), ["GET", "PATCH", "GET"]);
    assert_eq!(out.requests, 3);
    assert_eq!(out.method, ResetMethod::Patch);
    assert!(out.verified && out.current.is_default());
    assert_eq!(out.previous.source.as_deref(), Some("cloud"));
}

#[test]
fn a_planned_reset_read_again_resets_what_the_policy_is_now() {
    let env = Env::new(Profile::default());
    env.emu.set_policy(TENANT, json!({"source": "cloud"}));
    let ctx = env.ctx();
    let planned = block_on(env.client.begin_reset(&ResetOptions::default(), &ctx)).unwrap();
    // Someone else changes the policy while the user reads the prompt.
    env.emu
        .set_policy(TENANT, json!({"source": "cloud", "allowedRoles": [GA]}));
    let out = block_on(env.client.apply_reset(&planned, true, &ctx)).unwrap();
    assert_eq!(env.methods(), ["GET", "GET", "PATCH", "GET"]);
    assert_eq!(out.requests, 4);
    // The previous state reported is the one read again, not the plan's.
    assert_eq!(out.previous.allowed_roles.len(), 1);
    assert!(env.emu.policy(TENANT)["allowedRoles"]
        .as_array()
        .is_none_or(Vec::is_empty));

    // Planned on a default policy: applying writes nothing.
    let env = Env::new(Profile::default());
    let planned = block_on(env.client.begin_reset(&ResetOptions::default(), &env.ctx())).unwrap();
    assert!(!planned.plan().has_changes);
    let out = block_on(env.client.apply_reset(&planned, false, &env.ctx())).unwrap();
    assert_eq!(out.method, ResetMethod::AlreadyDefault);
    assert_eq!(env.methods(), ["GET"]);
}

#[test]
fn beginning_an_invalid_change_sends_nothing() {
    let env = Env::new(Profile::default());
    let err = block_on(
        env.client
            .begin_change(&change(json!({"allowedRoles": ["Nobody"]})), &env.ctx()),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(err.target(), Some("Nobody"));
    assert!(env.methods().is_empty());
}

#[test]
fn invalid_change_requests_send_nothing() {
    let env = Env::new(Profile::default());
    for c in [
        json!({}),
        json!({"allowedRoles": ["Nobody"]}),
        json!({"allowedRoles": ["GA"], "addAllowedRoles": ["UA"]}),
        json!({"source": "sideways"}),
        json!({"allowedRoles": ["62e90394-69f5-4237-9190-012177145e1"]}),
    ] {
        let err = block_on(env.client.apply(&change(c.clone()), &env.ctx())).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{c}");
    }
    assert!(env.graph_requests().is_empty());
}

#[test]
fn clear_source_with_not_set() {
    let env = Env::new(Profile::default());
    env.emu.set_policy(TENANT, json!({"source": "cloud"}));
    let out = block_on(
        env.client
            .apply(&change(json!({"source": "notSet"})), &env.ctx()),
    )
    .unwrap();
    assert_eq!(out.plan.patch_body, Some(json!({"source": null})));
    assert_eq!(out.current.source, None);
}

#[test]
fn reset_already_default_writes_nothing() {
    let env = Env::new(Profile::default());
    let out = block_on(env.client.reset(&env.ctx())).unwrap();
    assert_eq!(out.method, ResetMethod::AlreadyDefault);
    assert!(out.verified);
    assert_eq!(out.requests, 1);
    assert_eq!(env.methods(), ["GET"]);
    let v = serde_json::to_value(&out).unwrap();
    assert_eq!(v["method"], "alreadyDefault");
}

#[test]
fn reset_falls_back_to_delete_when_patch_null_is_refused() {
    let env = Env::new(Profile {
        patch_source_null: PatchSourceNull::Refused,
        ..Default::default()
    });
    env.emu
        .set_policy(TENANT, json!({"source": "cloud", "allowedRoles": [GA]}));
    let out = block_on(env.client.reset(&env.ctx())).unwrap();
    assert_eq!(out.method, ResetMethod::Delete);
    assert!(out.verified);
    assert!(out.current.is_default());
    assert_eq!(out.previous.source.as_deref(), Some("cloud"));
    assert_eq!(env.methods(), ["GET", "PATCH", "DELETE", "GET"]);
    assert_eq!(out.requests, 4);
    let delete = &env.graph_requests()[2];
    assert_eq!(delete.path, "/beta/admin/people/photoUpdateSettings");
}

#[test]
fn reset_uses_patch_when_delete_is_refused() {
    let env = Env::new(Profile {
        delete: DeleteBehavior::Refused,
        ..Default::default()
    });
    env.emu.set_policy(
        TENANT,
        json!({"source": "onPremises", "allowedRoles": [UA]}),
    );
    let out = block_on(env.client.reset(&env.ctx())).unwrap();
    assert_eq!(out.method, ResetMethod::Patch);
    assert!(out.current.is_default());
    assert_eq!(env.methods(), ["GET", "PATCH", "GET"]);
    // Source not set is not cloud: the roles section is cleared with null.
    assert_eq!(
        env.graph_requests()[1].json().unwrap(),
        json!({"source": null, "allowedRoles": null})
    );
}

#[test]
fn reset_refused_both_ways_is_a_clear_service_error() {
    let env = Env::new(Profile {
        delete: DeleteBehavior::Refused,
        patch_source_null: PatchSourceNull::Refused,
        ..Default::default()
    });
    env.emu.set_policy(TENANT, json!({"source": "cloud"}));
    let err = block_on(env.client.reset(&env.ctx())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    assert!(
        err.message().contains("refused both ways"),
        "{}",
        err.message()
    );
    assert_eq!(err.service().unwrap().http_status, 405);
    assert_eq!(env.emu.policy(TENANT)["source"], "cloud");
}

#[test]
fn rejected_role_surfaces_the_service_code_and_message() {
    // The earlier reading's generic 400 (the recorded envelope is the test below).
    let env = Env::new(Profile {
        accepted_roles: AcceptedRoles::Documented,
        ..Profile::learn()
    });
    env.emu.set_policy(TENANT, json!({"source": "cloud"}));
    // A role the service refuses is refused before anything is sent...
    let err = block_on(env.client.apply(
        &change(json!({"allowedRoles": ["Directory Writers"]})),
        &env.ctx(),
    ))
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err
        .message()
        .contains("the service refuses it in allowedRoles"));
    assert!(env.graph_requests().is_empty());
    // ...and sent on explicit request, when the service's own refusal surfaces.
    let err = block_on(env.client.apply(
        &change(json!({"allowedRoles": ["Directory Writers"], "allowServiceRefusedRoles": true})),
        &env.ctx(),
    ))
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    let d = err.service().unwrap();
    assert_eq!(d.http_status, 400);
    assert_eq!(d.code.as_deref(), Some("Request_BadRequest"));
    assert!(d
        .message
        .as_deref()
        .unwrap()
        .contains("9360feb5-f418-4baa-8175-e2a00bac4301"));
    assert!(err.message().contains("Request_BadRequest"));
    assert!(err.message().contains(d.message.as_deref().unwrap()));
    let sent = env.graph_requests()[1]
        .header("client-request-id")
        .unwrap()
        .to_string();
    assert_eq!(d.client_request_id.as_deref(), Some(sent.as_str()));
    assert!(d.request_id.is_some());
    assert!(d.date.is_some());

    // Accepted when the service accepts all seven.
    env.emu.set_profile(Profile {
        accepted_roles: AcceptedRoles::All,
        ..Profile::learn()
    });
    block_on(env.client.apply(
        &change(json!({"allowedRoles": ["Directory Writers"], "allowServiceRefusedRoles": true})),
        &env.ctx(),
    ))
    .unwrap();
}

#[test]
fn a_refused_role_sent_anyway_gets_the_services_own_refusal() {
    // The service as recorded: the role sent on explicit request comes back as the PeopleAdmin
    // envelope, read into ValidationFailed with the service's words and its own request ID.
    let env = Env::new(Profile::recorded());
    env.emu.set_policy(TENANT, json!({"source": "cloud"}));
    let err = block_on(env.client.apply(
        &change(json!({"allowedRoles": ["Directory Writers"], "allowServiceRefusedRoles": true})),
        &env.ctx(),
    ))
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ValidationFailed);
    assert!(
        err.message()
            .contains("AllowedRoles: Unsupported role for cloud photo update settings."),
        "{}",
        err.message()
    );
    assert!(err
        .recommended_action()
        .unwrap()
        .contains("People Administrator"));
    let d = err.service().unwrap();
    assert_eq!(d.http_status, 400);
    assert_eq!(d.code.as_deref(), Some("UnknownError"));
    assert!(d.people_admin_request_id.is_some());
    let sent = env.graph_requests()[1]
        .header("client-request-id")
        .unwrap()
        .to_string();
    assert_eq!(d.client_request_id.as_deref(), Some(sent.as_str()));
    assert_eq!(env.methods(), ["GET", "PATCH"]);
    assert_eq!(env.emu.policy(TENANT), json!({"source": "cloud"}));
}

#[test]
fn partner_tier_roles_warn_but_apply() {
    let env = Env::new(Profile {
        accepted_roles: AcceptedRoles::All,
        ..Default::default()
    });
    env.emu.set_policy(TENANT, json!({"source": "cloud"}));
    let out = block_on(env.client.apply(
        &change(json!({"allowedRoles": ["PartnerTier1"], "allowServiceRefusedRoles": true})),
        &env.ctx(),
    ))
    .unwrap();
    assert!(out.applied);
    assert!(out.plan.warnings[0].contains("-AllowRefusedRole"));
    assert!(out.plan.warnings[1].contains("deprecated"));
}
