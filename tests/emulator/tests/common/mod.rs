//! Helpers shared by the emulator's integration tests.
#![allow(dead_code)]

use graph_emulator::{Emulator, Profile, TokenSpec, WRITE_PERMISSION};
use serde_json::Value;

/// The policy path.
pub const POLICY: &str = "/beta/admin/people/photoUpdateSettings";

/// An HTTP client that never reuses connections between tests' emulators.
///
/// In a `cargo test --workspace` build, cargo unifies reqwest's features with the core's
/// `rustls-no-provider`, and then a client cannot be built without a crypto provider. These tests
/// own their process, so installing ring as its default is fine here (the library never does).
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .expect("reqwest client")
}

/// A started emulator and an app token with ReadWrite for tenant `t1`.
pub async fn emu_with(profile: Profile) -> (Emulator, String) {
    let emu = Emulator::start(profile).await;
    let token = emu.mint_token(TokenSpec::app("t1", &[WRITE_PERMISSION]));
    (emu, token)
}

/// GET the policy.
pub async fn get(emu: &Emulator, token: &str) -> reqwest::Response {
    http()
        .get(format!("{}{POLICY}", emu.url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET")
}

/// PATCH the policy with a JSON body.
pub async fn patch(emu: &Emulator, token: &str, body: Value) -> reqwest::Response {
    http()
        .patch(format!("{}{POLICY}", emu.url()))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("PATCH")
}

/// Asserts a Graph error answer: status, code, both ID headers, and the innerError shape.
pub async fn assert_graph_error(resp: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(resp.status().as_u16(), status, "status");
    let rid = resp
        .headers()
        .get("request-id")
        .expect("request-id header")
        .to_str()
        .unwrap()
        .to_string();
    assert!(resp.headers().get("client-request-id").is_some());
    let body: Value = resp.json().await.expect("JSON error body");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    let inner = &body["error"]["innerError"];
    assert_eq!(inner["request-id"], rid.as_str());
    let date = inner["date"].as_str().expect("date");
    assert_eq!(date.len(), 19, "date without zone: {date}");
    assert!(chrono::NaiveDateTime::parse_from_str(date, "%Y-%m-%dT%H:%M:%S").is_ok());
    body
}
