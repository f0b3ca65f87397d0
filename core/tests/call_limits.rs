//! Per-call limits (`CallContext::limits`): one call of a shared client gets its own timeouts and
//! retry policy; the client and later calls keep theirs.

mod common;

use std::time::{Duration, Instant};

use common::*;
use graph_emulator::{App, Fault, FaultKind, FaultRoute, Profile};
use photo_policy_core::auth::AuthConfig;
use photo_policy_core::client::PolicyClient;
use photo_policy_core::config::ClientConfig;
use photo_policy_core::limits::CallLimits;
use photo_policy_core::settings::{self, Setting};
use photo_policy_core::ErrorKind;

fn limits(json: &str) -> Option<CallLimits> {
    Some(CallLimits::from_json(json).expect("valid limits"))
}

fn graph_fault(kind: FaultKind, count: u32) -> Fault {
    let mut f = Fault::new(FaultRoute::Graph, kind);
    f.count = Some(count);
    f
}

#[test]
fn a_per_call_total_timeout_overrides_the_client_and_only_for_that_call() {
    // The client keeps the default 100 s total timeout.
    let env = Env::new(Profile::default());
    let mut f = graph_fault(FaultKind::Latency, 2);
    f.latency_ms = Some(1_500);
    env.emu.add_fault(f);

    let ctx = env
        .ctx()
        .with_limits(limits(r#"{"timeouts":{"totalMs":300}}"#));
    let started = Instant::now();
    let err = block_on(env.client.get(&ctx)).unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(1_400));
    assert_eq!(err.kind(), ErrorKind::Timeout, "{}", err.message());
    assert!(err.message().contains("totalMs = 300"), "{}", err.message());

    // The next call without limits waits the latency out: the client was not changed.
    let view = block_on(env.client.get(&env.ctx())).unwrap();
    assert!(view.is_default());
}

#[test]
fn per_call_max_retries_zero_sends_one_request() {
    // The client would retry 5 times.
    let env = Env::new(Profile::default());
    env.emu
        .add_fault(Fault::new(FaultRoute::Graph, FaultKind::Unavailable));
    let ctx = env
        .ctx()
        .with_limits(limits(r#"{"retry":{"maxRetries":0}}"#));
    let err = block_on(env.client.get(&ctx)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceUnavailable);
    assert!(
        err.message().contains("retry.maxRetries = 0"),
        "{}",
        err.message()
    );
    // Cmdlet users read the parameter instead, from the same table.
    let for_cmdlets = settings::for_cmdlets(err.message());
    assert!(for_cmdlets.contains("(-MaxRetries 0)"), "{for_cmdlets}");
    assert!(!for_cmdlets.contains("retry."), "{for_cmdlets}");
    assert_eq!(settings::mentioned(err.message()), [Setting::MaxRetries]);
    assert_eq!(env.methods(), ["GET"]);

    // Without limits the same client retries.
    let err = block_on(env.client.get(&env.ctx())).unwrap_err();
    assert!(
        err.message().contains("retry.maxRetries = 5"),
        "{}",
        err.message()
    );
    assert_eq!(env.methods().len(), 1 + 6);
}

#[test]
fn a_per_call_retry_budget_stops_a_long_retry_after() {
    let env = Env::new(Profile::default());
    let mut f = graph_fault(FaultKind::Throttle, 5);
    f.retry_after_seconds = Some(30);
    env.emu.add_fault(f);
    let ctx = env
        .ctx()
        .with_limits(limits(r#"{"retry":{"budgetMs":2000}}"#));
    let started = Instant::now();
    let err = block_on(env.client.get(&ctx)).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(err.kind(), ErrorKind::Throttled);
    assert!(
        err.message().contains("retry.budgetMs = 2000"),
        "{}",
        err.message()
    );
    // Milliseconds in the config, seconds for the cmdlet parameter.
    let for_cmdlets = settings::for_cmdlets(err.message());
    assert!(
        for_cmdlets.contains("would exceed -RetryBudgetSec 2 "),
        "{for_cmdlets}"
    );
}

#[test]
fn a_per_call_connect_timeout_uses_its_own_pool_and_still_works() {
    let env = Env::new(Profile::default());
    let ctx = env
        .ctx()
        .with_limits(limits(r#"{"timeouts":{"connectMs":4321}}"#));
    assert!(block_on(env.client.get(&ctx)).unwrap().is_default());
    assert_eq!(env.methods(), ["GET"]);
}

#[test]
fn sign_in_honours_the_call_limits_too() {
    const CLIENT_ID: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
    const SECRET: &str = "Limits~Secret.Value-0123456789abcdef";
    let env = Env::new(Profile::default());
    env.emu
        .register_app(App::with_secret(TENANT, CLIENT_ID, SECRET, &[WRITE]));
    let config = ClientConfig {
        tenant_id: Some(TENANT.into()),
        authority_endpoint: Some(env.emu.url()),
        auth: AuthConfig::ClientSecret {
            client_id: CLIENT_ID.into(),
        },
        ..config_for(&env.emu)
    };
    let client = PolicyClient::new(config, secret(SECRET)).unwrap();
    env.emu
        .add_fault(Fault::new(FaultRoute::Token, FaultKind::Unavailable));
    let token_requests = || {
        env.emu
            .requests()
            .into_iter()
            .filter(|r| r.route == "token")
            .count()
    };

    let ctx = env
        .ctx()
        .with_limits(limits(r#"{"retry":{"maxRetries":0}}"#));
    assert!(block_on(client.get(&ctx)).is_err());
    assert_eq!(token_requests(), 1, "no sign-in retry with maxRetries 0");
    assert!(env.methods().is_empty(), "nothing reached Graph");

    // Without limits the client's 5 retries apply to sign-in.
    assert!(block_on(client.get(&env.ctx())).is_err());
    assert_eq!(token_requests(), 1 + 6);
}

#[test]
fn sign_in_follows_the_same_retry_table_and_retry_after_cap() {
    const CLIENT_ID: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
    const SECRET: &str = "Limits~Secret.Value-0123456789abcdef";
    let env = Env::new(Profile::default());
    env.emu
        .register_app(App::with_secret(TENANT, CLIENT_ID, SECRET, &[WRITE]));
    let config = ClientConfig {
        tenant_id: Some(TENANT.into()),
        authority_endpoint: Some(env.emu.url()),
        auth: AuthConfig::ClientSecret {
            client_id: CLIENT_ID.into(),
        },
        ..config_for(&env.emu)
    };
    let client = PolicyClient::new(config, secret(SECRET)).unwrap();
    let token_requests = || {
        env.emu
            .requests()
            .into_iter()
            .filter(|r| r.route == "token")
            .count()
    };

    // A Retry-After beyond the cap (120 s here) ends the sign-in at once as Throttled.
    env.emu
        .add_fault(Fault::new(FaultRoute::Token, FaultKind::Throttle).retry_after(600));
    let started = Instant::now();
    let err = block_on(client.get(&env.ctx())).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(err.kind(), ErrorKind::Throttled, "{}", err.message());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(600)));
    assert!(err.message().contains("10 min"), "{}", err.message());
    assert!(
        err.message().contains("retry.maxRetryAfterSeconds = 120"),
        "{}",
        err.message()
    );
    assert!(settings::for_cmdlets(err.message()).contains("-MaxRetryAfterSec 120 allows"));
    let action = err.recommended_action().unwrap();
    assert!(action.contains("retry.maxRetryAfterSeconds"), "{action}");
    assert!(
        settings::for_cmdlets(action)
            .contains("allow longer waits (-MaxRetryAfterSec, up to 3600 seconds)"),
        "{action}"
    );
    assert_eq!(token_requests(), 1);
    assert!(env.methods().is_empty(), "nothing reached Graph");

    // Throttling that keeps on: the same "gave up after" wording as Graph's, kind Throttled.
    env.emu.clear_faults();
    env.emu.add_fault(Fault::new(
        FaultRoute::Token,
        FaultKind::ThrottleNoRetryAfter,
    ));
    let ctx = env
        .ctx()
        .with_limits(limits(r#"{"retry":{"maxRetries":2}}"#));
    let err = block_on(client.get(&ctx)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled, "{}", err.message());
    assert!(
        err.message()
            .contains("gave up after 3 attempts (retry.maxRetries = 2)"),
        "{}",
        err.message()
    );
    assert_eq!(token_requests(), 1 + 3);
}
