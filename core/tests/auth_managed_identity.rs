//! Managed identity sign-in in all three styles against the in-process emulator. Every endpoint
//! is the emulator on 127.0.0.1 (config `endpoint`); the environment is injected, never the
//! process's. Nothing is ever sent to 169.254.169.254.

mod auth_support;

use std::path::Path;
use std::time::{Duration, SystemTime};

use auth_support::*;
use graph_emulator::{ExpiresOn, ManagedIdentity, Profile, UserAssignedIdentity};
use photo_policy_core::auth::managed_identity::{
    read_arc_key, ManagedIdentityEnv, ManagedIdentityStyle, ARC_MAX_KEY_BYTES,
};
use photo_policy_core::auth::sources::build_with;
use photo_policy_core::auth::{AuthConfig, TokenSource};
use photo_policy_core::cloud::Cloud;
use photo_policy_core::ErrorKind;
use std::sync::Arc;
use zeroize::Zeroizing;

const HEADER: &str = "test-only-identity-header";
const UA_CLIENT_ID: &str = "0f0f0f0f-1111-2222-3333-444444444444";

fn configure(emu: &graph_emulator::Emulator, arc_key_dir: Option<&Path>) {
    emu.set_managed_identity(ManagedIdentity {
        tenant_id: TENANT.into(),
        roles: vec!["PeopleSettings.ReadWrite.All".into()],
        identity_header: Some(HEADER.into()),
        arc_key_dir: arc_key_dir.map(|p| p.display().to_string()),
        client_id: None,
        user_assigned: vec![UserAssignedIdentity {
            client_id: UA_CLIENT_ID.into(),
            principal_id: Some("ua-object-id".into()),
            resource_id: None,
            roles: Some(vec!["PeopleSettings.Read.All".into()]),
        }],
    });
}

fn mi_config(
    emu: &graph_emulator::Emulator,
    style: Option<ManagedIdentityStyle>,
    path: Option<&str>,
    client_id: Option<&str>,
    arc_token_dir: Option<&Path>,
) -> photo_policy_core::config::ClientConfig {
    let mut cfg = config(
        emu,
        Cloud::Global,
        AuthConfig::ManagedIdentity {
            client_id: client_id.map(str::to_string),
            object_id: None,
            resource_id: None,
            style,
            endpoint: path.map(|p| format!("{}{p}", emu.url())),
            arc_token_dir: arc_token_dir.map(|p| p.display().to_string()),
        },
    );
    cfg.tenant_id = None; // managed identity needs no tenant
    cfg
}

fn no_secret() -> Zeroizing<Vec<u8>> {
    Zeroizing::new(Vec::new())
}

fn build(
    cfg: &photo_policy_core::config::ClientConfig,
    env: ManagedIdentityEnv,
) -> Arc<dyn TokenSource> {
    build_with(
        cfg,
        no_secret(),
        photo_policy_core::runtime::http_client().clone(),
        env,
    )
    .unwrap()
}

/// The environment App Service sets, pointing at the emulator.
fn app_service_env(emu: &graph_emulator::Emulator) -> ManagedIdentityEnv {
    ManagedIdentityEnv {
        identity_endpoint: Some(format!("{}/msi/token", emu.url())),
        identity_header: Some(Zeroizing::new(HEADER.into())),
        ..Default::default()
    }
}

fn check_expiry(t: &photo_policy_core::auth::AccessToken) {
    let exp = t.expires_at.expect("expiry known");
    assert!(
        exp > SystemTime::now() + Duration::from_secs(3000),
        "{exp:?}"
    );
    assert!(
        exp < SystemTime::now() + Duration::from_secs(3700),
        "{exp:?}"
    );
}

#[test]
fn app_service_detected_from_env_with_expires_on_as_string_and_number() {
    for (expires_on, label) in [(ExpiresOn::String, "string"), (ExpiresOn::Number, "number")] {
        let emu = emulator();
        emu.set_profile(Profile {
            expires_on,
            ..Profile::default()
        });
        configure(&emu, None);
        let source = build(
            &mi_config(&emu, None, None, None, None),
            app_service_env(&emu),
        );
        let (rec, events) = recorder();
        let t = token(source.as_ref(), &events).unwrap_or_else(|e| panic!("{label}: {e}"));
        check_expiry(&t);
        assert_eq!(
            jwt_part(&t.token, 1)["roles"][0],
            "PeopleSettings.ReadWrite.All"
        );
        token(source.as_ref(), &events).unwrap();
        let reqs = requests_on(&emu, "msi");
        assert_eq!(reqs.len(), 1, "{label}: cached");
        assert_eq!(reqs[0].path, "/msi/token");
        let q = reqs[0].query.clone().unwrap_or_default();
        assert!(q.contains("api-version=2019-08-01"), "{q}");
        assert!(
            q.contains("resource=https%3A%2F%2Fgraph.microsoft.com"),
            "{q}"
        );
        assert!(reqs[0].header("metadata").is_some());
        assert!(!rec.all_text().contains(HEADER));
    }
}

#[test]
fn app_service_user_assigned_by_client_id_and_wrong_header() {
    let emu = emulator();
    configure(&emu, None);
    let source = build(
        &mi_config(&emu, None, None, Some(UA_CLIENT_ID), None),
        app_service_env(&emu),
    );
    let (_rec, events) = recorder();
    let t = token(source.as_ref(), &events).unwrap();
    assert_eq!(jwt_part(&t.token, 1)["roles"][0], "PeopleSettings.Read.All");
    let q = requests_on(&emu, "msi")[0]
        .query
        .clone()
        .unwrap_or_default();
    assert!(q.contains(&format!("client_id={UA_CLIENT_ID}")), "{q}");

    let mut env = app_service_env(&emu);
    env.identity_header = Some(Zeroizing::new("wrong-header".into()));
    let source = build(&mi_config(&emu, None, None, None, None), env);
    let err = token(source.as_ref(), &events).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(err.message().contains("App Service"), "{}", err.message());
    assert!(!err.message().contains("wrong-header"));
}

#[test]
fn imds_style_with_string_values_and_user_assigned_identity() {
    let emu = emulator();
    configure(&emu, None);
    // Forced style + endpoint: the real IMDS address is never used by tests.
    let cfg = mi_config(
        &emu,
        Some(ManagedIdentityStyle::Imds),
        Some("/metadata/identity/oauth2/token"),
        Some(UA_CLIENT_ID),
        None,
    );
    let source = build(&cfg, ManagedIdentityEnv::default());
    let (_rec, events) = recorder();
    let t = token(source.as_ref(), &events).unwrap();
    check_expiry(&t);
    let reqs = requests_on(&emu, "msi");
    assert_eq!(reqs.len(), 1);
    let q = reqs[0].query.clone().unwrap_or_default();
    assert!(q.contains("api-version=2018-02-01"), "{q}");
    assert!(q.contains(&format!("client_id={UA_CLIENT_ID}")), "{q}");
    assert_eq!(
        reqs[0]
            .header("metadata")
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("true")
    );

    // An unknown user-assigned identity: the endpoint's error, as Authentication.
    let cfg = mi_config(
        &emu,
        Some(ManagedIdentityStyle::Imds),
        Some("/metadata/identity/oauth2/token"),
        Some("12345678-0000-0000-0000-000000000000"),
        None,
    );
    let err = token(build(&cfg, ManagedIdentityEnv::default()).as_ref(), &events).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(
        err.message().contains("Identity not found"),
        "{}",
        err.message()
    );
    assert!(err.recommended_action().is_some());
}

#[test]
fn arc_detected_from_env_answers_the_challenge() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    configure(&emu, Some(dir.path()));
    let env = ManagedIdentityEnv {
        identity_endpoint: Some(format!("{}/arc/metadata/identity/oauth2/token", emu.url())),
        imds_endpoint: Some(emu.url()),
        ..Default::default()
    };
    let cfg = mi_config(&emu, None, None, None, Some(dir.path()));
    let source = build(&cfg, env);
    let (rec, events) = recorder();
    let t = token(source.as_ref(), &events).unwrap();
    check_expiry(&t);
    let reqs = requests_on(&emu, "msi");
    assert_eq!(
        reqs.iter().map(|r| r.status).collect::<Vec<_>>(),
        [Some(401), Some(200)]
    );
    // The key file's contents are a secret: never in events.
    let key_file = std::fs::read_dir(dir.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let contents = std::fs::read_to_string(key_file).unwrap();
    assert!(!rec.all_text().contains(contents.trim()));
}

#[test]
fn arc_refuses_a_realm_outside_the_token_folder() {
    let emu = emulator();
    let written_here = tempfile::tempdir().unwrap();
    let trusted = tempfile::tempdir().unwrap();
    configure(&emu, Some(written_here.path()));
    let cfg = mi_config(
        &emu,
        Some(ManagedIdentityStyle::Arc),
        Some("/arc/metadata/identity/oauth2/token"),
        None,
        Some(trusted.path()),
    );
    let source = build(&cfg, ManagedIdentityEnv::default());
    let (_rec, events) = recorder();
    let err = token(source.as_ref(), &events).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(
        err.message()
            .contains("not inside the agent's token folder"),
        "{}",
        err.message()
    );
    // Only the challenge was sent; no second request carried anything.
    assert_eq!(requests_on(&emu, "msi").len(), 1);
}

#[test]
fn arc_key_file_checks() {
    let trusted = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();

    let ok = trusted.path().join("good.key");
    std::fs::write(&ok, "secret-value\n").unwrap();
    assert_eq!(
        read_arc_key(&ok, trusted.path()).unwrap().as_str(),
        "secret-value"
    );

    let exact = trusted.path().join("exact.key");
    std::fs::write(&exact, vec![b'a'; ARC_MAX_KEY_BYTES as usize]).unwrap();
    assert!(read_arc_key(&exact, trusted.path()).is_ok());

    let big = trusted.path().join("big.key");
    std::fs::write(&big, vec![b'a'; ARC_MAX_KEY_BYTES as usize + 1]).unwrap();
    let e = read_arc_key(&big, trusted.path()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Authentication);
    assert!(e.message().contains("4097 bytes"), "{}", e.message());

    let not_key = trusted.path().join("secret.txt");
    std::fs::write(&not_key, "x").unwrap();
    assert!(read_arc_key(&not_key, trusted.path())
        .unwrap_err()
        .message()
        .contains("not a .key file"));

    let elsewhere = outside.path().join("a.key");
    std::fs::write(&elsewhere, "x").unwrap();
    assert!(read_arc_key(&elsewhere, trusted.path()).is_err());

    // `..` and links that leave the folder are resolved before the check.
    let dotdot = trusted
        .path()
        .join("..")
        .join(outside.path().file_name().unwrap())
        .join("a.key");
    assert!(read_arc_key(&dotdot, trusted.path()).is_err());
    #[cfg(unix)]
    {
        let link = trusted.path().join("link.key");
        std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
        assert!(read_arc_key(&link, trusted.path()).is_err());
    }
    let sub = trusted.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("nested.key"), "x").unwrap();
    assert!(read_arc_key(&sub.join("nested.key"), trusted.path()).is_err());
}

#[test]
fn endpoint_and_identity_rules_are_checked_before_sending() {
    let emu = emulator();
    let http = photo_policy_core::runtime::http_client().clone();
    // Plain http to a non-local address is refused.
    let mut cfg = mi_config(&emu, Some(ManagedIdentityStyle::Imds), None, None, None);
    if let AuthConfig::ManagedIdentity { endpoint, .. } = &mut cfg.auth {
        *endpoint = Some("http://10.0.0.5/metadata/identity/oauth2/token".into());
    }
    let e = build_error(build_with(
        &cfg,
        no_secret(),
        http.clone(),
        ManagedIdentityEnv::default(),
    ));
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("10.0.0.5"));
    // Arc has no user-assigned identities.
    let cfg = mi_config(
        &emu,
        Some(ManagedIdentityStyle::Arc),
        Some("/arc/x"),
        Some(UA_CLIENT_ID),
        Some(Path::new("/tmp")),
    );
    let e = build_error(build_with(
        &cfg,
        no_secret(),
        http.clone(),
        ManagedIdentityEnv::default(),
    ));
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    // App Service without IDENTITY_HEADER.
    let cfg = mi_config(
        &emu,
        Some(ManagedIdentityStyle::AppService),
        Some("/msi/token"),
        None,
        None,
    );
    let e = build_error(build_with(
        &cfg,
        no_secret(),
        http,
        ManagedIdentityEnv::default(),
    ));
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("IDENTITY_HEADER"));
    assert!(emu.requests().is_empty());
}
