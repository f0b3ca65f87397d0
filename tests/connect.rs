//! `pup_client_connect` against the Graph emulator: sign-in happens at connect time, the
//! connection info describes it without the token, the token is reused by later calls, bad
//! credentials fail with the AADSTS code, and the permission pre-flight refuses a write before
//! anything is sent.

use std::ptr;

use graph_emulator::{App, Emulator, Profile, TokenSpec, READ_PERMISSION, WRITE_PERMISSION};
use photo_update_policy::*;
use serde_json::{json, Value};

const TENANT: &str = "0c0d8c35-5a3f-4f5e-9a36-3c1f5e2a9b71";
const CLIENT_ID: &str = "6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b";
const SECRET: &str = "s3cret~Value.For-Tests_Only";

fn borrowed(ptr: *const u8, len: usize) -> String {
    if ptr.is_null() {
        return String::new();
    }
    String::from_utf8(unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec()).unwrap()
}

/// A client handle freed on drop.
struct Client(*mut PupClient);

impl Drop for Client {
    fn drop(&mut self) {
        unsafe { pup_client_free(self.0) };
    }
}

fn client(emu: &Emulator, auth: Value, secret: &str) -> Client {
    let config = json!({
        "tenantId": TENANT,
        "graphEndpoint": emu.url(),
        "authorityEndpoint": emu.url(),
        "allowInsecureLoopback": true,
        "auth": auth,
        "retry": {"maxRetries": 0}
    })
    .to_string();
    let (mut c, mut e) = (ptr::null_mut(), ptr::null_mut());
    let status = unsafe {
        pup_client_new(
            config.as_ptr(),
            config.len(),
            secret.as_ptr(),
            secret.len(),
            &mut c,
            &mut e,
        )
    };
    assert_eq!(status, PupStatus::Ok);
    Client(c)
}

/// Calls an operation taking (client, ctx, out_result, out_error); returns status and JSON.
fn call(
    f: unsafe extern "C" fn(
        *const PupClient,
        *const PupCallContext,
        *mut *mut PupResult,
        *mut *mut PupError,
    ) -> PupStatus,
    client: &Client,
) -> (PupStatus, Value) {
    let (mut r, mut e) = (ptr::null_mut(), ptr::null_mut());
    let status = unsafe { f(client.0, ptr::null(), &mut r, &mut e) };
    let (mut p, mut n) = (ptr::null(), 0);
    let text = if status == PupStatus::Ok {
        assert!(e.is_null());
        unsafe { pup_result_json(r, &mut p, &mut n) };
        borrowed(p, n)
    } else {
        assert!(r.is_null());
        unsafe { pup_error_json(e, &mut p, &mut n) };
        borrowed(p, n)
    };
    unsafe {
        pup_result_free(r);
        pup_error_free(e);
    }
    (status, serde_json::from_str(&text).unwrap())
}

#[test]
fn connect_signs_in_once_and_describes_the_connection_without_the_token() {
    let emu = Emulator::start_blocking(Profile::default());
    emu.register_app(App::with_secret(
        TENANT,
        CLIENT_ID,
        SECRET,
        &[WRITE_PERMISSION],
    ));
    let c = client(
        &emu,
        json!({"mode": "clientSecret", "clientId": CLIENT_ID}),
        SECRET,
    );
    let (status, info) = call(pup_client_connect, &c);
    assert_eq!(status, PupStatus::Ok, "{info}");
    assert_eq!(info["tenantId"], TENANT);
    assert_eq!(info["cloud"], "Global");
    assert_eq!(info["authMode"], "clientSecret");
    assert_eq!(info["clientId"], CLIENT_ID);
    assert_eq!(info["roles"], json!([WRITE_PERMISSION]));
    assert!(info["tokenExpiresOn"].as_str().unwrap().ends_with('Z'));
    let text = info.to_string();
    assert!(!text.contains(SECRET));
    assert!(
        !text.contains("eyJ"),
        "no JWT in the connection info: {text}"
    );

    // The sign-in happened at connect; the read reuses the cached token (one token request).
    let (status, policy) = call(pup_policy_get, &c);
    assert_eq!(status, PupStatus::Ok, "{policy}");
    let routes: Vec<String> = emu.requests().iter().map(|r| r.route.clone()).collect();
    assert_eq!(routes, ["token", "graph"]);
}

#[test]
fn connect_with_a_wrong_secret_fails_with_the_aadsts_code() {
    let emu = Emulator::start_blocking(Profile::default());
    emu.register_app(App::with_secret(
        TENANT,
        CLIENT_ID,
        SECRET,
        &[WRITE_PERMISSION],
    ));
    let c = client(
        &emu,
        json!({"mode": "clientSecret", "clientId": CLIENT_ID}),
        "not-the-secret",
    );
    let (status, error) = call(pup_client_connect, &c);
    assert_eq!(status, PupStatus::Authentication);
    assert_eq!(error["code"], "invalid_client");
    assert_eq!(error["aadsts"], "AADSTS7000215");
    assert!(!error.to_string().contains("not-the-secret"));
    assert!(emu.requests().iter().all(|r| r.route == "token"));
}

#[test]
fn write_without_the_permission_is_refused_before_sending() {
    let emu = Emulator::start_blocking(Profile::default());
    let token = emu.mint_token(TokenSpec::app(TENANT, &[READ_PERMISSION]));
    let c = client(&emu, json!({"mode": "accessToken"}), &token);
    let (status, info) = call(pup_client_connect, &c);
    assert_eq!(status, PupStatus::Ok);
    assert_eq!(info["authMode"], "accessToken");
    assert_eq!(info["roles"], json!([READ_PERMISSION]));

    let reset = |client: *const PupClient,
                 ctx: *const PupCallContext,
                 r: *mut *mut PupResult,
                 e: *mut *mut PupError| unsafe {
        pup_policy_reset(client, ptr::null(), 0, ctx, r, e)
    };
    // A closure cannot be an extern "C" fn: call it directly.
    let (mut r, mut e) = (ptr::null_mut(), ptr::null_mut());
    let status = reset(c.0, ptr::null(), &mut r, &mut e);
    assert_eq!(status, PupStatus::PermissionDenied);
    assert_eq!(unsafe { pup_error_http_status(e) }, 0, "nothing was sent");
    let (mut p, mut n) = (ptr::null(), 0);
    unsafe { pup_error_message(e, &mut p, &mut n) };
    assert!(borrowed(p, n).contains("PeopleSettings.ReadWrite.All"));
    unsafe { pup_error_recommended_action(e, &mut p, &mut n) };
    assert!(borrowed(p, n).contains("admin consent"));
    unsafe { pup_error_free(e) };
    assert!(
        emu.requests().is_empty(),
        "no request: {:?}",
        emu.requests()
    );

    // Reading is allowed with the read permission.
    let (status, _) = call(pup_policy_get, &c);
    assert_eq!(status, PupStatus::Ok);
}

#[test]
fn connect_checks_its_pointers() {
    let (mut r, mut e) = (ptr::null_mut(), ptr::null_mut());
    let status = unsafe { pup_client_connect(ptr::null(), ptr::null(), &mut r, &mut e) };
    assert_eq!(status, PupStatus::NullArgument);
    assert!(r.is_null());
    unsafe { pup_error_free(e) };
    let status = unsafe { pup_client_connect(ptr::null(), ptr::null(), &mut r, ptr::null_mut()) };
    assert_eq!(status, PupStatus::NullArgument);
}

/// `pup_client_for_tenant`: the app's client secret signs in to another tenant (its own token),
/// an access token's client is refused saying why, and pointers are checked.
#[test]
fn client_for_tenant_serves_another_tenant_with_the_same_app() {
    const OTHER: &str = "7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918";
    let emu = Emulator::start_blocking(Profile::default());
    for tenant in [TENANT, OTHER] {
        emu.register_app(App::with_secret(
            tenant,
            CLIENT_ID,
            SECRET,
            &[WRITE_PERMISSION],
        ));
    }
    let home = client(
        &emu,
        json!({"mode": "clientSecret", "clientId": CLIENT_ID}),
        SECRET,
    );
    let (mut c, mut e) = (ptr::null_mut(), ptr::null_mut());
    let status =
        unsafe { pup_client_for_tenant(home.0, OTHER.as_ptr(), OTHER.len(), &mut c, &mut e) };
    assert_eq!(status, PupStatus::Ok);
    assert!(e.is_null());
    let other = Client(c);
    let (status, info) = call(pup_client_connect, &other);
    assert_eq!(status, PupStatus::Ok, "{info}");
    assert_eq!(info["tenantId"], OTHER);
    assert_eq!(info["clientId"], CLIENT_ID);
    let paths: Vec<String> = emu.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, [format!("/{OTHER}/oauth2/v2.0/token")]);

    // A token's client belongs to its tenant: refused, nothing sent.
    let token = emu.mint_token(TokenSpec::app(TENANT, &[READ_PERMISSION]));
    let by_token = client(&emu, json!({"mode": "accessToken"}), &token);
    emu.clear_requests();
    let (mut c, mut e) = (ptr::null_mut(), ptr::null_mut());
    let status =
        unsafe { pup_client_for_tenant(by_token.0, OTHER.as_ptr(), OTHER.len(), &mut c, &mut e) };
    assert_eq!(status, PupStatus::InvalidArgument);
    assert!(c.is_null());
    let (mut p, mut n) = (ptr::null(), 0);
    unsafe { pup_error_message(e, &mut p, &mut n) };
    let message = borrowed(p, n);
    assert!(
        message.contains(OTHER) && message.contains("access token"),
        "{message}"
    );
    unsafe { pup_error_free(e) };
    assert!(emu.requests().is_empty());

    // A tenant that is not a GUID or a domain, and NULL pointers.
    let bad = "../x";
    let (mut c, mut e) = (ptr::null_mut(), ptr::null_mut());
    let status = unsafe { pup_client_for_tenant(home.0, bad.as_ptr(), bad.len(), &mut c, &mut e) };
    assert_eq!(status, PupStatus::InvalidArgument);
    unsafe { pup_error_free(e) };
    let status = unsafe {
        pup_client_for_tenant(
            ptr::null(),
            OTHER.as_ptr(),
            OTHER.len(),
            &mut c,
            ptr::null_mut(),
        )
    };
    assert_eq!(status, PupStatus::NullArgument);
    let status = unsafe {
        pup_client_for_tenant(
            home.0,
            OTHER.as_ptr(),
            OTHER.len(),
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    assert_eq!(status, PupStatus::NullArgument);
}
