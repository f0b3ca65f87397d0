//! What a write did is reported as it is: when the answer to a PATCH is lost the policy is read
//! back (Applied / NotApplied / Unknown), and concurrent writers in one process take turns so a
//! relative role change is never lost. Emulator faults, fixed schedules, bounded time.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use graph_emulator::{Fault, FaultKind, FaultRoute, Profile};
use photo_policy_core::client::CallContext;
use photo_policy_core::error::WriteOutcome;
use photo_policy_core::limits::CallLimits;
use photo_policy_core::plan::ChangeRequest;
use serde_json::json;

fn fault(kind: FaultKind, method: &str, count: Option<u32>) -> Fault {
    let mut f = Fault::new(FaultRoute::Graph, kind);
    f.method = Some(method.into());
    f.count = count;
    f
}

/// One attempt per request: a lost answer is not retried away.
fn no_retry(env: &Env) -> CallContext {
    env.ctx().with_limits(Some(
        CallLimits::from_json(r#"{"retry":{"maxRetries":0}}"#).unwrap(),
    ))
}

fn to_on_premises() -> ChangeRequest {
    ChangeRequest::from_json(r#"{"source":"onPremises"}"#).unwrap()
}

fn start(policy: serde_json::Value) -> Env {
    let env = Env::new(Profile::default());
    env.emu.set_policy(TENANT, policy);
    env
}

#[test]
fn a_patch_applied_whose_answer_was_lost_is_applied() {
    let env = start(json!({"source": "cloud", "allowedRoles": []}));
    env.emu
        .add_fault(fault(FaultKind::ResetAfterApply, "PATCH", None));
    let outcome = block_on(env.client.apply(&to_on_premises(), &no_retry(&env))).unwrap();
    assert_eq!(outcome.outcome, Some(WriteOutcome::Applied));
    assert!(outcome.applied);
    assert_eq!(outcome.current.source.as_deref(), Some("onPremises"));
    assert_eq!(env.methods(), ["GET", "PATCH", "GET"], "read back once");
    assert_eq!(env.emu.policy(TENANT)["source"], "onPremises");
}

#[test]
fn a_patch_lost_before_it_arrived_is_not_applied() {
    let env = start(json!({"source": "cloud", "allowedRoles": []}));
    env.emu
        .add_fault(fault(FaultKind::ConnectionReset, "PATCH", None));
    let err = block_on(env.client.apply(&to_on_premises(), &no_retry(&env))).unwrap_err();
    assert_eq!(
        err.outcome(),
        Some(WriteOutcome::NotApplied),
        "{}",
        err.message()
    );
    assert!(
        err.message().contains("Outcome: NotApplied"),
        "{}",
        err.message()
    );
    assert_eq!(env.emu.policy(TENANT)["source"], "cloud");
}

#[test]
fn a_lost_answer_and_a_failed_read_back_are_unknown_with_the_instruction_to_check() {
    let env = start(json!({"source": "cloud", "allowedRoles": []}));
    // The first GET passes (a 1 ms delay uses up its fault), the PATCH is applied but its answer
    // lost, every later GET is dropped.
    let mut first_get = fault(FaultKind::Latency, "GET", Some(1));
    first_get.latency_ms = Some(1);
    env.emu.add_fault(first_get);
    env.emu
        .add_fault(fault(FaultKind::ResetAfterApply, "PATCH", Some(1)));
    env.emu
        .add_fault(fault(FaultKind::ConnectionReset, "GET", None));
    let err = block_on(env.client.apply(&to_on_premises(), &no_retry(&env))).unwrap_err();
    assert_eq!(
        err.outcome(),
        Some(WriteOutcome::Unknown),
        "{}",
        err.message()
    );
    assert!(
        err.message().contains("Outcome: Unknown"),
        "{}",
        err.message()
    );
    assert!(
        err.recommended_action()
            .unwrap_or_default()
            .contains("Get-PhotoUpdatePolicy"),
        "{:?}",
        err.recommended_action()
    );
    // The truth, which the caller is told to check: it was applied.
    assert_eq!(env.emu.policy(TENANT)["source"], "onPremises");
}

#[test]
fn a_success_with_a_cut_body_is_read_back_and_applied() {
    let env = start(json!({"source": "cloud", "allowedRoles": []}));
    env.emu
        .add_fault(fault(FaultKind::TruncatedJson, "PATCH", Some(1)));
    let outcome = block_on(env.client.apply(&to_on_premises(), &env.ctx())).unwrap();
    assert_eq!(outcome.outcome, Some(WriteOutcome::Applied));
    assert_eq!(outcome.current.source.as_deref(), Some("onPremises"));
}

#[test]
fn a_refused_patch_is_not_applied() {
    let env = start(json!({"source": "cloud", "allowedRoles": []}));
    env.emu
        .add_fault(fault(FaultKind::NotFound, "PATCH", Some(1)));
    let err = block_on(env.client.apply(&to_on_premises(), &env.ctx())).unwrap_err();
    assert_eq!(err.outcome(), Some(WriteOutcome::NotApplied));
}

#[test]
fn concurrent_role_additions_in_one_process_are_never_lost() {
    // Ten rounds (a fixed schedule): three writers at once, each adding its own role.
    let env = start(json!({"source": "cloud", "allowedRoles": []}));
    let client = Arc::new(env.client);
    for round in 0..10 {
        env.emu
            .set_policy(TENANT, json!({"source": "cloud", "allowedRoles": []}));
        let writers: Vec<_> = [GA, UA, PA]
            .into_iter()
            .map(|role| {
                let client = client.clone();
                std::thread::spawn(move || {
                    let change =
                        ChangeRequest::from_json(&format!(r#"{{"addAllowedRoles":["{role}"]}}"#))
                            .unwrap();
                    block_on(client.apply(&change, &CallContext::new())).map(|o| o.outcome)
                })
            })
            .collect();
        for w in writers {
            assert_eq!(w.join().unwrap().unwrap(), Some(WriteOutcome::Applied));
        }
        let mut expected = vec![GA, UA, PA];
        expected.sort();
        assert_eq!(
            sorted_roles(&env.emu.policy(TENANT)),
            expected,
            "round {round}"
        );
    }
}

#[test]
fn another_writer_between_the_patch_and_the_read_back_is_noticed_and_the_change_reapplied() {
    let env = start(json!({"source": "cloud", "allowedRoles": [GA]}));
    // The plan's GET passes; the read-back after the PATCH waits 600 ms, during which another
    // writer (outside this process) replaces the roles.
    let mut first_get = fault(FaultKind::Latency, "GET", Some(1));
    first_get.latency_ms = Some(1);
    env.emu.add_fault(first_get);
    let mut slow_read_back = fault(FaultKind::Latency, "GET", Some(1));
    slow_read_back.latency_ms = Some(600);
    env.emu.add_fault(slow_read_back);
    let change = ChangeRequest::from_json(&format!(r#"{{"addAllowedRoles":["{PA}"]}}"#)).unwrap();
    let outcome = std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(300));
            env.emu
                .set_policy(TENANT, json!({"source": "cloud", "allowedRoles": [UA]}));
        });
        block_on(env.client.apply(&change, &env.ctx())).unwrap()
    });
    assert_eq!(outcome.outcome, Some(WriteOutcome::Applied));
    let mut expected = vec![UA, PA];
    expected.sort();
    assert_eq!(
        sorted_roles(&env.emu.policy(TENANT)),
        expected,
        "re-applied on top"
    );
    assert!(
        env.events
            .all()
            .iter()
            .any(|l| l.contains("Another writer changed the policy")),
        "{:?}",
        env.events.all()
    );
    assert_eq!(env.methods(), ["GET", "PATCH", "GET", "PATCH", "GET"]);
}

#[test]
fn relative_changes_planned_before_a_confirmation_are_planned_anew_in_their_turn() {
    // The Set path: every writer plans (reads) first, then all write; none may drop another's role.
    let env = start(json!({"source": "cloud", "allowedRoles": []}));
    let client = Arc::new(env.client);
    let planned: Vec<_> = [GA, UA, PA]
        .into_iter()
        .map(|role| {
            let change =
                ChangeRequest::from_json(&format!(r#"{{"addAllowedRoles":["{role}"]}}"#)).unwrap();
            block_on(client.begin_change(&change, &CallContext::new())).unwrap()
        })
        .collect();
    let writers: Vec<_> = planned
        .into_iter()
        .map(|p| {
            let client = client.clone();
            std::thread::spawn(move || {
                block_on(client.apply_planned(&p, false, &CallContext::new())).map(|o| o.outcome)
            })
        })
        .collect();
    for w in writers {
        assert_eq!(w.join().unwrap().unwrap(), Some(WriteOutcome::Applied));
    }
    let mut expected = vec![GA, UA, PA];
    expected.sort();
    assert_eq!(sorted_roles(&env.emu.policy(TENANT)), expected);
}
