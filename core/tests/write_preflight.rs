//! The write pre-flight, end to end against the emulator: a token that certainly may not change
//! the policy is refused by every call that leads to a change before anything is sent to Graph
//! (the emulator's request log stays empty); a token that can only be suspected goes ahead with
//! a warning; a preview (-WhatIf) reads anyway and warns that the change would be refused.

mod common;

use common::*;
use graph_emulator::{Emulator, Profile, TokenSpec};
use photo_policy_core::events::EventLevel;
use photo_policy_core::fleet::{self, FleetRequest, TenantStatus};
use photo_policy_core::plan::ChangeRequest;
use photo_policy_core::ErrorKind;
use serde_json::json;

const READ: &str = "PeopleSettings.Read.All";
const HELPDESK: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";
const GLOBAL_READER: &str = "f2ef992c-3afb-46b9-b7cf-a126ee74c451";

fn change() -> ChangeRequest {
    ChangeRequest::from_json(r#"{"source":"cloud"}"#).unwrap()
}

fn fleet_request(operation: &str) -> FleetRequest {
    let request = json!({
        "operation": operation,
        "desired": {"schemaVersion": 1, "source": "cloud"},
    });
    FleetRequest::from_json(&request.to_string()).unwrap()
}

/// Mints a token from the emulator.
type Mint = fn(&Emulator) -> String;

/// Tokens that certainly may not change the policy, by what the token shows.
fn refused_tokens() -> Vec<(&'static str, Mint)> {
    vec![
        ("an app token with the read permission only", |emu| {
            emu.mint_token(TokenSpec::app(TENANT, &[READ]))
        }),
        ("a delegated token without the write scope", |emu| {
            emu.mint_token(TokenSpec::delegated(TENANT, READ, &[PA]))
        }),
        (
            "a delegated token whose wids hold no managing role",
            |emu| {
                emu.mint_token(TokenSpec::delegated(
                    TENANT,
                    WRITE,
                    &[HELPDESK, GLOBAL_READER],
                ))
            },
        ),
        ("a delegated token whose wids claim is empty", |emu| {
            emu.mint_token(TokenSpec::delegated(TENANT, WRITE, &[]))
        }),
    ]
}

#[test]
fn every_call_that_changes_the_policy_refuses_a_token_that_cannot_before_any_request() {
    for (case, token) in refused_tokens() {
        let env = Env::with_token(Profile::default(), token);
        env.emu.set_policy(TENANT, json!({"source": "onPremises"}));
        let refusals = [
            (
                "apply",
                block_on(env.client.apply(&change(), &env.ctx())).unwrap_err(),
            ),
            (
                "begin_change",
                block_on(env.client.begin_change(&change(), &env.ctx())).unwrap_err(),
            ),
            ("reset", block_on(env.client.reset(&env.ctx())).unwrap_err()),
            (
                "begin_reset",
                block_on(env.client.begin_reset(&Default::default(), &env.ctx())).unwrap_err(),
            ),
        ];
        for (call, e) in refusals {
            assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{case}, {call}: {e}");
            assert!(e.service().is_none(), "{case}, {call}: nothing was sent");
            assert!(e.recommended_action().is_some(), "{case}, {call}");
        }
        assert!(
            env.methods().is_empty(),
            "{case}: requests sent: {:?}",
            env.methods()
        );
        // A refused tenant is a failure of that tenant in a fleet run, with no request either:
        // the apply, and the plans an import makes before its confirmation.
        let request = fleet_request("apply");
        let applied = block_on(fleet::run(&[&env.client], &request, &env.ctx())).unwrap();
        let planned = block_on(fleet::plan_reporting(
            &[&env.client],
            &request,
            &env.ctx(),
            &|_| {},
        ))
        .unwrap();
        assert!(
            planned.planned[0].is_none(),
            "{case}: no plan for a refused tenant"
        );
        for report in [applied, planned.report] {
            let result = &report.results[0];
            assert_eq!(result.status, TenantStatus::Failed, "{case}");
            assert_eq!(
                result.error.as_ref().unwrap().kind(),
                ErrorKind::PermissionDenied,
                "{case}"
            );
            assert_eq!(result.requests, 0, "{case}");
            assert_eq!(report.summary.failed, 1, "{case}");
        }
        assert!(env.methods().is_empty(), "{case}: {:?}", env.methods());
        assert_eq!(
            env.emu.policy(TENANT),
            json!({"source": "onPremises"}),
            "{case}"
        );
    }
}

#[test]
fn a_preview_reads_and_warns_that_the_change_would_be_refused() {
    let env = Env::with_token(Profile::default(), |emu| {
        emu.mint_token(TokenSpec::app(TENANT, &[READ]))
    });
    let plan = block_on(env.client.plan(&change(), &env.ctx())).unwrap();
    assert!(plan.has_changes);
    assert_eq!(env.methods(), ["GET"]);
    let warnings = env.events.lines(EventLevel::Warning);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("PeopleSettings.ReadWrite.All")
            && warnings[0].contains("would be refused"),
        "{}",
        warnings[0]
    );

    // A plain test (Test-PhotoUpdatePolicy) has nothing to do with writing: no warning.
    let quiet = Env::with_token(Profile::default(), |emu| {
        emu.mint_token(TokenSpec::app(TENANT, &[READ]))
    });
    let report = block_on(fleet::run(
        &[&quiet.client],
        &fleet_request("test"),
        &quiet.ctx(),
    ))
    .unwrap();
    assert_eq!(report.results[0].status, TenantStatus::Drifted);
    assert!(quiet.events.lines(EventLevel::Warning).is_empty());
}

#[test]
fn what_can_only_be_suspected_goes_ahead_with_a_warning() {
    // A delegated token without a wids claim: the user's roles are not in the token.
    let env = Env::with_token(Profile::default(), |emu| {
        emu.mint_token(TokenSpec::delegated(TENANT, WRITE, &[]).without_wids())
    });
    let result = block_on(env.client.begin_change(&change(), &env.ctx()));
    // The emulator cannot see the user's roles either, and refuses the read: what matters
    // here is that the request went out, after a warning.
    assert_eq!(env.methods(), ["GET"], "{result:?}");
    let warnings = env.events.lines(EventLevel::Warning);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("wids") && warnings[0].contains("People Administrator"),
        "{}",
        warnings[0]
    );

    // An opaque token: nothing can be read from it.
    let env = Env::with_token(Profile::default(), |_| "EwBwA8l6BAAU-opaque".to_string());
    let result = block_on(env.client.apply(&change(), &env.ctx()));
    assert_eq!(result.unwrap_err().kind(), ErrorKind::Authentication);
    assert_eq!(env.methods(), ["GET"]);
    let warnings = env.events.lines(EventLevel::Warning);
    assert!(
        warnings.iter().any(|w| w.contains("cannot be read")),
        "{warnings:?}"
    );
    assert!(!warnings.iter().any(|w| w.contains("EwBwA8l6BAAU")));
}

#[test]
fn a_token_that_may_change_the_policy_passes_without_a_word() {
    for token in [
        TokenSpec::app(TENANT, &[WRITE]),
        TokenSpec::delegated(TENANT, WRITE, &[PA]),
        TokenSpec::delegated(TENANT, &format!("User.Read {WRITE}"), &[HELPDESK, GA]),
    ] {
        let env = Env::with_token(Profile::default(), |emu| emu.mint_token(token.clone()));
        let outcome = block_on(env.client.apply(&change(), &env.ctx())).unwrap();
        assert!(outcome.applied);
        let warnings = env.events.lines(EventLevel::Warning);
        // Only the propagation notice of a write.
        assert_eq!(warnings.len(), 1, "{token:?}: {warnings:?}");
        assert!(warnings[0].contains("24 hours"), "{}", warnings[0]);
    }
}
