//! Certificate (client assertion) sign-in against the in-process emulator. Keys and certificates
//! are test-only fixtures (see tests/fixtures/README.md).

mod auth_support;

use auth_support::*;
use base64::Engine as _;
use graph_emulator::App;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use photo_policy_core::auth::certificate::CertificateSource;
use photo_policy_core::auth::private_key::KeySigner;
use photo_policy_core::auth::{self, AssertionSigner, AuthConfig, SignatureAlgorithm, SignerError};
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

/// A signer outside the core, as the C ABI caller's key store is: it signs with a key the test
/// holds, offers only the algorithms it is given, counts its calls and can be told to fail.
struct StoreSigner {
    key: KeySigner,
    algorithms: Vec<SignatureAlgorithm>,
    calls: AtomicUsize,
    failure: Option<String>,
    /// Fails PS256 signatures only, as keys on some smart cards and HSMs do.
    pss_failure: Option<String>,
}

impl StoreSigner {
    fn new(key_fixture: &str, algorithms: &[SignatureAlgorithm]) -> Self {
        Self {
            key: KeySigner::from_bytes(&fixture(key_fixture)).unwrap(),
            algorithms: algorithms.to_vec(),
            calls: AtomicUsize::new(0),
            failure: None,
            pss_failure: None,
        }
    }

    fn failing(reason: &str) -> Self {
        Self {
            failure: Some(reason.into()),
            ..Self::new("test-key.pem", &[SignatureAlgorithm::Rs256])
        }
    }
}

impl AssertionSigner for StoreSigner {
    fn supports(&self, algorithm: SignatureAlgorithm) -> bool {
        self.algorithms.contains(&algorithm)
    }

    fn sign(
        &self,
        algorithm: SignatureAlgorithm,
        signing_input: &[u8],
    ) -> std::result::Result<Vec<u8>, SignerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        assert!(self.supports(algorithm), "asked for {algorithm}");
        match (&self.failure, &self.pss_failure) {
            (Some(reason), _) => Err(SignerError::new(reason)),
            (None, Some(reason)) if algorithm == SignatureAlgorithm::Ps256 => {
                Err(SignerError::new(reason))
            }
            _ => self.key.sign(algorithm, signing_input),
        }
    }

    fn kind(&self) -> &'static str {
        "a test key store"
    }
}

fn signer_source(
    cfg: &photo_policy_core::config::ClientConfig,
    signer: Arc<StoreSigner>,
) -> CertificateSource {
    CertificateSource::with_signer(
        context(cfg),
        CLIENT_ID,
        &fixture_text("test-cert.pem"),
        signer,
        false,
    )
    .unwrap()
}

#[test]
fn an_external_rs256_signer_signs_assertions_the_emulator_accepts() {
    // A key store without PSS (the Windows CryptoAPI): RS256 with the SHA-1 thumbprint.
    let emu = emulator();
    register(&emu, "test-cert.pem");
    let cfg = cert_config(&emu, "test-cert.pem", false);
    let signer = Arc::new(StoreSigner::new(
        "test-key.pem",
        &[SignatureAlgorithm::Rs256],
    ));
    let source = auth::token_source_with_signer(&cfg, signer.clone()).unwrap();
    let (rec, events) = recorder();
    let t = token(source.as_ref(), &events).unwrap();
    assert_eq!(
        jwt_part(&t.token, 1)["roles"][0],
        "PeopleSettings.ReadWrite.All"
    );
    assert_eq!(signer.calls.load(Ordering::SeqCst), 1);
    token(source.as_ref(), &events).unwrap();
    assert_eq!(
        signer.calls.load(Ordering::SeqCst),
        1,
        "the token is cached: no second signature"
    );
    assert!(!rec.all_text().contains("PRIVATE KEY"));

    let direct = signer_source(&cfg, signer.clone());
    assert_eq!(direct.algorithm(), SignatureAlgorithm::Rs256);
    let assertion = direct
        .client_assertion("http://x/t/oauth2/v2.0/token")
        .unwrap();
    let header = jwt_part(&assertion, 0);
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    assert_eq!(header["alg"], "RS256");
    assert_eq!(
        header["x5t"],
        b64.encode(sha1::Sha1::digest(cert_der("test-cert.pem")))
    );
    assert!(header.get("x5t#S256").is_none());
    assert_eq!(jwt_part(&assertion, 1)["iss"], CLIENT_ID);
}

#[test]
fn an_external_signer_with_pss_signs_ps256_and_serves_every_tenant() {
    let emu = emulator();
    register(&emu, "test-cert.pem");
    let other_tenant = "contoso-fleet.onmicrosoft.com";
    emu.register_app(App::with_certificate(
        other_tenant,
        CLIENT_ID,
        &fixture_text("test-cert.pem"),
        &["PeopleSettings.Read.All"],
    ));
    let cfg = cert_config(&emu, "test-cert.pem", false);
    let signer = Arc::new(StoreSigner::new(
        "test-key.pem",
        &[SignatureAlgorithm::Rs256, SignatureAlgorithm::Ps256],
    ));
    let direct = signer_source(&cfg, signer.clone());
    assert_eq!(direct.algorithm(), SignatureAlgorithm::Ps256);
    let header = jwt_part(
        &direct
            .client_assertion("http://x/t/oauth2/v2.0/token")
            .unwrap(),
        0,
    );
    assert_eq!(header["alg"], "PS256");
    assert!(header.get("x5t#S256").is_some());

    let source = auth::token_source_with_signer(&cfg, signer.clone()).unwrap();
    let (_rec, events) = recorder();
    token(source.as_ref(), &events).unwrap();
    // The same signer signs for another tenant of a fleet run, with a token cache of its own.
    let fleet = source.for_tenant(other_tenant).unwrap().unwrap();
    let t = token(fleet.as_ref(), &events).unwrap();
    assert_eq!(jwt_part(&t.token, 1)["roles"][0], "PeopleSettings.Read.All");
    assert_eq!(signer.calls.load(Ordering::SeqCst), 3);

    // legacyRs256 asks for RS256 even when the signer offers PSS.
    let legacy = CertificateSource::with_signer(
        context(&cfg),
        CLIENT_ID,
        &fixture_text("test-cert.pem"),
        signer,
        true,
    )
    .unwrap();
    assert_eq!(legacy.algorithm(), SignatureAlgorithm::Rs256);
}

#[test]
fn a_signer_that_cannot_sign_is_a_clear_sign_in_error_and_nothing_is_sent() {
    let emu = emulator();
    register(&emu, "test-cert.pem");
    let cfg = cert_config(&emu, "test-cert.pem", false);
    let signer = Arc::new(StoreSigner::failing(
        "Keyset does not exist\r\n(the smart card was removed)",
    ));
    let source = auth::token_source_with_signer(&cfg, signer).unwrap();
    let (rec, events) = recorder();
    let err = token(source.as_ref(), &events).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    let thumbprint = CertificateSource::new(
        context(&cfg),
        CLIENT_ID,
        &fixture_text("test-cert.pem"),
        key("test-key.pem"),
        false,
    )
    .unwrap()
    .certificate()
    .thumbprint_sha1_hex
    .clone();
    for part in [
        CLIENT_ID,
        thumbprint.as_str(),
        "could not sign the client assertion",
        "Keyset does not exist (the smart card was removed)",
        "Nothing was sent",
    ] {
        assert!(err.message().contains(part), "{part}: {}", err.message());
    }
    assert!(err
        .recommended_action()
        .unwrap()
        .contains("Manage Private Keys"));
    assert!(requests_on(&emu, "token").is_empty(), "nothing may be sent");
    let key_text = fixture_text("test-key.pem");
    let key_body: String = key_text.lines().nth(1).unwrap().to_string();
    for text in [
        err.message().to_string(),
        rec.all_text(),
        format!("{err:?}"),
    ] {
        assert!(!text.contains("PRIVATE KEY"), "{text}");
        assert!(!text.contains(&key_body), "{text}");
    }
}

#[test]
fn a_signature_by_another_key_is_refused_before_sending() {
    let emu = emulator();
    register(&emu, "test-cert.pem");
    let cfg = cert_config(&emu, "test-cert.pem", false);
    let signer = Arc::new(StoreSigner::new(
        "other-key.pem",
        &[SignatureAlgorithm::Ps256],
    ));
    let source = auth::token_source_with_signer(&cfg, signer).unwrap();
    let (_rec, events) = recorder();
    let err = token(source.as_ref(), &events).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(
        err.message()
            .contains("does not verify with the public key of certificate"),
        "{}",
        err.message()
    );
    assert!(
        err.message().contains("a test key store"),
        "{}",
        err.message()
    );
    assert!(requests_on(&emu, "token").is_empty(), "nothing may be sent");
}

#[test]
fn signer_sources_check_mode_algorithms_and_certificate_without_signing() {
    let emu = emulator();
    let cfg = cert_config(&emu, "test-cert.pem", false);
    let none = Arc::new(StoreSigner::new("test-key.pem", &[]));
    let e = build_error(auth::token_source_with_signer(&cfg, none.clone()));
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("PS256 or RS256"), "{}", e.message());

    let pss_only = Arc::new(StoreSigner::new(
        "test-key.pem",
        &[SignatureAlgorithm::Ps256],
    ));
    let legacy = cert_config(&emu, "test-cert.pem", true);
    let e = build_error(auth::token_source_with_signer(&legacy, pss_only.clone()));
    assert!(e.message().contains("legacyRs256"), "{}", e.message());

    let mut secret_mode = cfg.clone();
    secret_mode.auth = AuthConfig::ClientSecret {
        client_id: CLIENT_ID.into(),
    };
    let e = build_error(auth::token_source_with_signer(
        &secret_mode,
        pss_only.clone(),
    ));
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("'clientSecret'"), "{}", e.message());

    let mut not_a_certificate = cfg.clone();
    not_a_certificate.auth = AuthConfig::Certificate {
        client_id: CLIENT_ID.into(),
        certificate_pem: "hello".into(),
        legacy_rs256: false,
    };
    let e = build_error(auth::token_source_with_signer(
        &not_a_certificate,
        pss_only.clone(),
    ));
    assert!(e.message().contains("certificatePem"), "{}", e.message());

    assert_eq!(pss_only.calls.load(Ordering::SeqCst), 0, "nothing signed");
    assert!(emu.requests().is_empty());
    let debug = format!("{:?}", signer_source(&cfg, pss_only));
    assert!(debug.contains("a test key store"), "{debug}");
    assert!(debug.contains("redacted"), "{debug}");
}

#[test]
fn a_key_that_cannot_make_pss_falls_back_to_rs256_once_for_every_tenant() {
    let emu = emulator();
    register(&emu, "test-cert.pem");
    let other_tenant = "contoso-hsm.onmicrosoft.com";
    emu.register_app(App::with_certificate(
        other_tenant,
        CLIENT_ID,
        &fixture_text("test-cert.pem"),
        &["PeopleSettings.Read.All"],
    ));
    let cfg = cert_config(&emu, "test-cert.pem", false);
    let signer = Arc::new(StoreSigner {
        pss_failure: Some("The requested operation is not supported.".into()),
        ..StoreSigner::new(
            "test-key.pem",
            &[SignatureAlgorithm::Rs256, SignatureAlgorithm::Ps256],
        )
    });
    let source = auth::token_source_with_signer(&cfg, signer.clone()).unwrap();
    let (rec, events) = recorder();
    token(source.as_ref(), &events).unwrap();
    assert_eq!(
        signer.calls.load(Ordering::SeqCst),
        2,
        "PS256 refused, then RS256"
    );
    let verbose = rec
        .messages(photo_policy_core::events::EventLevel::Verbose)
        .join("\n");
    assert!(
        verbose.contains(
            "could not make a PS256 signature (The requested operation is not supported.)"
        ) && verbose.contains("RS256 from now on"),
        "{verbose}"
    );
    // Another tenant of the same connection goes straight to RS256.
    let fleet = source.for_tenant(other_tenant).unwrap().unwrap();
    token(fleet.as_ref(), &events).unwrap();
    assert_eq!(signer.calls.load(Ordering::SeqCst), 3);
    let assertions: Vec<_> = requests_on(&emu, "token")
        .into_iter()
        .map(|r| r.body.unwrap_or_default())
        .collect();
    assert_eq!(
        assertions.len(),
        2,
        "one request per tenant: the refused PS256 was never sent"
    );

    // When RS256 fails too, its reason is the error.
    let mut both = StoreSigner::new(
        "test-key.pem",
        &[SignatureAlgorithm::Rs256, SignatureAlgorithm::Ps256],
    );
    both.failure = Some("The smart card was removed.".into());
    let source = auth::token_source_with_signer(&cfg, Arc::new(both)).unwrap();
    let err = token(source.as_ref(), &events).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(
        err.message().contains("The smart card was removed"),
        "{}",
        err.message()
    );
}
