//! Fleet runs against the Graph emulator: many tenants, each with its own token, some throttled,
//! some failing; each reported correctly and every succeeded tenant in the desired state.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{sorted_roles, Collect, GA, PA};
use graph_emulator::{Emulator, Fault, FaultKind, FaultRoute, Profile, TokenSpec};
use photo_policy_core::client::{CallContext, PolicyClient};
use photo_policy_core::config::{ClientConfig, RetryPolicy};
use photo_policy_core::events::EventLevel;
use photo_policy_core::fleet::{self, FleetRequest, TenantStatus};
use photo_policy_core::runtime::block_on;
use photo_policy_core::ErrorKind;
use serde_json::{json, Value};
use zeroize::Zeroizing;

fn tenant(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

fn client(emu: &Emulator, tenant: &str, token: String) -> PolicyClient {
    let config = ClientConfig {
        tenant_id: Some(tenant.to_string()),
        graph_endpoint: Some(emu.url()),
        allow_insecure_loopback: true,
        retry: RetryPolicy {
            base_delay_ms: 10,
            ..RetryPolicy::default()
        },
        ..ClientConfig::default()
    };
    PolicyClient::new(config, Zeroizing::new(token.into_bytes())).unwrap()
}

fn request(operation: &str, concurrency: usize) -> FleetRequest {
    FleetRequest::from_json(
        &json!({
            "operation": operation,
            "desired": {"schemaVersion": 1, "source": "cloud", "allowedRoles": ["People Administrator", GA]},
            "concurrency": concurrency
        })
        .to_string(),
    )
    .unwrap()
}

fn in_desired_state(emu: &Emulator, tenant: &str) -> bool {
    let p = emu.policy(tenant);
    let roles = sorted_roles(&p);
    let mut want = vec![GA.to_string(), PA.to_string()];
    want.sort();
    p["source"] == json!("cloud") && roles == want
}

#[test]
fn fifty_tenants_throttled_and_failing_are_each_reported_and_the_rest_converge() {
    let emu = Emulator::start_blocking(Profile::default());
    let mut clients = Vec::new();
    let mut expected: Vec<&str> = Vec::new();
    for i in 0..50 {
        let t = tenant(i);
        let token = match i % 10 {
            // Read-only app: the permission pre-flight refuses the write before anything is sent.
            3 => {
                expected.push("forbidden");
                emu.mint_token(TokenSpec::app(&t, &["PeopleSettings.Read.All"]))
            }
            // Expired token: Graph answers 401.
            7 => {
                expected.push("auth");
                emu.mint_token(
                    TokenSpec::app(&t, &["PeopleSettings.ReadWrite.All"]).expires_in(-600),
                )
            }
            _ => {
                expected.push("ok");
                emu.mint_token(TokenSpec::app(&t, &["PeopleSettings.ReadWrite.All"]))
            }
        };
        // Tenants 0, 10, 20 … already match; the rest start elsewhere.
        if i % 10 == 0 {
            emu.set_policy(&t, json!({"source": "cloud", "allowedRoles": [PA, GA]}));
        } else {
            emu.set_policy(&t, json!({"source": "onPremises", "allowedRoles": []}));
        }
        clients.push(client(&emu, &t, token));
    }
    // The first GETs are throttled with Retry-After: 1; those tenants wait and retry on their own.
    emu.add_fault(
        Fault::new(FaultRoute::Graph, FaultKind::Throttle)
            .method("GET")
            .retry_after(1)
            .times(6),
    );

    let events = Arc::new(Collect::default());
    let ctx = CallContext::with_events(events.clone());
    let refs: Vec<&PolicyClient> = clients.iter().collect();
    let report = block_on(fleet::run(&refs, &request("apply", 8), &ctx)).unwrap();

    assert_eq!(report.results.len(), 50);
    for (i, r) in report.results.iter().enumerate() {
        let t = tenant(i);
        assert_eq!(r.index, i);
        assert_eq!(r.tenant_id.as_deref(), Some(t.as_str()));
        match expected[i] {
            "forbidden" => {
                assert_eq!(r.status, TenantStatus::Failed, "{t}");
                let e = r.error.as_ref().unwrap();
                assert_eq!(
                    e.kind(),
                    ErrorKind::PermissionDenied,
                    "{t}: {}",
                    e.message()
                );
                assert!(e.service().is_none(), "{t}: refused before sending");
                assert!(e.message().contains("PeopleSettings.ReadWrite.All"), "{t}");
                assert_eq!(
                    emu.policy(&t)["source"],
                    json!("onPremises"),
                    "{t} untouched"
                );
            }
            "auth" => {
                assert_eq!(r.status, TenantStatus::Failed, "{t}");
                assert_eq!(r.error.as_ref().unwrap().kind(), ErrorKind::Authentication);
            }
            _ if i % 10 == 0 => {
                assert_eq!(r.status, TenantStatus::Unchanged, "{t}");
                assert!(r.differences.is_empty());
                assert!(r.error.is_none());
            }
            _ => {
                assert_eq!(r.status, TenantStatus::Changed, "{t}: {:?}", r.error);
                assert_eq!(r.differences.len(), 2);
                assert!(in_desired_state(&emu, &t), "{t}: {}", emu.policy(&t));
            }
        }
        if expected[i] == "ok" {
            assert!(in_desired_state(&emu, &t), "{t}: {}", emu.policy(&t));
        }
    }
    let s = &report.summary;
    assert_eq!(
        (s.total, s.changed, s.unchanged, s.failed),
        (50, 35, 5, 10),
        "{s:?}"
    );
    assert_eq!(s.concurrency, 8);

    // The throttling really happened, and those requests were retried.
    let throttled = emu
        .requests()
        .iter()
        .filter(|r| r.status == Some(429))
        .count();
    assert_eq!(throttled, 6);
    assert!(report
        .results
        .iter()
        .any(|r| r.requests >= 3 && r.error.is_none()));

    // One progress event per tenant (plus the start), ending at 100 %.
    let progress: Vec<Value> = events
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.level == EventLevel::Progress)
        .map(|e| serde_json::from_str(&e.message).unwrap())
        .collect();
    assert_eq!(progress.len(), 51);
    let last = progress.last().unwrap();
    assert_eq!(
        (
            last["completed"].clone(),
            last["total"].clone(),
            last["percent"].clone()
        ),
        (json!(50), json!(50), json!(100))
    );
    // The 24-hour notice is said once, not 30 times.
    let notices = events
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.level == EventLevel::Warning && e.message.contains("24 hours"))
        .count();
    assert_eq!(notices, 1);
}

#[test]
fn a_fleet_test_reports_compliant_drifted_and_failed_without_writing() {
    let emu = Emulator::start_blocking(Profile::default());
    let mut clients = Vec::new();
    for i in 0..6 {
        let t = tenant(100 + i);
        let token = if i == 5 {
            // An expired token: refused with 401.
            emu.mint_token(TokenSpec::app(&t, &["PeopleSettings.Read.All"]).expires_in(-600))
        } else {
            emu.mint_token(TokenSpec::app(&t, &["PeopleSettings.Read.All"]))
        };
        let roles = if i % 2 == 0 {
            json!([GA.to_uppercase(), PA])
        } else {
            json!([GA])
        };
        emu.set_policy(&t, json!({"source": "cloud", "allowedRoles": roles}));
        clients.push(client(&emu, &t, token));
    }
    emu.clear_requests();
    let refs: Vec<&PolicyClient> = clients.iter().collect();
    let report = block_on(fleet::run(&refs, &request("test", 3), &CallContext::new())).unwrap();
    let statuses: Vec<_> = report.results.iter().map(|r| r.status).collect();
    use TenantStatus::*;
    assert_eq!(
        statuses,
        [Compliant, Drifted, Compliant, Drifted, Compliant, Failed]
    );
    let d = &report.results[1].differences;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].property, "allowedRoles");
    assert_eq!(d[0].actual, json!(["Global Administrator"]));
    assert_eq!(report.summary.compliant, 3);
    assert_eq!(report.summary.drifted, 2);
    assert_eq!(report.summary.failed, 1);
    assert!(emu.requests().iter().all(|r| r.method == "GET"));
}

#[test]
fn concurrency_is_bounded_and_cancellation_stops_every_tenant() {
    let emu = Emulator::start_blocking(Profile::default());
    let clients: Vec<PolicyClient> = (0..12)
        .map(|i| {
            let t = tenant(200 + i);
            let token = emu.mint_token(TokenSpec::app(&t, &["PeopleSettings.Read.All"]));
            client(&emu, &t, token)
        })
        .collect();
    let refs: Vec<&PolicyClient> = clients.iter().collect();
    emu.add_fault(Fault::new(FaultRoute::Graph, FaultKind::Latency).latency(150));

    // 12 tenants, 3 at a time, 150 ms each: at least 4 rounds.
    let started = Instant::now();
    let report = block_on(fleet::run(&refs, &request("test", 3), &CallContext::new())).unwrap();
    assert!(started.elapsed() >= Duration::from_millis(4 * 150));
    assert_eq!(report.summary.drifted, 12);

    emu.clear_faults();
    emu.add_fault(Fault::new(FaultRoute::Graph, FaultKind::Latency).latency(10_000));
    let ctx = CallContext::new();
    let cancel = ctx.cancel.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        cancel.cancel();
    });
    let started = Instant::now();
    let err = block_on(fleet::run(&refs, &request("test", 12), &ctx)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn bad_fleet_requests_are_refused_with_the_field_named() {
    let bad = |v: Value| FleetRequest::from_json(&v.to_string()).unwrap_err();
    let e = bad(json!({"operation": "fix", "desired": {"schemaVersion": 1, "source": null}}));
    assert_eq!(e.kind(), ErrorKind::InvalidJson);
    assert!(e.message().contains("fix"), "{}", e.message());
    let e = bad(
        json!({"operation": "test", "desired": {"schemaVersion": 1, "source": null}, "concurrency": 0}),
    );
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("concurrency 0"), "{}", e.message());
    let e = bad(json!({"operation": "test", "desired": {"schemaVersion": 9, "source": null}}));
    assert!(e.message().contains("schemaVersion 9"), "{}", e.message());
    let e = bad(
        json!({"operation": "test", "desired": {"schemaVersion": 1, "source": null}, "backupFolder": "x"}),
    );
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

fn stop_request(stop_on_failure: bool) -> FleetRequest {
    FleetRequest::from_json(
        &json!({
            "operation": "apply",
            "desired": {"schemaVersion": 1, "source": "cloud", "allowedRoles": [GA]},
            "concurrency": 1,
            "stopOnFailure": stop_on_failure
        })
        .to_string(),
    )
    .unwrap()
}

#[test]
fn stop_on_failure_starts_no_more_tenants_and_reports_each_one_as_it_finishes() {
    let emu = Emulator::start_blocking(Profile::default());
    // Four tenants, one at a time; the second has a read-only token (refused before sending).
    let clients: Vec<PolicyClient> = (0..4)
        .map(|i| {
            let t = tenant(300 + i);
            let permission = if i == 1 {
                "PeopleSettings.Read.All"
            } else {
                "PeopleSettings.ReadWrite.All"
            };
            let token = emu.mint_token(TokenSpec::app(&t, &[permission]));
            client(&emu, &t, token)
        })
        .collect();
    let refs: Vec<&PolicyClient> = clients.iter().collect();
    let reported = std::sync::Mutex::new(Vec::new());
    let on_done = |r: &fleet::TenantResult| reported.lock().unwrap().push((r.index, r.status));
    let report = block_on(fleet::run_reporting(
        &refs,
        &stop_request(true),
        &CallContext::new(),
        &on_done,
    ))
    .unwrap();

    let statuses: Vec<TenantStatus> = report.results.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        vec![
            TenantStatus::Changed,
            TenantStatus::Failed,
            TenantStatus::NotStarted,
            TenantStatus::NotStarted
        ]
    );
    assert_eq!(report.summary.changed, 1);
    assert_eq!(report.summary.failed, 1);
    assert_eq!(report.summary.not_started, 2);
    // Every tenant was reported once, as it finished, before the report was complete.
    assert_eq!(
        *reported.lock().unwrap(),
        vec![
            (0, TenantStatus::Changed),
            (1, TenantStatus::Failed),
            (2, TenantStatus::NotStarted),
            (3, TenantStatus::NotStarted)
        ]
    );
    assert!(in_desired_state_ga(&emu, &tenant(300)));
    // Not started: nothing was read or written there.
    for i in [302, 303] {
        assert_eq!(emu.policy(&tenant(i)), json!({}), "tenant {i} was touched");
        assert_eq!(report.results[i - 300].requests, 0);
    }

    // Without stopOnFailure the failure stops nothing (the default).
    let report = block_on(fleet::run(&refs, &stop_request(false), &CallContext::new())).unwrap();
    assert_eq!(report.summary.failed, 1);
    assert_eq!(report.summary.not_started, 0);
}

fn in_desired_state_ga(emu: &Emulator, tenant: &str) -> bool {
    let p = emu.policy(tenant);
    p["source"] == json!("cloud") && sorted_roles(&p) == vec![GA.to_string()]
}

#[test]
fn a_stop_lets_tenants_in_flight_finish_and_starts_no_more() {
    let emu = Emulator::start_blocking(Profile::default());
    let clients: Vec<PolicyClient> = (0..6)
        .map(|i| {
            let t = tenant(400 + i);
            let token = emu.mint_token(TokenSpec::app(&t, &["PeopleSettings.ReadWrite.All"]));
            client(&emu, &t, token)
        })
        .collect();
    let refs: Vec<&PolicyClient> = clients.iter().collect();
    // Each request takes 300 ms; two tenants at a time; stop after 100 ms (first two in flight).
    emu.add_fault(Fault::new(FaultRoute::Graph, FaultKind::Latency).latency(300));
    let mut request = stop_request(false);
    request.concurrency = 2;
    let ctx = CallContext::new();
    let stop = ctx.stop.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        stop.cancel();
    });
    let report = block_on(fleet::run(&refs, &request, &ctx)).unwrap();
    let statuses: Vec<TenantStatus> = report.results.iter().map(|r| r.status).collect();
    // The two in flight were finished (changed, read back), not cut off; the others never began.
    assert_eq!(
        &statuses[..2],
        &[TenantStatus::Changed, TenantStatus::Changed]
    );
    assert!(statuses[2..].iter().all(|s| *s == TenantStatus::NotStarted));
    for i in 0..6 {
        assert_eq!(in_desired_state_ga(&emu, &tenant(400 + i)), i < 2);
    }
}

#[test]
fn a_planned_fleet_apply_reads_each_tenant_once_and_writes_the_confirmed_plans() {
    let emu = Emulator::start_blocking(Profile::default());
    let rw = ["PeopleSettings.ReadWrite.All"];
    let clients: Vec<PolicyClient> = (0..3)
        .map(|i| {
            let t = tenant(i);
            client(&emu, &t, emu.mint_token(TokenSpec::app(&t, &rw)))
        })
        .collect();
    // Tenant 2 already matches.
    emu.set_policy(
        &tenant(2),
        json!({"source": "cloud", "allowedRoles": [PA, GA]}),
    );
    let refs: Vec<&PolicyClient> = clients.iter().collect();
    let planned = block_on(fleet::plan_reporting(
        &refs,
        &request("apply", 2),
        &CallContext::new(),
        &|_| {},
    ))
    .unwrap();
    let statuses: Vec<TenantStatus> = planned.report.results.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            TenantStatus::Drifted,
            TenantStatus::Drifted,
            TenantStatus::Compliant
        ]
    );
    assert!(planned.planned.iter().all(Option::is_some));
    let methods = |emu: &Emulator| -> Vec<String> {
        emu.requests()
            .into_iter()
            .filter(|r| r.route == "graph")
            .map(|r| r.method)
            .collect()
    };
    assert_eq!(methods(&emu), ["GET", "GET", "GET"]);

    // Only tenant 0 is confirmed: one PATCH, no second read; tenant 1 stays as it was.
    emu.clear_requests();
    let plan0 = planned.planned[0].as_ref().unwrap();
    let report = block_on(fleet::apply_plans_reporting(
        &refs[..1],
        &[plan0],
        &request("apply", 2),
        false,
        &CallContext::new(),
        &|_| {},
    ))
    .unwrap();
    assert_eq!(report.results[0].status, TenantStatus::Changed);
    assert_eq!(report.results[0].requests, 2);
    assert_eq!(methods(&emu), ["PATCH"]);
    assert!(in_desired_state(&emu, &tenant(0)));
    assert!(!in_desired_state(&emu, &tenant(1)));

    // Read again first when asked (a person answered prompts meanwhile).
    emu.clear_requests();
    let plan1 = planned.planned[1].as_ref().unwrap();
    let report = block_on(fleet::apply_plans_reporting(
        &refs[1..2],
        &[plan1],
        &request("apply", 2),
        true,
        &CallContext::new(),
        &|_| {},
    ))
    .unwrap();
    assert_eq!(report.results[0].status, TenantStatus::Changed);
    assert_eq!(methods(&emu), ["GET", "PATCH"]);
    assert!(in_desired_state(&emu, &tenant(1)));

    // One plan per client, or nothing runs.
    let err = block_on(fleet::apply_plans_reporting(
        &refs,
        &[plan0],
        &request("apply", 2),
        false,
        &CallContext::new(),
        &|_| {},
    ))
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}
