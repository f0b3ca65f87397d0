//! Error answers, throttling and retries, timeouts, cancellation and endpoint rules, against the
//! Graph emulator (and, for a 404 the emulator never gives on this path, a canned loopback server).

mod common;
mod servers;

use std::time::{Duration, Instant};

use common::*;
use graph_emulator::{Fault, FaultKind, FaultRoute, Profile, TokenSpec};
use photo_policy_core::client::PolicyClient;
use photo_policy_core::config::ClientConfig;
use photo_policy_core::events::EventLevel;
use photo_policy_core::ErrorKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn graph_fault(kind: FaultKind, count: u32) -> Fault {
    let mut f = Fault::new(FaultRoute::Graph, kind);
    f.count = Some(count);
    f
}

#[test]
fn throttled_with_retry_after_is_retried_then_succeeds() {
    let env = Env::new(Profile::default());
    let mut f = graph_fault(FaultKind::Throttle, 2);
    f.retry_after_seconds = Some(1);
    env.emu.add_fault(f);
    let started = Instant::now();
    let view = block_on(env.client.get(&env.ctx())).unwrap();
    assert!(view.is_default());
    // Two waits of the 1 s Retry-After.
    assert!(
        started.elapsed() >= Duration::from_millis(1900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(env.methods(), ["GET", "GET", "GET"]);
    let verbose = env.events.lines(EventLevel::Verbose);
    assert!(
        verbose
            .iter()
            .any(|l| l == "429 Too Many Requests, retrying in 1 s (attempt 2 of 6)"),
        "{verbose:#?}"
    );
    assert!(verbose
        .iter()
        .any(|l| l == "429 Too Many Requests, retrying in 1 s (attempt 3 of 6)"));
    assert_eq!(
        verbose
            .iter()
            .filter(|l| l.contains("→ 429 Too Many Requests"))
            .count(),
        2
    );
}

#[test]
fn throttled_without_retry_after_backs_off_then_succeeds() {
    let env = Env::new(Profile::default());
    env.emu
        .add_fault(graph_fault(FaultKind::ThrottleNoRetryAfter, 3));
    let started = Instant::now();
    block_on(env.client.get(&env.ctx())).unwrap();
    // base 10 ms: at most 10 + 20 + 40 ms of waiting.
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(env.methods().len(), 4);
    assert_eq!(
        env.events
            .lines(EventLevel::Verbose)
            .iter()
            .filter(|l| l.starts_with("429 Too Many Requests, retrying in"))
            .count(),
        3
    );
}

#[test]
fn unavailable_gateway_timeout_and_connection_reset_are_retried() {
    for kind in [
        FaultKind::Unavailable,
        FaultKind::GatewayTimeout,
        FaultKind::ConnectionReset,
    ] {
        let env = Env::new(Profile::default());
        env.emu.add_fault(graph_fault(kind, 2));
        let view = block_on(env.client.get(&env.ctx())).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert!(view.is_default());
        assert_eq!(env.methods().len(), 3, "{kind:?}");
    }
}

#[test]
fn patch_is_retried_after_throttling() {
    let env = Env::new(Profile::default());
    let mut f = graph_fault(FaultKind::ThrottleNoRetryAfter, 1);
    f.method = Some("PATCH".into());
    env.emu.add_fault(f);
    let change =
        photo_policy_core::plan::ChangeRequest::from_json(r#"{"source":"cloud"}"#).unwrap();
    let out = block_on(env.client.apply(&change, &env.ctx())).unwrap();
    assert_eq!(out.current.source.as_deref(), Some("cloud"));
    assert_eq!(env.methods(), ["GET", "PATCH", "PATCH"]);
    assert_eq!(out.requests, 3);
}

#[test]
fn budget_exhausted_is_throttled_with_details() {
    let mut env = Env::new(Profile::default());
    env.with_config(|c| c.retry.budget_ms = 1_000);
    let mut f = Fault::new(FaultRoute::Graph, FaultKind::Throttle);
    f.retry_after_seconds = Some(10);
    env.emu.add_fault(f);
    let started = Instant::now();
    let err = block_on(env.client.get(&env.ctx())).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "did not wait past the budget"
    );
    assert_eq!(err.kind(), ErrorKind::Throttled);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(10)));
    assert!(
        err.message().contains("budgetMs = 1000"),
        "{}",
        err.message()
    );
    let d = err.service().unwrap();
    assert_eq!(d.http_status, 429);
    assert!(d.client_request_id.is_some());
    assert!(err.recommended_action().is_some());
    assert_eq!(env.methods(), ["GET"]);
}

#[test]
fn max_retries_exhausted_is_service_unavailable() {
    let mut env = Env::new(Profile::default());
    env.with_config(|c| c.retry.max_retries = 2);
    env.emu
        .add_fault(Fault::new(FaultRoute::Graph, FaultKind::Unavailable));
    let err = block_on(env.client.get(&env.ctx())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceUnavailable);
    assert!(
        err.message()
            .to_lowercase()
            .contains("gave up after 3 attempts"),
        "{}",
        err.message()
    );
    assert_eq!(env.methods().len(), 3);
}

#[test]
fn caller_errors_are_never_retried() {
    // 401: a token the emulator did not sign (its claims grant the read permission, so the
    // permission pre-flight lets it through to Graph).
    let env = Env::with_token(Profile::default(), |_| {
        "eyJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJ4Iiwicm9sZXMiOlsiUGVvcGxlU2V0dGluZ3MuUmVhZC5BbGwiXX0.c2ln"
            .to_string()
    });
    let err = block_on(env.client.get(&env.ctx())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    let d = err.service().unwrap();
    assert_eq!(d.http_status, 401);
    assert!(d.code.is_some());
    assert!(d.request_id.is_some());
    assert_eq!(
        d.client_request_id.as_deref(),
        env.graph_requests()[0].header("client-request-id")
    );
    assert_eq!(env.methods(), ["GET"]);

    // Read-only permission, then a write: the permission pre-flight refuses it before anything
    // is sent (no GET, no PATCH), naming the missing permission.
    let env = Env::with_token(Profile::default(), |emu| {
        emu.mint_token(TokenSpec::app(TENANT, &["PeopleSettings.Read.All"]))
    });
    let change =
        photo_policy_core::plan::ChangeRequest::from_json(r#"{"source":"cloud"}"#).unwrap();
    let err = block_on(env.client.apply(&change, &env.ctx())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(err.service().is_none(), "nothing was sent");
    assert!(err.message().contains("PeopleSettings.ReadWrite.All"));
    assert!(err
        .recommended_action()
        .unwrap()
        .contains("PeopleSettings.ReadWrite.All"));
    assert!(env.methods().is_empty(), "{:?}", env.methods());

    // 403 from the service: a delegated token whose roles the token does not list passes the
    // pre-flight; Graph refuses the user (no photo-managing role) with its code and ids.
    let env = Env::with_token(Profile::default(), |emu| {
        emu.mint_token(
            TokenSpec::delegated(TENANT, "PeopleSettings.ReadWrite.All", &[]).without_wids(),
        )
    });
    let err = block_on(env.client.apply(&change, &env.ctx())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert_eq!(
        err.service().unwrap().code.as_deref(),
        Some("Authorization_RequestDenied")
    );
    assert!(err.service().unwrap().request_id.is_some());
    assert_eq!(env.methods(), ["GET"]);

    // 403 for a delegated user without a photo-managing role (a token without wids: an empty
    // wids claim is refused by the pre-flight, see write_preflight.rs).
    let env = Env::with_token(Profile::default(), |emu| {
        emu.mint_token(
            TokenSpec::delegated(TENANT, "PeopleSettings.ReadWrite.All", &[]).without_wids(),
        )
    });
    let err = block_on(env.client.get(&env.ctx())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(err.message().contains("People Administrator"));
    assert_eq!(env.methods(), ["GET"]);
}

#[test]
fn people_admin_refusal_is_a_validation_failure_never_retried_whatever_its_status() {
    for (status, retry_after) in [(400u16, None), (500, None), (503, Some(1))] {
        let env = Env::new(Profile {
            refusal_status: status,
            ..Profile::recorded()
        });
        let mut f = graph_fault(FaultKind::PeopleAdminRefusal, 1);
        f.method = Some("PATCH".into());
        f.retry_after_seconds = retry_after;
        env.emu.add_fault(f);
        let change =
            photo_policy_core::plan::ChangeRequest::from_json(r#"{"source":"cloud"}"#).unwrap();
        let err = block_on(env.client.apply(&change, &env.ctx())).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ValidationFailed, "{status}");
        assert_eq!(env.methods(), ["GET", "PATCH"], "{status}: never retried");
        assert!(
            err.message()
                .contains("AllowedRoles: Unsupported role for cloud photo update settings."),
            "{}",
            err.message()
        );
        assert!(!err.message().contains('{'), "{}", err.message());
        assert!(err
            .recommended_action()
            .unwrap()
            .contains("People Administrator"));
        let d = err.service().unwrap();
        assert_eq!(d.http_status, status);
        assert_eq!(d.code.as_deref(), Some("UnknownError"));
        let sent = env.graph_requests()[1]
            .header("client-request-id")
            .unwrap()
            .to_string();
        assert_eq!(d.client_request_id.as_deref(), Some(sent.as_str()));
        assert!(d.request_id.is_some());
        assert!(d.date.is_some());
        let par = d
            .people_admin_request_id
            .as_deref()
            .expect("peopleAdminRequestId");
        assert!(uuid::Uuid::parse_str(par).is_ok(), "{par}");
        assert_ne!(Some(par), d.request_id.as_deref());
        assert_eq!(d.validation_errors.len(), 1);
        assert_eq!(d.validation_errors[0].field, "AllowedRoles");
        // The service's message stays readable on one line.
        assert!(!d.message.as_deref().unwrap().contains('\n'));
        // Nothing was written.
        assert_eq!(env.emu.policy(TENANT), serde_json::json!({}));
    }
}

#[test]
fn expired_token_fails_before_sending() {
    let env = Env::with_token(Profile::default(), |emu| {
        emu.mint_token(TokenSpec::app(TENANT, &[WRITE]).expires_in(-120))
    });
    let err = block_on(env.client.get(&env.ctx())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(err.message().contains("expired at 20"), "{}", err.message());
    assert!(env.graph_requests().is_empty());
}

#[test]
fn malformed_and_truncated_bodies_are_invalid_response() {
    for kind in [FaultKind::MalformedJson, FaultKind::TruncatedJson] {
        let env = Env::new(Profile::default());
        env.emu.add_fault(graph_fault(kind, 1));
        let err = block_on(env.client.get(&env.ctx())).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidResponse | ErrorKind::Network),
            "{kind:?}: {:?} {}",
            err.kind(),
            err.message()
        );
    }
}

#[test]
fn total_timeout_names_the_limit() {
    let mut env = Env::new(Profile::default());
    env.with_config(|c| c.timeouts.total_ms = 300);
    let mut f = graph_fault(FaultKind::Latency, 1);
    f.latency_ms = Some(3_000);
    env.emu.add_fault(f);
    let started = Instant::now();
    let err = block_on(env.client.get(&env.ctx())).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.message().contains("totalMs = 300"), "{}", err.message());
    assert_eq!(
        photo_policy_core::settings::for_cmdlets(err.message()),
        err.message()
            .replace("timeouts.totalMs = 300", "-TimeoutSec 0.3"),
        "cmdlet users read the parameter in seconds"
    );
}

#[test]
fn slow_body_counts_against_the_total_timeout() {
    let mut env = Env::new(Profile::default());
    env.with_config(|c| c.timeouts.total_ms = 300);
    let mut f = graph_fault(FaultKind::SlowBody, 1);
    f.latency_ms = Some(3_000);
    env.emu.add_fault(f);
    let err = block_on(env.client.get(&env.ctx())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{}", err.message());
}

/// Cancels `ctx` after `ms` from another thread; the returned cell holds when it really did.
fn cancel_after(
    ctx: &photo_policy_core::client::CallContext,
    ms: u64,
) -> std::sync::Arc<std::sync::Mutex<Option<Instant>>> {
    let cancel = ctx.cancel.clone();
    let at = std::sync::Arc::new(std::sync::Mutex::new(None));
    let at2 = at.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(ms));
        *at2.lock().unwrap() = Some(Instant::now());
        cancel.cancel();
    });
    at
}

/// How long after the cancel the call returned.
fn latency_since(cancelled: &std::sync::Mutex<Option<Instant>>) -> Duration {
    let returned = Instant::now();
    let at = cancelled
        .lock()
        .unwrap()
        .expect("the call returned before it was cancelled");
    returned.saturating_duration_since(at)
}

#[test]
fn cancel_during_retry_after_wait_returns_promptly() {
    let env = Env::new(Profile::default());
    let mut f = Fault::new(FaultRoute::Graph, FaultKind::Throttle);
    f.retry_after_seconds = Some(30);
    env.emu.add_fault(f);
    let ctx = env.ctx();
    let cancelled_at = cancel_after(&ctx, 300);
    let err = block_on(env.client.get(&ctx)).unwrap_err();
    let late = latency_since(&cancelled_at);
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(
        late < Duration::from_millis(200),
        "returned {late:?} after cancel"
    );
}

#[test]
fn cancel_during_a_slow_body_returns_promptly() {
    let env = Env::new(Profile::default());
    let mut f = graph_fault(FaultKind::SlowBody, 1);
    f.latency_ms = Some(10_000);
    env.emu.add_fault(f);
    let ctx = env.ctx();
    let cancelled_at = cancel_after(&ctx, 300);
    let err = block_on(env.client.get(&ctx)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    let late = latency_since(&cancelled_at);
    assert!(
        late < Duration::from_millis(200),
        "returned {late:?} after cancel"
    );
}

#[test]
fn cancelled_before_the_call_sends_nothing() {
    let env = Env::new(Profile::default());
    let ctx = env.ctx();
    ctx.cancel.cancel();
    let err = block_on(env.client.get(&ctx)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(env.graph_requests().is_empty());
}

#[test]
fn loopback_is_refused_without_the_opt_in() {
    let emu = graph_emulator::Emulator::start_blocking(Profile::default());
    let config = ClientConfig {
        graph_endpoint: Some(emu.url()),
        allow_insecure_loopback: false,
        ..Default::default()
    };
    let err = PolicyClient::new(config, secret("token")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains(&emu.url()), "{}", err.message());
    assert!(err.message().contains("allowInsecureLoopback"));
    let for_cmdlets = photo_policy_core::settings::for_cmdlets(err.message());
    assert!(
        for_cmdlets.contains("-AllowInsecureLoopback is not set"),
        "{for_cmdlets}"
    );
}

#[test]
fn connection_refused_is_a_network_error_after_retries() {
    // Bind then drop a listener: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = ClientConfig {
        graph_endpoint: Some(format!("http://127.0.0.1:{port}")),
        allow_insecure_loopback: true,
        retry: photo_policy_core::config::RetryPolicy {
            max_retries: 2,
            base_delay_ms: 5,
            ..fast_retry()
        },
        ..Default::default()
    };
    let client = PolicyClient::new(config, secret("opaque")).unwrap();
    let events = std::sync::Arc::new(Collect::default());
    let ctx = photo_policy_core::client::CallContext::with_events(events.clone());
    let err = block_on(client.get(&ctx)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{}", err.message());
    assert!(
        err.message().contains("gave up after 3 attempts"),
        "{}",
        err.message()
    );
    assert_eq!(
        events
            .lines(EventLevel::Verbose)
            .iter()
            .filter(|l| l.starts_with("Connection failed, retrying in"))
            .count(),
        2
    );
}

/// Serves one canned HTTP answer to every connection on loopback.
fn canned_server(response: &'static str) -> String {
    canned_server_by_method(move |_| response.to_string())
}

/// Serves, on loopback, the answer `answer(method)` gives for each request's method.
fn canned_server_by_method(answer: impl Fn(&str) -> String + Send + Sync + 'static) -> String {
    let answer = std::sync::Arc::new(answer);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    servers::serve_in_background(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&seen).to_string();
                let method = head.split(' ').next().unwrap_or("").to_string();
                let _ = sock.write_all(answer(&method).as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    url
}

fn json_answer(status: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn reset_that_does_not_take_is_not_verified() {
    // A service that accepts PATCH and DELETE but keeps the old values.
    let url = canned_server_by_method(|method| match method {
        "GET" => json_answer("200 OK", r#"{"source":"cloud","allowedRoles":[]}"#),
        _ => "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".to_string(),
    });
    let config = ClientConfig {
        graph_endpoint: Some(url),
        allow_insecure_loopback: true,
        ..Default::default()
    };
    let client = PolicyClient::new(config, secret("opaque")).unwrap();
    let events = std::sync::Arc::new(Collect::default());
    let ctx = photo_policy_core::client::CallContext::with_events(events.clone());
    let err = block_on(client.reset(&ctx)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResetNotVerified);
    assert!(err.message().contains("Source: Cloud"), "{}", err.message());
    assert!(err.message().contains("after DELETE"), "{}", err.message());
    let methods: Vec<String> = events
        .lines(EventLevel::Verbose)
        .iter()
        .filter(|l| l.contains(" → "))
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(methods, ["GET", "PATCH", "GET", "DELETE", "GET"]);
}

#[test]
fn not_found_keeps_request_id_from_the_header() {
    let body = r#"{"error":{"code":"ResourceNotFound","message":"Resource not found."}}"#;
    let response: &'static str = Box::leak(
        format!(
            "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nrequest-id: rid-404\r\n\
             Date: Tue, 15 Sep 2026 15:29:11 GMT\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_boxed_str(),
    );
    let url = canned_server(response);
    let config = ClientConfig {
        graph_endpoint: Some(url),
        allow_insecure_loopback: true,
        retry: fast_retry(),
        ..Default::default()
    };
    let client = PolicyClient::new(config, secret("opaque")).unwrap();
    let err = block_on(client.get(&photo_policy_core::client::CallContext::new())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let d = err.service().unwrap();
    assert_eq!(d.http_status, 404);
    assert_eq!(d.code.as_deref(), Some("ResourceNotFound"));
    assert_eq!(d.request_id.as_deref(), Some("rid-404"));
    assert_eq!(d.date.as_deref(), Some("Tue, 15 Sep 2026 15:29:11 GMT"));
    assert!(d.client_request_id.is_some());
    assert!(err
        .message()
        .contains("ResourceNotFound: Resource not found."));
}

#[test]
fn forbidden_by_policy_codes_explain_the_photo_policy() {
    let body = r#"{"error":{"code":"ForbiddenByAdminEditPolicy","message":"Operation is forbidden.","innerError":{"date":"2026-09-15T15:29:11","request-id":"rid-403","client-request-id":"crid-403"}}}"#;
    let response: &'static str = Box::leak(
        format!(
            "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_boxed_str(),
    );
    let url = canned_server(response);
    let config = ClientConfig {
        graph_endpoint: Some(url),
        allow_insecure_loopback: true,
        ..Default::default()
    };
    let client = PolicyClient::new(config, secret("opaque")).unwrap();
    let err = block_on(client.get(&photo_policy_core::client::CallContext::new())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(err.message().contains("photo update policy"));
    assert!(err.recommended_action().unwrap().contains("allowed roles"));
    let d = err.service().unwrap();
    assert_eq!(d.request_id.as_deref(), Some("rid-403"));
    assert_eq!(d.client_request_id.as_deref(), Some("crid-403"));
    assert_eq!(d.date.as_deref(), Some("2026-09-15T15:29:11"));
}

#[test]
fn empty_read_is_invalid_response() {
    // A GET answered 204 with no body cannot be a policy: InvalidResponse, never a panic.
    let url = canned_server("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    let config = ClientConfig {
        graph_endpoint: Some(url),
        allow_insecure_loopback: true,
        ..Default::default()
    };
    let client = PolicyClient::new(config, secret("opaque")).unwrap();
    let err = block_on(client.get(&photo_policy_core::client::CallContext::new())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
}

#[test]
fn a_retry_after_beyond_the_cap_ends_the_call_at_once_with_the_services_wait() {
    let env = Env::new(Profile::default());
    let mut f = Fault::new(FaultRoute::Graph, FaultKind::Throttle);
    f.retry_after_seconds = Some(600);
    env.emu.add_fault(f);
    let started = Instant::now();
    let err = block_on(env.client.get(&env.ctx())).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "did not wait: {:?}",
        started.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::Throttled);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(600)));
    assert!(err.message().contains("10 min"), "{}", err.message());
    assert!(
        err.message().contains("retry.maxRetryAfterSeconds = 120"),
        "{}",
        err.message()
    );
    // The action names the setting; cmdlet users read it as the parameter.
    let action = err.recommended_action().unwrap();
    assert!(action.contains("retry.maxRetryAfterSeconds"), "{action}");
    assert!(
        photo_policy_core::settings::for_cmdlets(action).contains("-MaxRetryAfterSec"),
        "{action}"
    );
    assert_eq!(env.methods(), ["GET"], "no early retry");

    // A caller that allows longer waits (per call) waits as asked.
    env.emu.clear_faults();
    let mut f = graph_fault(FaultKind::Throttle, 1);
    f.retry_after_seconds = Some(2);
    env.emu.add_fault(f);
    let strict = env.ctx().with_limits(Some(
        photo_policy_core::limits::CallLimits::from_json(r#"{"retry":{"maxRetryAfterSeconds":1}}"#)
            .unwrap(),
    ));
    let err = block_on(env.client.get(&strict)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled);
    assert!(
        err.message().contains("retry.maxRetryAfterSeconds = 1 "),
        "{}",
        err.message()
    );
    let mut f = graph_fault(FaultKind::Throttle, 1);
    f.retry_after_seconds = Some(1);
    env.emu.add_fault(f);
    let started = Instant::now();
    block_on(env.client.get(&strict)).unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900));
}

/// Serves the answers in turn (the last one again once they run out).
fn sequence_server(answers: Vec<String>) -> String {
    let next = std::sync::atomic::AtomicUsize::new(0);
    canned_server_by_method(move |_| {
        let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        answers[i.min(answers.len() - 1)].clone()
    })
}

#[test]
fn internal_server_error_and_bad_gateway_are_retried_like_503() {
    for status in ["500 Internal Server Error", "502 Bad Gateway"] {
        let url = sequence_server(vec![
            json_answer(status, r#"{"error":{"code":"x","message":"transient"}}"#),
            json_answer("200 OK", r#"{"source":"cloud","allowedRoles":[]}"#),
        ]);
        let config = ClientConfig {
            graph_endpoint: Some(url),
            allow_insecure_loopback: true,
            retry: fast_retry(),
            ..Default::default()
        };
        let client = PolicyClient::new(config, secret("opaque")).unwrap();
        let events = std::sync::Arc::new(Collect::default());
        let ctx = photo_policy_core::client::CallContext::with_events(events.clone());
        let view = block_on(client.get(&ctx)).unwrap_or_else(|e| panic!("{status}: {e}"));
        assert_eq!(view.source.as_deref(), Some("cloud"));
        assert_eq!(
            events
                .lines(EventLevel::Verbose)
                .iter()
                .filter(|l| l.starts_with(&format!("{status}, retrying in")))
                .count(),
            1,
            "{status}"
        );
    }
    // 501 is not transient: never retried.
    let url = sequence_server(vec![
        json_answer("501 Not Implemented", r#"{"error":{"code":"x"}}"#),
        json_answer("200 OK", r#"{"source":"cloud","allowedRoles":[]}"#),
    ]);
    let config = ClientConfig {
        graph_endpoint: Some(url),
        allow_insecure_loopback: true,
        retry: fast_retry(),
        ..Default::default()
    };
    let client = PolicyClient::new(config, secret("opaque")).unwrap();
    let err = block_on(client.get(&photo_policy_core::client::CallContext::new())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceUnavailable);
    assert!(!err.message().contains("gave up"), "{}", err.message());
}

#[test]
fn an_http_date_retry_after_is_honoured() {
    // RFC 850 form, 1 to 2 s ahead (the format drops the fraction of a second).
    let at = chrono::Utc::now() + chrono::Duration::seconds(2);
    let date = at.format("%A, %d-%b-%y %H:%M:%S GMT").to_string();
    let throttled: String = format!(
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: {date}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    let url = sequence_server(vec![
        throttled,
        json_answer("200 OK", r#"{"source":"cloud","allowedRoles":[]}"#),
    ]);
    let config = ClientConfig {
        graph_endpoint: Some(url),
        allow_insecure_loopback: true,
        retry: fast_retry(),
        ..Default::default()
    };
    let client = PolicyClient::new(config, secret("opaque")).unwrap();
    let started = Instant::now();
    block_on(client.get(&photo_policy_core::client::CallContext::new())).unwrap();
    // The base back-off is 10 ms: only the date explains a wait of a second or more.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}
