//! Shared helpers for the sign-in tests (`auth_*.rs`): an emulator-backed client config, an
//! event recorder, and fixture loading. Every request goes to the in-process emulator on
//! 127.0.0.1; nothing here can reach a real service or 169.254.169.254.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use graph_emulator::{Emulator, Profile, RecordedRequest};
use photo_policy_core::auth::context::SignInContext;
use photo_policy_core::auth::{AccessToken, AuthConfig, TokenSource};
use photo_policy_core::cloud::Cloud;
use photo_policy_core::config::ClientConfig;
use photo_policy_core::events::{Event, EventLevel, EventSink, Events};
use photo_policy_core::Result;
use tokio_util::sync::CancellationToken;

/// The tenant every test signs in to.
pub const TENANT: &str = "11111111-2222-3333-4444-555555555555";
/// An app registered by the tests.
pub const CLIENT_ID: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
/// Its client secret (test value).
pub const SECRET: &str = "test-only-secret~value";

/// Starts an emulator with the default profile.
pub fn emulator() -> Emulator {
    Emulator::start_blocking(Profile::default())
}

/// A config pointing sign-in at the emulator (loopback http explicitly allowed).
pub fn config(emu: &Emulator, cloud: Cloud, auth: AuthConfig) -> ClientConfig {
    ClientConfig {
        cloud,
        tenant_id: Some(TENANT.into()),
        graph_endpoint: Some(emu.url()),
        authority_endpoint: Some(emu.url()),
        allow_insecure_loopback: true,
        auth,
        ..Default::default()
    }
}

/// A sign-in context for `config` using the process-wide HTTP client.
pub fn context(config: &ClientConfig) -> SignInContext {
    SignInContext::from_config(config, photo_policy_core::runtime::http_client().clone()).unwrap()
}

/// Records every event.
#[derive(Default)]
pub struct Recorder(pub Mutex<Vec<Event>>);

impl EventSink for Recorder {
    fn emit(&self, event: Event) {
        self.0.lock().unwrap().push(event);
    }
}

impl Recorder {
    /// Messages of one level.
    pub fn messages(&self, level: EventLevel) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.level == level)
            .map(|e| e.message.clone())
            .collect()
    }

    /// Every message, any level, joined (to search for leaks).
    pub fn all_text(&self) -> String {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A recorder and the same recorder as an `Events` handle.
pub fn recorder() -> (Arc<Recorder>, Events) {
    let r = Arc::new(Recorder::default());
    let events: Events = r.clone();
    (r, events)
}

/// Gets a token on the core's runtime (as the ffi does).
pub fn token(source: &dyn TokenSource, events: &Events) -> Result<AccessToken> {
    let cancel = CancellationToken::new();
    let call = photo_policy_core::call_context::CallContext {
        cancel,
        stop: Default::default(),
        events: events.clone(),
        limits: None,
    };
    photo_policy_core::runtime::block_on(source.token(&call))
}

/// Requests the emulator logged on a route family (`token`, `msi`, `graph`).
pub fn requests_on(emu: &Emulator, route: &str) -> Vec<RecordedRequest> {
    emu.requests()
        .into_iter()
        .filter(|r| r.route == route)
        .collect()
}

/// A fixture's path.
pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A fixture's bytes.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// A fixture as text.
pub fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).unwrap()
}

/// The claims of a JWT, decoded without verification (test inspection only).
pub fn jwt_part(token: &str, index: usize) -> serde_json::Value {
    use base64::Engine as _;
    let part = token.split('.').nth(index).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

/// The error of a factory call that must fail (token sources have no `Debug` through `dyn`).
pub fn build_error(r: photo_policy_core::Result<Arc<dyn TokenSource>>) -> photo_policy_core::Error {
    match r {
        Ok(_) => panic!("expected the token source to be refused"),
        Err(e) => e,
    }
}
