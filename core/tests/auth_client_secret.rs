//! Client secret sign-in against the in-process emulator.

mod auth_support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_support::*;
use graph_emulator::App;
use photo_policy_core::auth::client_secret::ClientSecretSource;
use photo_policy_core::auth::{self, AuthConfig, TokenSource};
use photo_policy_core::cloud::Cloud;
use photo_policy_core::events::EventLevel;
use photo_policy_core::ErrorKind;
use zeroize::Zeroizing;

fn secret_config(
    emu: &graph_emulator::Emulator,
    cloud: Cloud,
) -> photo_policy_core::config::ClientConfig {
    config(
        emu,
        cloud,
        AuthConfig::ClientSecret {
            client_id: CLIENT_ID.into(),
        },
    )
}

fn register(emu: &graph_emulator::Emulator) {
    emu.register_app(App::with_secret(
        TENANT,
        CLIENT_ID,
        SECRET,
        &["PeopleSettings.ReadWrite.All"],
    ));
}

fn secret(s: &str) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(s.as_bytes().to_vec())
}

#[test]
fn gets_a_token_and_reuses_it_from_the_cache() {
    let emu = emulator();
    register(&emu);
    let source = auth::token_source(&secret_config(&emu, Cloud::Global), secret(SECRET)).unwrap();
    let (rec, events) = recorder();

    let first = token(source.as_ref(), &events).unwrap();
    let second = token(source.as_ref(), &events).unwrap();
    assert_eq!(first.token.as_str(), second.token.as_str());
    assert!(first.expires_at.unwrap() > SystemTime::now() + Duration::from_secs(600));

    // One sign-in only, with the documented form fields.
    let reqs = requests_on(&emu, "token");
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].path, format!("/{TENANT}/oauth2/v2.0/token"));
    let body = reqs[0].body.clone().unwrap_or_default();
    assert!(body.contains("grant_type=client_credentials"), "{body}");
    assert!(body.contains(&format!("client_id={CLIENT_ID}")), "{body}");
    assert!(
        body.contains("scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"),
        "{body}"
    );

    // The token grants what the app was given, for the right tenant.
    let claims = jwt_part(&first.token, 1);
    assert_eq!(claims["tid"], TENANT);
    assert_eq!(claims["roles"][0], "PeopleSettings.ReadWrite.All");

    // Verbose request line, never the secret or the token.
    let verbose = rec.messages(EventLevel::Verbose);
    let line = format!("POST {}/{TENANT}/oauth2/v2.0/token → 200 OK in ", emu.url());
    assert!(verbose.iter().any(|m| m.starts_with(&line)), "{verbose:?}");
    assert!(!rec.all_text().contains(SECRET));
    assert!(!rec.all_text().contains(first.token.as_str()));
}

#[test]
fn scope_follows_the_cloud_even_with_the_emulator_as_authority() {
    let emu = emulator();
    register(&emu);
    let source = auth::token_source(&secret_config(&emu, Cloud::USGov), secret(SECRET)).unwrap();
    let (_rec, events) = recorder();
    token(source.as_ref(), &events).unwrap();
    let body = requests_on(&emu, "token")[0]
        .body
        .clone()
        .unwrap_or_default();
    assert!(
        body.contains("scope=https%3A%2F%2Fgraph.microsoft.us%2F.default"),
        "{body}"
    );
}

#[test]
fn an_expired_cached_token_is_refreshed() {
    let emu = emulator();
    register(&emu);
    let offset = Arc::new(AtomicU64::new(0));
    let o = offset.clone();
    let clock = Arc::new(move || SystemTime::now() + Duration::from_secs(o.load(Ordering::SeqCst)));
    let cfg = secret_config(&emu, Cloud::Global);
    let source = ClientSecretSource::new(context(&cfg), CLIENT_ID, secret(SECRET))
        .unwrap()
        .with_clock(clock);
    let (_rec, events) = recorder();

    token(&source, &events).unwrap();
    token(&source, &events).unwrap();
    assert_eq!(requests_on(&emu, "token").len(), 1);

    // Two hours later the cached token has expired: the next call signs in again.
    offset.store(2 * 3600, Ordering::SeqCst);
    token(&source, &events).unwrap();
    assert_eq!(requests_on(&emu, "token").len(), 2);
    // And the new one is cached again.
    token(&source, &events).unwrap();
    assert_eq!(requests_on(&emu, "token").len(), 2);
}

#[test]
fn concurrent_calls_share_one_sign_in() {
    let emu = emulator();
    register(&emu);
    let source: Arc<dyn TokenSource> =
        auth::token_source(&secret_config(&emu, Cloud::Global), secret(SECRET)).unwrap();
    let (_rec, events) = recorder();
    let tokens = photo_policy_core::runtime::block_on(async {
        let mut handles = Vec::new();
        for _ in 0..8 {
            let source = source.clone();
            let events = events.clone();
            handles.push(tokio::spawn(async move {
                let call = photo_policy_core::call_context::CallContext::with_events(events);
                source.token(&call).await.map(|t| t.token.to_string())
            }));
        }
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap().unwrap());
        }
        out
    });
    assert!(tokens.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(requests_on(&emu, "token").len(), 1);
}

#[test]
fn wrong_secret_is_authentication_with_aadsts7000215() {
    let emu = emulator();
    register(&emu);
    let source = auth::token_source(
        &secret_config(&emu, Cloud::Global),
        secret("not-the-secret"),
    )
    .unwrap();
    let (rec, events) = recorder();
    let err = token(source.as_ref(), &events).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    let service = err.service().expect("service details");
    assert_eq!(service.aadsts.as_deref(), Some("AADSTS7000215"));
    assert_eq!(service.code.as_deref(), Some("invalid_client"));
    assert!(err.message().contains("AADSTS7000215"), "{}", err.message());
    assert!(
        err.message().contains("client secret is wrong or expired"),
        "{}",
        err.message()
    );
    assert!(err
        .recommended_action()
        .unwrap()
        .contains("Certificates & secrets"));
    assert!(!err.message().contains("not-the-secret"));
    assert!(!format!("{err:?}").contains("not-the-secret"));
    assert!(!rec.all_text().contains("not-the-secret"));
    // An error answer is not retried: one request.
    assert_eq!(requests_on(&emu, "token").len(), 1);
}

#[test]
fn unknown_app_is_authentication_with_aadsts700016() {
    let emu = emulator();
    // The tenant exists (it has another app) but not this client ID.
    emu.register_app(App::with_secret(
        TENANT,
        "99999999-8888-7777-6666-555555555555",
        SECRET,
        &[],
    ));
    let source = auth::token_source(&secret_config(&emu, Cloud::Global), secret(SECRET)).unwrap();
    let (_rec, events) = recorder();
    let err = token(source.as_ref(), &events).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert_eq!(
        err.service().unwrap().aadsts.as_deref(),
        Some("AADSTS700016")
    );
    assert!(
        err.message().contains("application was not found"),
        "{}",
        err.message()
    );
}

#[test]
fn unknown_tenant_is_authentication_with_aadsts90002() {
    let emu = emulator();
    let source = auth::token_source(&secret_config(&emu, Cloud::Global), secret(SECRET)).unwrap();
    let (_rec, events) = recorder();
    let err = token(source.as_ref(), &events).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert_eq!(
        err.service().unwrap().aadsts.as_deref(),
        Some("AADSTS90002")
    );
    assert!(
        err.message().contains("tenant was not found"),
        "{}",
        err.message()
    );
    assert!(err.recommended_action().is_some());
}

#[test]
fn bad_inputs_fail_before_sending() {
    let emu = emulator();
    let mut cfg = secret_config(&emu, Cloud::Global);
    let e = build_error(auth::token_source(&cfg, secret("  ")));
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    cfg.auth = AuthConfig::ClientSecret {
        client_id: "not-a-guid".into(),
    };
    let e = build_error(auth::token_source(&cfg, secret(SECRET)));
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("not-a-guid"));
    cfg.auth = AuthConfig::ClientSecret {
        client_id: CLIENT_ID.into(),
    };
    cfg.tenant_id = None;
    let e = build_error(auth::token_source(&cfg, secret(SECRET)));
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("tenant"));
    assert!(emu.requests().is_empty());
}

#[test]
fn debug_never_shows_the_secret() {
    let emu = emulator();
    let cfg = secret_config(&emu, Cloud::Global);
    let source = ClientSecretSource::new(context(&cfg), CLIENT_ID, secret(SECRET)).unwrap();
    let text = format!("{source:?}");
    assert!(!text.contains(SECRET));
    assert!(text.contains(CLIENT_ID));
    let _ = UNIX_EPOCH;
}
