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

/// An emulator in which the test app (`CLIENT_ID`) is registered in `TENANT` with the write
/// permission, proven by `credential`: `app` is `App::with_secret` (a client secret) or
/// `App::with_certificate` (a certificate's PEM).
fn emulator_with_app(app: fn(&str, &str, &str, &[&str]) -> App, credential: &str) -> Emulator {
    let emu = Emulator::start_blocking(Profile::default());
    emu.register_app(app(TENANT, CLIENT_ID, credential, &[WRITE_PERMISSION]));
    emu
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
    let emu = emulator_with_app(App::with_secret, SECRET);
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
    let emu = emulator_with_app(App::with_secret, SECRET);
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

/// The state behind a Rust sign callback: a key the test holds (standing in for a key store),
/// what it offers, whether it fails, and counts of its calls and releases.
struct TestStore {
    key: photo_policy_core::auth::private_key::KeySigner,
    failure: Option<&'static str>,
    signs: std::sync::atomic::AtomicUsize,
    algorithms_seen: std::sync::Mutex<Vec<u32>>,
}

/// How many `TestStore`s were released (each test uses its own counter through `user_data`'s
/// `Released`).
struct Released(std::sync::atomic::AtomicUsize);

struct SignerState {
    store: TestStore,
    released: std::sync::Arc<Released>,
}

unsafe extern "C" fn test_sign(
    user_data: *mut std::ffi::c_void,
    algorithm: u32,
    data: *const u8,
    data_len: usize,
    signature: *mut u8,
    signature_len: *mut usize,
    message: *mut u8,
    message_len: *mut usize,
) -> u32 {
    use photo_policy_core::auth::{AssertionSigner, SignatureAlgorithm};
    let state = unsafe { &*(user_data as *const SignerState) };
    let store = &state.store;
    store
        .signs
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    store.algorithms_seen.lock().unwrap().push(algorithm);
    let write = |text: &[u8], buffer: *mut u8, len: *mut usize| unsafe {
        let n = text.len().min(*len);
        std::ptr::copy_nonoverlapping(text.as_ptr(), buffer, n);
        *len = n;
    };
    if let Some(reason) = store.failure {
        write(reason.as_bytes(), message, message_len);
        return 7;
    }
    let algorithm = match algorithm {
        x if x == PupSignatureAlgorithm::Rs256 as u32 => SignatureAlgorithm::Rs256,
        x if x == PupSignatureAlgorithm::Ps256 as u32 => SignatureAlgorithm::Ps256,
        _ => return 1,
    };
    let input = unsafe { std::slice::from_raw_parts(data, data_len) };
    let signed = store.key.sign(algorithm, input).unwrap();
    write(&signed, signature, signature_len);
    0
}

unsafe extern "C" fn test_release(user_data: *mut std::ffi::c_void) {
    let state = unsafe { Box::from_raw(user_data as *mut SignerState) };
    state
        .released
        .0
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

const TEST_CERT: &str = include_str!("../core/tests/fixtures/test-cert.pem");
const TEST_KEY: &str = include_str!("../core/tests/fixtures/test-key.pem");

fn signer_config(emu: &Emulator, tenant: &str) -> String {
    json!({
        "tenantId": tenant,
        "graphEndpoint": emu.url(),
        "authorityEndpoint": emu.url(),
        "allowInsecureLoopback": true,
        "auth": {"mode": "certificate", "clientId": CLIENT_ID, "certificatePem": TEST_CERT},
        "retry": {"maxRetries": 0}
    })
    .to_string()
}

/// A fresh `TestStore` behind a raw `user_data` pointer (freed by `test_release`) and its release
/// counter.
fn new_state(failure: Option<&'static str>) -> (*mut SignerState, std::sync::Arc<Released>) {
    let released = std::sync::Arc::new(Released(Default::default()));
    let state = Box::into_raw(Box::new(SignerState {
        store: TestStore {
            key: photo_policy_core::auth::private_key::KeySigner::from_bytes(TEST_KEY.as_bytes())
                .unwrap(),
            failure,
            signs: Default::default(),
            algorithms_seen: Default::default(),
        },
        released: released.clone(),
    }));
    (state, released)
}

/// Calls `pup_client_new_with_signer` with a fresh `TestStore`; returns the status, the client
/// (NULL on failure), the error JSON (on failure), the store's address (valid until released)
/// and the release counter.
fn new_with_signer(
    config: &str,
    failure: Option<&'static str>,
    algorithms: u32,
) -> (
    PupStatus,
    *mut PupClient,
    Option<Value>,
    *const SignerState,
    std::sync::Arc<Released>,
) {
    let (state, released) = new_state(failure);
    let (mut c, mut e) = (ptr::null_mut(), ptr::null_mut());
    let status = unsafe {
        pup_client_new_with_signer(
            config.as_ptr(),
            config.len(),
            Some(test_sign),
            Some(test_release),
            state.cast(),
            algorithms,
            &mut c,
            &mut e,
        )
    };
    let error = (!e.is_null()).then(|| {
        let (mut p, mut n) = (ptr::null(), 0);
        unsafe { pup_error_json(e, &mut p, &mut n) };
        let v: Value = serde_json::from_str(&borrowed(p, n)).unwrap();
        unsafe { pup_error_free(e) };
        v
    });
    (status, c, error, state, released)
}

#[test]
fn a_caller_signer_signs_in_with_the_key_in_its_store() {
    let emu = emulator_with_app(App::with_certificate, TEST_CERT);
    let other = "fabrikam-fleet.onmicrosoft.com";
    emu.register_app(App::with_certificate(
        other,
        CLIENT_ID,
        TEST_CERT,
        &[READ_PERMISSION],
    ));
    // The Windows CryptoAPI can only do RS256.
    let rs256 = PupSignatureAlgorithm::Rs256 as u32;
    let (status, raw, error, state, released) =
        new_with_signer(&signer_config(&emu, TENANT), None, rs256);
    assert_eq!(status, PupStatus::Ok, "{error:?}");
    let c = Client(raw);
    let store = unsafe { &(*state).store };
    assert_eq!(
        store.signs.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing is signed before the first call"
    );
    let (status, info) = call(pup_client_connect, &c);
    assert_eq!(status, PupStatus::Ok, "{info}");
    assert_eq!(info["authMode"], "certificate");
    assert!(info["identity"]
        .as_str()
        .unwrap()
        .starts_with("certificate "));
    let (status, policy) = call(pup_policy_get, &c);
    assert_eq!(status, PupStatus::Ok, "{policy}");
    assert_eq!(store.signs.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(*store.algorithms_seen.lock().unwrap(), [rs256]);
    let token_body = emu
        .requests()
        .into_iter()
        .find(|r| r.route == "token")
        .and_then(|r| r.body)
        .unwrap_or_default();
    assert!(token_body.contains("client_assertion"), "{token_body}");

    // Another tenant of a fleet run: a client of its own, signed by the same callback.
    let mut fleet = ptr::null_mut();
    let status = unsafe {
        pup_client_for_tenant(
            c.0,
            other.as_ptr(),
            other.len(),
            &mut fleet,
            ptr::null_mut(),
        )
    };
    assert_eq!(status, PupStatus::Ok);
    let fleet = Client(fleet);
    drop(c);
    assert_eq!(
        released.0.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the tenant's client still needs the signer"
    );
    let (status, policy) = call(pup_policy_get, &fleet);
    assert_eq!(status, PupStatus::Ok, "{policy}");
    assert_eq!(store.signs.load(std::sync::atomic::Ordering::SeqCst), 2);
    drop(fleet);
    assert_eq!(released.0.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn a_caller_signer_that_fails_is_an_authentication_error_with_its_reason() {
    let emu = emulator_with_app(App::with_certificate, TEST_CERT);
    let both = PupSignatureAlgorithm::Rs256 as u32 | PupSignatureAlgorithm::Ps256 as u32;
    let (status, raw, error, state, released) = new_with_signer(
        &signer_config(&emu, TENANT),
        Some("The smart card cannot be accessed because the wrong card was inserted."),
        both,
    );
    assert_eq!(status, PupStatus::Ok, "{error:?}");
    let c = Client(raw);
    let (status, error) = call(pup_policy_get, &c);
    assert_eq!(status, PupStatus::Authentication, "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("could not sign the client assertion: The smart card cannot be accessed because the wrong card was inserted"),
        "{message}"
    );
    assert!(!message.contains("PRIVATE KEY"));
    // PS256 was offered, so PS256 was asked for first, then RS256 (every key can make it).
    let seen = unsafe { (*state).store.algorithms_seen.lock().unwrap().clone() };
    assert_eq!(
        seen,
        [
            PupSignatureAlgorithm::Ps256 as u32,
            PupSignatureAlgorithm::Rs256 as u32
        ]
    );
    assert!(
        emu.requests().iter().all(|r| r.route != "token"),
        "nothing was sent"
    );
    drop(c);
    assert_eq!(released.0.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn new_with_signer_checks_its_arguments_and_releases_on_failure() {
    let emu = Emulator::start_blocking(Profile::default());
    let both = PupSignatureAlgorithm::Rs256 as u32 | PupSignatureAlgorithm::Ps256 as u32;
    let secret_mode =
        json!({"tenantId": TENANT, "auth": {"mode": "clientSecret", "clientId": CLIENT_ID}})
            .to_string();
    let cases: [(String, u32, PupStatus, &str); 4] = [
        (
            secret_mode,
            both,
            PupStatus::InvalidArgument,
            "'clientSecret'",
        ),
        (
            signer_config(&emu, TENANT),
            0,
            PupStatus::InvalidArgument,
            "algorithms is 0",
        ),
        (
            signer_config(&emu, TENANT),
            4,
            PupStatus::InvalidArgument,
            "PUP_SIGNATURE_ALGORITHM_RS256",
        ),
        ("{".into(), both, PupStatus::InvalidJson, "config_json"),
    ];
    for (config, algorithms, expected, text) in cases {
        let (status, client, error, _state, released) = new_with_signer(&config, None, algorithms);
        assert_eq!(status, expected, "{error:?}");
        assert!(client.is_null());
        let message = error.unwrap()["message"].as_str().unwrap().to_string();
        assert!(message.contains(text), "{text}: {message}");
        assert_eq!(
            released.0.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "released once when the call fails"
        );
    }

    // NULL sign function, NULL out_client: NULL_ARGUMENT, and user_data is still released.
    let config = signer_config(&emu, TENANT);
    for null_sign in [true, false] {
        let (state, released) = new_state(None);
        let mut c = ptr::null_mut();
        let out_client: *mut *mut PupClient = if null_sign { &mut c } else { ptr::null_mut() };
        let status = unsafe {
            pup_client_new_with_signer(
                config.as_ptr(),
                config.len(),
                if null_sign { None } else { Some(test_sign) },
                Some(test_release),
                state.cast(),
                both,
                out_client,
                ptr::null_mut(),
            )
        };
        assert_eq!(status, PupStatus::NullArgument);
        assert!(c.is_null());
        assert_eq!(released.0.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
    assert!(emu.requests().is_empty(), "nothing was sent");
}
