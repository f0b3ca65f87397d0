//! Device code sign-in against the in-process emulator: approved, declined, expired, cancelled.
//! The emulator's poll interval is set to 1 s so the tests stay quick.

mod auth_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_support::*;
use graph_emulator::{DeviceCodeApproval, Emulator, Profile};
use photo_policy_core::auth::{self, connection_info, Access, AuthConfig, TokenSource};
use photo_policy_core::cloud::Cloud;
use photo_policy_core::events::{EventLevel, Events};
use photo_policy_core::ErrorKind;
use tokio_util::sync::CancellationToken;
use zeroize::Zeroizing;

const PEOPLE_ADMIN: &str = "024906de-61e5-49c8-8572-40335f1e0e10";

fn quick_emulator(expires_in: u64) -> Emulator {
    Emulator::start_blocking(Profile {
        device_code_interval: 1,
        device_code_expires_in: expires_in,
        ..Profile::default()
    })
}

fn device_source(emu: &Emulator, tenant: Option<&str>) -> Arc<dyn TokenSource> {
    let mut cfg = config(
        emu,
        Cloud::Global,
        AuthConfig::DeviceCode { client_id: None },
    );
    cfg.tenant_id = tenant.map(str::to_string);
    auth::token_source(&cfg, Zeroizing::new(Vec::new())).unwrap()
}

/// Starts `token()` on a thread of its own, blocking on the core runtime as a C ABI caller does
/// (the runtime is driven by its callers: a task merely spawned on it would not run).
fn start(
    source: &Arc<dyn TokenSource>,
    events: &Events,
    cancel: &CancellationToken,
) -> std::thread::JoinHandle<photo_policy_core::Result<photo_policy_core::auth::AccessToken>> {
    let (source, events, cancel) = (source.clone(), events.clone(), cancel.clone());
    std::thread::spawn(move || {
        let call = photo_policy_core::call_context::CallContext {
            cancel,
            stop: Default::default(),
            events,
            limits: None,
        };
        photo_policy_core::runtime::block_on(async move { source.token(&call).await })
    })
}

/// Waits until the emulator has handed out a user code.
fn wait_for_user_code(emu: &Emulator) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(code) = emu.pending_user_codes().pop() {
            return code;
        }
        assert!(Instant::now() < deadline, "no device code was requested");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn finish<T>(h: std::thread::JoinHandle<T>) -> T {
    h.join().unwrap()
}

#[test]
fn approved_sign_in_gives_a_delegated_token_and_connection_info() {
    let emu = quick_emulator(900);
    let source = device_source(&emu, Some(TENANT));
    let (rec, events) = recorder();
    let cancel = CancellationToken::new();
    let handle = start(&source, &events, &cancel);
    let user_code = wait_for_user_code(&emu);
    // The user sees the service's instructions, with the code, without -Verbose.
    let info = rec.messages(EventLevel::Information);
    assert_eq!(info.len(), 1, "{info:?}");
    assert!(
        info[0].contains(&user_code) && info[0].contains("devicelogin"),
        "{}",
        info[0]
    );

    emu.approve_device_code(DeviceCodeApproval {
        user_code,
        wids: vec![PEOPLE_ADMIN.into()],
        scp: Some("PeopleSettings.ReadWrite.All".into()),
        tenant_id: Some(TENANT.into()),
        upn: Some("admin@contoso.com".into()),
    })
    .unwrap();
    let t = finish(handle).unwrap();
    let claims = photo_policy_core::auth::claims::decode_claims(&t.token).unwrap();
    assert!(claims.is_delegated());
    assert!(auth::check_permissions(&claims, Access::Write).is_ok());

    // The request asked for the Graph permission (of the cloud) plus offline_access.
    let reqs = requests_on(&emu, "token");
    let start_req = reqs
        .iter()
        .find(|r| r.path.ends_with("/devicecode"))
        .expect("devicecode request");
    assert_eq!(start_req.path, format!("/{TENANT}/oauth2/v2.0/devicecode"));
    let body = start_req.body.clone().unwrap_or_default();
    assert!(
        body.contains("https%3A%2F%2Fgraph.microsoft.com%2FPeopleSettings.ReadWrite.All"),
        "{body}"
    );
    assert!(body.contains("offline_access"), "{body}");
    assert!(
        body.contains("client_id=14d82eec-204b-4c2f-b7e8-296a70dab67e"),
        "{body}"
    );

    // Cached: a second call neither polls nor shows a code again.
    let polls = requests_on(&emu, "token").len();
    token(source.as_ref(), &events).unwrap();
    assert_eq!(requests_on(&emu, "token").len(), polls);
    assert_eq!(rec.messages(EventLevel::Information).len(), 1);

    // Connection info: who, how, roles by name; never the token.
    let info = photo_policy_core::runtime::block_on(connection_info(
        source.as_ref(),
        &photo_policy_core::call_context::CallContext {
            cancel,
            stop: Default::default(),
            events,
            limits: None,
        },
    ))
    .unwrap();
    assert_eq!(info.auth_mode, "deviceCode");
    assert_eq!(info.tenant_id.as_deref(), Some(TENANT));
    assert_eq!(info.cloud, "Global");
    assert_eq!(info.account.as_deref(), Some("admin@contoso.com"));
    assert_eq!(
        info.directory_roles[0].name.as_deref(),
        Some("People Administrator")
    );
    assert!(info
        .scopes
        .iter()
        .any(|s| s == "PeopleSettings.ReadWrite.All"));
    assert!(info
        .token_expires_on
        .as_deref()
        .is_some_and(|s| s.ends_with('Z')));
    let json = serde_json::to_string(&info).unwrap();
    assert!(!json.contains(t.token.as_str()));
    assert!(!rec.all_text().contains(t.token.as_str()));
}

#[test]
fn declined_sign_in_is_a_clear_authentication_error() {
    let emu = quick_emulator(900);
    let source = device_source(&emu, None);
    let (_rec, events) = recorder();
    let cancel = CancellationToken::new();
    let handle = start(&source, &events, &cancel);
    let code = wait_for_user_code(&emu);
    emu.decline_device_code(&code).unwrap();
    let err = finish(handle).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(err.message().contains("declined"), "{}", err.message());
    assert_eq!(
        err.service().unwrap().code.as_deref(),
        Some("authorization_declined")
    );
    // No tenant configured: the flow starts on "organizations".
    assert!(requests_on(&emu, "token")[0]
        .path
        .starts_with("/organizations/"));
}

#[test]
fn expired_code_ends_the_flow() {
    let emu = quick_emulator(2);
    let source = device_source(&emu, Some(TENANT));
    let (_rec, events) = recorder();
    let err = token(source.as_ref(), &events).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(err.message().contains("expired"), "{}", err.message());
}

#[test]
fn cancelling_while_waiting_returns_promptly() {
    let emu = quick_emulator(900);
    let source = device_source(&emu, Some(TENANT));
    let (_rec, events) = recorder();
    let cancel = CancellationToken::new();
    let handle = start(&source, &events, &cancel);
    wait_for_user_code(&emu);
    let t0 = Instant::now();
    cancel.cancel();
    let err = finish(handle).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(
        t0.elapsed() < Duration::from_millis(900),
        "{:?}",
        t0.elapsed()
    );
}
