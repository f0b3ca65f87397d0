//! Federated (workload identity) sign-in against the in-process emulator: an external token as
//! the client assertion, given as text or as a file read again at each sign-in (Kubernetes
//! rotates it), and the refusals an admin meets (no matching credential, expired token, missing
//! file).

mod auth_support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use auth_support::*;
use graph_emulator::{App, ExternalTokenSpec, WRITE_PERMISSION};
use photo_policy_core::auth::federated::{ExternalToken, FederatedSource};
use photo_policy_core::auth::{self, AuthConfig};
use photo_policy_core::cloud::Cloud;
use photo_policy_core::ErrorKind;
use zeroize::Zeroizing;

const ISSUER: &str = "https://token.actions.githubusercontent.com";
const SUBJECT: &str = "repo:contoso/photo-policy:environment:production";

fn external(emu: &graph_emulator::Emulator, subject: &str, expires_in: i64) -> String {
    emu.mint_external_token(ExternalTokenSpec {
        issuer: ISSUER.into(),
        subject: subject.into(),
        audience: None,
        expires_in_seconds: Some(expires_in),
    })
}

fn register(emu: &graph_emulator::Emulator) {
    emu.register_app(App::with_federated_credential(
        TENANT,
        CLIENT_ID,
        ISSUER,
        SUBJECT,
        &[WRITE_PERMISSION],
    ));
}

#[test]
fn federated_token_as_text_signs_in_as_the_app_without_a_secret() {
    let emu = emulator();
    register(&emu);
    let cfg = config(
        &emu,
        Cloud::Global,
        AuthConfig::Federated {
            client_id: CLIENT_ID.into(),
            token_file: None,
        },
    );
    let assertion = external(&emu, SUBJECT, 600);
    let source = auth::token_source(&cfg, Zeroizing::new(assertion.clone().into_bytes())).unwrap();
    let (rec, events) = recorder();
    let token = token(source.as_ref(), &events).unwrap();
    let claims = jwt_part(&token.token, 1);
    assert_eq!(claims["roles"][0], WRITE_PERMISSION);
    assert_eq!(claims["tid"], TENANT);
    let sent = requests_on(&emu, "token");
    let body = sent[0].body.as_deref().unwrap();
    assert!(body.contains("grant_type=client_credentials"));
    assert!(body.contains(
        "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
    ));
    assert!(!body.contains("client_secret"));
    assert!(!rec.all_text().contains(&assertion));
    assert_eq!(source.sign_in_identity().auth_mode, "federated");
}

#[test]
fn the_token_file_is_read_again_at_each_sign_in() {
    let emu = emulator();
    register(&emu);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("azure-identity-token");
    std::fs::write(&file, external(&emu, SUBJECT, 600)).unwrap();
    let cfg = config(
        &emu,
        Cloud::Global,
        AuthConfig::Federated {
            client_id: CLIENT_ID.into(),
            token_file: Some(file.display().to_string()),
        },
    );
    let now = Arc::new(AtomicU64::new(0));
    let n = now.clone();
    let source = FederatedSource::new(context(&cfg), CLIENT_ID, ExternalToken::File(file.clone()))
        .unwrap()
        .with_clock(Arc::new(move || {
            SystemTime::now() + Duration::from_secs(n.load(Ordering::SeqCst))
        }));
    let (_rec, events) = recorder();
    token(&source, &events).unwrap();

    // The file now holds an expired token: the next sign-in (an hour later) reads it and fails.
    std::fs::write(&file, external(&emu, SUBJECT, -60)).unwrap();
    now.store(3600, Ordering::SeqCst);
    let e = token(&source, &events).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Authentication);
    assert_eq!(
        e.service().and_then(|s| s.aadsts.as_deref()),
        Some("AADSTS700024")
    );
    // Rotated to a fresh token: signs in again.
    std::fs::write(&file, format!("{}\n", external(&emu, SUBJECT, 600))).unwrap();
    token(&source, &events).unwrap();

    // Gone: an InvalidArgument naming the file, nothing sent.
    std::fs::remove_file(&file).unwrap();
    now.store(7200, Ordering::SeqCst);
    let before = requests_on(&emu, "token").len();
    let e = token(&source, &events).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(
        e.message().contains("azure-identity-token"),
        "{}",
        e.message()
    );
    assert_eq!(requests_on(&emu, "token").len(), before);
}

#[test]
fn a_token_for_another_subject_is_refused_naming_issuer_and_subject() {
    let emu = emulator();
    register(&emu);
    let cfg = config(
        &emu,
        Cloud::Global,
        AuthConfig::Federated {
            client_id: CLIENT_ID.into(),
            token_file: None,
        },
    );
    let assertion = external(&emu, "repo:contoso/photo-policy:pull_request", 600);
    let source = auth::token_source(&cfg, Zeroizing::new(assertion.into_bytes())).unwrap();
    let (_rec, events) = recorder();
    let e = token(source.as_ref(), &events).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Authentication);
    assert_eq!(
        e.service().and_then(|s| s.aadsts.as_deref()),
        Some("AADSTS70021")
    );
    assert!(e.message().contains("pull_request"), "{}", e.message());
    assert!(e
        .recommended_action()
        .unwrap_or_default()
        .contains("Federated credentials"));
}

#[test]
fn bad_inputs_are_refused_before_sending() {
    let emu = emulator();
    let federated = |file: Option<&str>| {
        config(
            &emu,
            Cloud::Global,
            AuthConfig::Federated {
                client_id: CLIENT_ID.into(),
                token_file: file.map(str::to_string),
            },
        )
    };
    let e = build_error(auth::token_source(
        &federated(None),
        Zeroizing::new(b"  ".to_vec()),
    ));
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let e = build_error(auth::token_source(
        &federated(Some("/tmp/x")),
        Zeroizing::new(b"token".to_vec()),
    ));
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let mut no_tenant = federated(None);
    no_tenant.tenant_id = None;
    let e = build_error(auth::token_source(
        &no_tenant,
        Zeroizing::new(b"t".to_vec()),
    ));
    assert_eq!(e.target(), Some("tenantId"));
    assert!(emu.requests().is_empty());
}
