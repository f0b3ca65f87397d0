//! Faults on demand: each kind, counts, methods and routes.

mod common;

use std::time::{Duration, Instant};

use common::*;
use graph_emulator::*;
use serde_json::{json, Value};

#[tokio::test]
async fn throttle_with_and_without_retry_after_and_counts() {
    let (emu, token) = emu_with(Profile::default()).await;
    emu.add_fault(
        Fault::new(FaultRoute::Graph, FaultKind::Throttle)
            .times(2)
            .retry_after(7),
    );
    for _ in 0..2 {
        let resp = get(&emu, &token).await;
        assert_eq!(resp.headers()["retry-after"], "7");
        assert_graph_error(resp, 429, "TooManyRequests").await;
    }
    assert_eq!(get(&emu, &token).await.status(), 200);
    emu.add_fault(Fault::new(FaultRoute::Graph, FaultKind::ThrottleNoRetryAfter).times(1));
    let resp = get(&emu, &token).await;
    assert!(resp.headers().get("retry-after").is_none());
    assert_graph_error(resp, 429, "TooManyRequests").await;
    let statuses: Vec<Option<u16>> = emu.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![Some(429), Some(429), Some(200), Some(429)]);
}

#[tokio::test]
async fn unavailable_and_gateway_timeout_then_recovery() {
    let (emu, token) = emu_with(Profile::default()).await;
    emu.add_fault(Fault::new(FaultRoute::Graph, FaultKind::Unavailable).times(1));
    emu.add_fault(Fault::new(FaultRoute::Graph, FaultKind::GatewayTimeout).times(1));
    assert_graph_error(get(&emu, &token).await, 503, "ServiceUnavailable").await;
    assert_graph_error(get(&emu, &token).await, 504, "GatewayTimeout").await;
    assert_eq!(get(&emu, &token).await.status(), 200);
}

#[tokio::test]
async fn not_found_and_forbidden_by_policy_then_recovery() {
    let (emu, token) = emu_with(Profile::default()).await;
    emu.add_fault(Fault::new(FaultRoute::Graph, FaultKind::NotFound).times(1));
    emu.add_fault(Fault::new(FaultRoute::Graph, FaultKind::ForbiddenByPolicy).times(1));
    assert_graph_error(get(&emu, &token).await, 404, "ResourceNotFound").await;
    assert_graph_error(get(&emu, &token).await, 403, "ForbiddenByAdminEditPolicy").await;
    assert_eq!(get(&emu, &token).await.status(), 200);
}

#[tokio::test]
async fn people_admin_refusal_fault_uses_the_refusal_status_and_changes_nothing() {
    let (emu, token) = emu_with(Profile::default()).await;
    emu.add_fault(
        Fault::new(FaultRoute::Graph, FaultKind::PeopleAdminRefusal)
            .method("PATCH")
            .times(1),
    );
    let resp = patch(&emu, &token, json!({"source":"cloud"})).await;
    let body = assert_graph_error(resp, 400, "UnknownError").await;
    let inner: serde_json::Value =
        serde_json::from_str(body["error"]["message"].as_str().unwrap()).unwrap();
    let validation: serde_json::Value = serde_json::from_str(
        inner["error"]["innerError"]["peopleAdminValidationError"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        validation,
        json!({"AllowedRoles": [UNSUPPORTED_ROLE_MESSAGE]})
    );
    assert_eq!(emu.policy("t1"), json!({}));

    emu.set_profile(Profile {
        refusal_status: 503,
        ..Profile::default()
    });
    emu.add_fault(
        Fault::new(FaultRoute::Graph, FaultKind::PeopleAdminRefusal)
            .times(1)
            .retry_after(2),
    );
    let resp = patch(&emu, &token, json!({"source":"cloud"})).await;
    assert_eq!(resp.headers()["retry-after"], "2");
    assert_graph_error(resp, 503, "UnknownError").await;
}

#[tokio::test]
async fn method_filter_and_route_filter() {
    let (emu, token) = emu_with(Profile::default()).await;
    emu.add_fault(Fault::new(FaultRoute::Graph, FaultKind::Unavailable).method("PATCH"));
    emu.add_fault(Fault::new(FaultRoute::Token, FaultKind::Unavailable));
    assert_eq!(get(&emu, &token).await.status(), 200);
    assert_eq!(
        patch(&emu, &token, json!({"source":"cloud"}))
            .await
            .status(),
        503
    );
    assert_eq!(
        patch(&emu, &token, json!({"source":"cloud"}))
            .await
            .status(),
        503
    );
    assert_eq!(
        emu.policy("t1"),
        json!({}),
        "a faulted PATCH changes nothing"
    );
    emu.clear_faults();
    assert_eq!(
        patch(&emu, &token, json!({"source":"cloud"}))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn latency_delays_the_answer() {
    let (emu, token) = emu_with(Profile::default()).await;
    emu.add_fault(
        Fault::new(FaultRoute::Any, FaultKind::Latency)
            .latency(400)
            .times(1),
    );
    let t = Instant::now();
    assert_eq!(get(&emu, &token).await.status(), 200);
    assert!(t.elapsed() >= Duration::from_millis(400));
}

#[tokio::test]
async fn connection_reset_drops_without_answer() {
    let (emu, token) = emu_with(Profile::default()).await;
    emu.add_fault(Fault::new(FaultRoute::Graph, FaultKind::ConnectionReset).times(1));
    let err = http()
        .get(format!("{}{POLICY}", emu.url()))
        .bearer_auth(&token)
        .send()
        .await
        .expect_err("no answer");
    assert!(!err.is_timeout(), "{err:?}");
    assert_eq!(emu.requests()[0].status, None);
    assert_eq!(get(&emu, &token).await.status(), 200);
}

#[tokio::test]
async fn truncated_and_malformed_json() {
    let (emu, token) = emu_with(Profile::default()).await;
    emu.add_fault(Fault::new(FaultRoute::Graph, FaultKind::TruncatedJson).times(1));
    let resp = get(&emu, &token).await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert!(text.starts_with("{\"@odata.context\""));
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");

    emu.add_fault(Fault::new(FaultRoute::Graph, FaultKind::MalformedJson).times(1));
    let resp = get(&emu, &token).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert!(serde_json::from_str::<Value>(&resp.text().await.unwrap()).is_err());
}

#[tokio::test]
async fn slow_body_trickles_but_arrives_whole() {
    let (emu, token) = emu_with(Profile::default()).await;
    emu.add_fault(
        Fault::new(FaultRoute::Graph, FaultKind::SlowBody)
            .latency(600)
            .times(1),
    );
    let t = Instant::now();
    let resp = get(&emu, &token).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(500));
    assert_eq!(body["source"], Value::Null);
}

#[tokio::test]
async fn faults_through_the_control_api_and_msi_route() {
    let emu = Emulator::start(Profile::default()).await;
    emu.set_managed_identity(ManagedIdentity {
        tenant_id: "t1".into(),
        ..Default::default()
    });
    let r = http()
        .post(format!("{}/_emulator/faults", emu.url()))
        .json(&json!({"route":"msi","kind":"throttle","count":1,"retryAfterSeconds":3}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let listed: Value = http()
        .get(format!("{}/_emulator/faults", emu.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["remaining"], 1);
    let q = format!("{}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://graph.microsoft.com", emu.url());
    let r = http()
        .get(&q)
        .header("Metadata", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "3");
    let r = http()
        .get(&q)
        .header("Metadata", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let bad = http()
        .post(format!("{}/_emulator/faults", emu.url()))
        .json(&json!({"route":"graph","kind":"explode"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let msg: Value = bad.json().await.unwrap();
    assert!(msg["error"].as_str().unwrap().contains("explode"));
}
