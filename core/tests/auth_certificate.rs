//! Certificate (client assertion) sign-in against the in-process emulator. Keys and certificates
//! are test-only fixtures (see tests/fixtures/README.md).

mod auth_support;

use auth_support::*;
use base64::Engine as _;
use graph_emulator::App;
use photo_policy_core::auth::certificate::CertificateSource;
use photo_policy_core::auth::{self, AuthConfig};
use photo_policy_core::cloud::Cloud;
use photo_policy_core::ErrorKind;
use sha2::Digest as _;
use zeroize::Zeroizing;

fn cert_config(
    emu: &graph_emulator::Emulator,
    cert: &str,
    legacy_rs256: bool,
) -> photo_policy_core::config::ClientConfig {
    config(
        emu,
        Cloud::Global,
        AuthConfig::Certificate {
            client_id: CLIENT_ID.into(),
            certificate_pem: fixture_text(cert),
            legacy_rs256,
        },
    )
}

fn register(emu: &graph_emulator::Emulator, cert: &str) {
    emu.register_app(App::with_certificate(
        TENANT,
        CLIENT_ID,
        &fixture_text(cert),
        &["PeopleSettings.ReadWrite.All"],
    ));
}

fn key(name: &str) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(fixture(name))
}

fn cert_der(name: &str) -> Vec<u8> {
    pem::parse(fixture(name)).unwrap().into_contents()
}

#[test]
fn ps256_assertion_is_accepted_and_well_formed() {
    let emu = emulator();
    register(&emu, "test-cert.pem");
    let cfg = cert_config(&emu, "test-cert.pem", false);
    let source = auth::token_source(&cfg, key("test-key.pem")).unwrap();
    let (rec, events) = recorder();
    let t = token(source.as_ref(), &events).unwrap();
    assert_eq!(
        jwt_part(&t.token, 1)["roles"][0],
        "PeopleSettings.ReadWrite.All"
    );
    token(source.as_ref(), &events).unwrap();
    let reqs = requests_on(&emu, "token");
    assert_eq!(reqs.len(), 1, "cached after the first sign-in");
    let body = reqs[0].body.clone().unwrap_or_default();
    assert!(body.contains("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"), "{body}");
    assert!(!body.contains("client_secret"));
    assert!(!rec.all_text().contains("PRIVATE KEY"));

    // Inspect an assertion the same source builds.
    let direct = CertificateSource::new(
        context(&cfg),
        CLIENT_ID,
        &fixture_text("test-cert.pem"),
        key("test-key.pem"),
        false,
    )
    .unwrap();
    let url = format!("{}/{TENANT}/oauth2/v2.0/token", emu.url());
    let assertion = direct.client_assertion(&url).unwrap();
    let header = jwt_part(&assertion, 0);
    let claims = jwt_part(&assertion, 1);
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    assert_eq!(header["alg"], "PS256");
    assert_eq!(
        header["x5t#S256"],
        b64.encode(sha2::Sha256::digest(cert_der("test-cert.pem")))
    );
    assert!(header.get("x5t").is_none());
    assert_eq!(claims["aud"], url);
    assert_eq!(claims["iss"], CLIENT_ID);
    assert_eq!(claims["sub"], CLIENT_ID);
    let exp = claims["exp"].as_i64().unwrap();
    let nbf = claims["nbf"].as_i64().unwrap();
    assert!(exp - nbf > 0 && exp - nbf <= 600, "lifetime {}", exp - nbf);
    let jti = claims["jti"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(jti).is_ok());
    let again = direct.client_assertion(&url).unwrap();
    assert_ne!(
        jwt_part(&again, 1)["jti"],
        claims["jti"],
        "a new jti per assertion"
    );
}

#[test]
fn rs256_with_sha1_thumbprint_is_accepted() {
    let emu = emulator();
    register(&emu, "test-cert.pem");
    let cfg = cert_config(&emu, "test-cert.pem", true);
    let source = auth::token_source(&cfg, key("test-key.pem")).unwrap();
    let (_rec, events) = recorder();
    token(source.as_ref(), &events).unwrap();

    let direct = CertificateSource::new(
        context(&cfg),
        CLIENT_ID,
        &fixture_text("test-cert.pem"),
        key("test-key.pem"),
        true,
    )
    .unwrap();
    let assertion = direct
        .client_assertion("http://x/t/oauth2/v2.0/token")
        .unwrap();
    let header = jwt_part(&assertion, 0);
    assert_eq!(header["alg"], "RS256");
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    assert_eq!(
        header["x5t"],
        b64.encode(sha1::Sha1::digest(cert_der("test-cert.pem")))
    );
    assert!(header.get("x5t#S256").is_none());
}

#[test]
fn pkcs1_pem_and_pkcs8_der_keys_work_too() {
    let emu = emulator();
    register(&emu, "test-cert.pem");
    let cfg = cert_config(&emu, "test-cert.pem", false);
    let (_rec, events) = recorder();
    for k in ["test-key-pkcs1.pem", "test-key.der"] {
        let source = auth::token_source(&cfg, key(k)).unwrap();
        token(source.as_ref(), &events).unwrap_or_else(|e| panic!("{k}: {e}"));
    }
}

#[test]
fn expired_certificate_fails_before_sending_naming_the_dates() {
    let emu = emulator();
    register(&emu, "test-cert.pem");
    let cfg = cert_config(&emu, "expired-cert.pem", false);
    let source = auth::token_source(&cfg, key("test-key.pem")).unwrap();
    let (_rec, events) = recorder();
    let err = token(source.as_ref(), &events).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(
        err.message().contains("expired on 2021-01-01T00:00:00Z"),
        "{}",
        err.message()
    );
    assert!(
        err.message().contains("2020-01-01T00:00:00Z"),
        "{}",
        err.message()
    );
    assert!(err.message().contains("AADSTS700027"), "{}", err.message());
    assert!(err.recommended_action().is_some());
    assert!(requests_on(&emu, "token").is_empty(), "nothing may be sent");
}

#[test]
fn not_yet_valid_certificate_fails_before_sending() {
    let emu = emulator();
    let cfg = cert_config(&emu, "future-cert.pem", false);
    let source = auth::token_source(&cfg, key("test-key.pem")).unwrap();
    let (_rec, events) = recorder();
    let err = token(source.as_ref(), &events).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(
        err.message()
            .contains("not valid before 2090-01-01T00:00:00Z"),
        "{}",
        err.message()
    );
    assert!(emu.requests().is_empty());
}

#[test]
fn unregistered_certificate_is_authentication_with_aadsts700027() {
    let emu = emulator();
    register(&emu, "test-cert.pem");
    let cfg = cert_config(&emu, "other-cert.pem", false);
    let source = auth::token_source(&cfg, key("other-key.pem")).unwrap();
    let (_rec, events) = recorder();
    let err = token(source.as_ref(), &events).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert_eq!(
        err.service().unwrap().aadsts.as_deref(),
        Some("AADSTS700027")
    );
    assert!(err.message().contains("AADSTS700027"), "{}", err.message());
    assert!(
        err.message().contains("not registered"),
        "{}",
        err.message()
    );
}

#[test]
fn wrong_or_mismatched_keys_are_invalid_argument() {
    let emu = emulator();
    let cfg = cert_config(&emu, "test-cert.pem", false);
    let e = build_error(auth::token_source(&cfg, key("ec-key.pem")));
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("elliptic-curve"), "{}", e.message());

    let e = build_error(auth::token_source(&cfg, key("other-key.pem")));
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(
        e.message().contains("does not belong to certificate"),
        "{}",
        e.message()
    );

    let e = build_error(auth::token_source(&cfg, key("test-cert.pem")));
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(
        e.message().contains("only a certificate"),
        "{}",
        e.message()
    );

    let e = build_error(auth::token_source(
        &cfg,
        Zeroizing::new(b"garbage".to_vec()),
    ));
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);

    let mut bad_cert = cfg.clone();
    bad_cert.auth = AuthConfig::Certificate {
        client_id: CLIENT_ID.into(),
        certificate_pem: fixture_text("test-key.pem"),
        legacy_rs256: false,
    };
    let e = build_error(auth::token_source(&bad_cert, key("test-key.pem")));
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("certificatePem"), "{}", e.message());
    assert!(emu.requests().is_empty());
}

#[test]
fn debug_never_shows_the_key() {
    let emu = emulator();
    let cfg = cert_config(&emu, "test-cert.pem", false);
    let source = CertificateSource::new(
        context(&cfg),
        CLIENT_ID,
        &fixture_text("test-cert.pem"),
        key("test-key.pem"),
        false,
    )
    .unwrap();
    let text = format!("{source:?}");
    assert!(text.contains("redacted"));
    assert!(!text.contains("MII"));
    assert_eq!(source.certificate().thumbprint_sha1_hex.len(), 40);
}
