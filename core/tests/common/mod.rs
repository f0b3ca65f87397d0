//! Helpers shared by the integration tests: an emulator plus a client pointed at it, and an event
//! collector. Calls run on the core's own runtime (`block_on`), as the ffi layer runs them: the
//! process-wide HTTP client's pooled connections belong to that runtime.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use graph_emulator::{Emulator, Profile, RecordedRequest, TokenSpec};
use photo_policy_core::client::{CallContext, PolicyClient};
use photo_policy_core::config::{ClientConfig, RetryPolicy};
use photo_policy_core::events::{Event, EventLevel, EventSink};
use serde_json::Value;
use zeroize::Zeroizing;

pub const TENANT: &str = "8a4a5f2e-3f65-4f0a-9a52-6d0c1a2b3c4d";
pub const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
pub const UA: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
pub const PA: &str = "024906de-61e5-49c8-8572-40335f1e0e10";
pub const WRITE: &str = "PeopleSettings.ReadWrite.All";

/// Collects events for assertions.
#[derive(Default)]
pub struct Collect(pub Mutex<Vec<Event>>);

impl EventSink for Collect {
    fn emit(&self, event: Event) {
        self.0.lock().unwrap().push(event);
    }
}

impl Collect {
    pub fn lines(&self, level: EventLevel) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.level == level)
            .map(|e| e.message.clone())
            .collect()
    }

    pub fn all(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.message.clone())
            .collect()
    }
}

/// Fast retries so tests do not sleep for long: 10 ms base back-off.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 5,
        max_retry_after_seconds: 120,
        budget_ms: 30_000,
        base_delay_ms: 10,
    }
}

pub fn config_for(emu: &Emulator) -> ClientConfig {
    ClientConfig {
        graph_endpoint: Some(emu.url()),
        allow_insecure_loopback: true,
        retry: fast_retry(),
        ..Default::default()
    }
}

pub struct Env {
    pub emu: Emulator,
    pub token: String,
    pub client: PolicyClient,
    pub events: Arc<Collect>,
}

impl Env {
    pub fn new(profile: Profile) -> Env {
        Self::with_token(profile, |emu| {
            emu.mint_token(TokenSpec::app(TENANT, &[WRITE]))
        })
    }

    pub fn with_token(profile: Profile, token: impl FnOnce(&Emulator) -> String) -> Env {
        let emu = Emulator::start_blocking(profile);
        let token = token(&emu);
        let client = PolicyClient::new(config_for(&emu), secret(&token)).expect("client");
        Env {
            emu,
            token,
            client,
            events: Arc::new(Collect::default()),
        }
    }

    pub fn with_config(&mut self, f: impl FnOnce(&mut ClientConfig)) {
        let mut config = config_for(&self.emu);
        f(&mut config);
        self.client = PolicyClient::new(config, secret(&self.token)).expect("client");
    }

    pub fn ctx(&self) -> CallContext {
        CallContext::with_events(self.events.clone())
    }

    /// Graph requests the emulator received (sign-in and control excluded).
    pub fn graph_requests(&self) -> Vec<RecordedRequest> {
        self.emu
            .requests()
            .into_iter()
            .filter(|r| r.route == "graph")
            .collect()
    }

    pub fn methods(&self) -> Vec<String> {
        self.graph_requests()
            .into_iter()
            .map(|r| r.method)
            .collect()
    }
}

pub fn secret(s: &str) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(s.as_bytes().to_vec())
}

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    photo_policy_core::runtime::block_on(f)
}

/// A stored policy's `allowedRoles` (as the emulator holds it), lower-cased and sorted: order and
/// GUID case do not change what the policy allows. Missing or not an array: empty.
pub fn sorted_roles(policy: &Value) -> Vec<String> {
    let mut roles: Vec<String> = policy["allowedRoles"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_lowercase))
                .collect()
        })
        .unwrap_or_default();
    roles.sort();
    roles
}
