//! Tests of the C ABI from Rust, calling the `extern "C"` functions directly, against the Graph
//! emulator started in-process on its own thread (so these blocking calls can wait on it).
//!
//! The panic-boundary test needs the `test-panic` feature:
//! `cargo test -p photo_update_policy --features test-panic`.

use std::ffi::c_void;
use std::ptr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use graph_emulator::{
    Emulator, Fault, FaultKind, FaultRoute, Profile, TokenSpec, WRITE_PERMISSION,
};
use photo_update_policy::*;
use proptest::prelude::*;
use serde_json::{json, Value};

const TENANT: &str = "5b1f0c9a-3e2d-4f7a-8c6b-1d2e3f4a5b6c";

/// An emulator and a token with the write permission for [`TENANT`].
struct Fixture {
    emu: Emulator,
    token: String,
}

impl Fixture {
    fn new() -> Self {
        let emu = Emulator::start_blocking(Profile::default());
        let token = emu.mint_token(TokenSpec::app(TENANT, &[WRITE_PERMISSION]));
        Self { emu, token }
    }

    fn config(&self, max_retries: u32) -> String {
        json!({
            "tenantId": TENANT,
            "graphEndpoint": self.emu.url(),
            "authorityEndpoint": self.emu.url(),
            "allowInsecureLoopback": true,
            "timeouts": {"connectMs": 5000, "totalMs": 30000},
            "retry": {"maxRetries": max_retries, "baseDelayMs": 10}
        })
        .to_string()
    }

    fn client_with(&self, token: &str, max_retries: u32) -> Client {
        let (status, client, error) =
            client_new(self.config(max_retries).as_bytes(), token.as_bytes());
        assert_eq!(
            status,
            PupStatus::Ok,
            "pup_client_new: {}",
            error_text(error)
        );
        Client(client)
    }

    fn client(&self) -> Client {
        self.client_with(&self.token, 2)
    }
}

/// Frees the client handle when dropped.
struct Client(*mut PupClient);

impl Drop for Client {
    fn drop(&mut self) {
        unsafe { pup_client_free(self.0) };
    }
}

/// A call's outcome, with its handles converted and freed.
#[derive(Debug)]
struct Outcome {
    status: PupStatus,
    json: Option<Value>,
    error: Option<Value>,
}

fn borrowed(ptr: *const u8, len: usize) -> String {
    if ptr.is_null() {
        assert_eq!(len, 0, "NULL pointer with a non-zero length");
        return String::new();
    }
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    String::from_utf8(bytes.to_vec()).expect("the library returned UTF-8")
}

fn error_text(error: *mut PupError) -> String {
    if error.is_null() {
        return "<no error object>".into();
    }
    let (mut p, mut n) = (ptr::null(), 0);
    unsafe { pup_error_json(error, &mut p, &mut n) };
    borrowed(p, n)
}

/// Converts the raw outputs of a call into an [`Outcome`], checking the output rules on the way:
/// a result exactly on success, an error (with the same status) exactly on failure.
fn outcome(status: PupStatus, result: *mut PupResult, error: *mut PupError) -> Outcome {
    if status == PupStatus::Ok {
        assert!(!result.is_null(), "success without a result");
        assert!(error.is_null(), "success wrote an error");
    } else {
        assert!(result.is_null(), "failure wrote a result");
        assert!(!error.is_null(), "failure without an error object");
        assert_eq!(unsafe { pup_error_status(error) }, status);
    }
    let json = (!result.is_null()).then(|| {
        let (mut p, mut n) = (ptr::null(), 0);
        assert_eq!(
            unsafe { pup_result_json(result, &mut p, &mut n) },
            PupStatus::Ok
        );
        serde_json::from_str(&borrowed(p, n)).expect("result is JSON")
    });
    let error_json = (!error.is_null())
        .then(|| serde_json::from_str::<Value>(&error_text(error)).expect("error JSON is JSON"));
    unsafe {
        pup_result_free(result);
        pup_error_free(error);
    }
    Outcome {
        status,
        json,
        error: error_json,
    }
}

fn client_new(config: &[u8], secret: &[u8]) -> (PupStatus, *mut PupClient, *mut PupError) {
    let mut client = ptr::null_mut();
    let mut error = ptr::null_mut();
    let status = unsafe {
        pup_client_new(
            config.as_ptr(),
            config.len(),
            secret.as_ptr(),
            secret.len(),
            &mut client,
            &mut error,
        )
    };
    (status, client, error)
}

fn get(client: &Client, ctx: *const PupCallContext) -> Outcome {
    let (mut result, mut error) = (ptr::null_mut(), ptr::null_mut());
    let status = unsafe { pup_policy_get(client.0, ctx, &mut result, &mut error) };
    outcome(status, result, error)
}

fn plan(client: &Client, change: &[u8]) -> Outcome {
    let (mut result, mut error) = (ptr::null_mut(), ptr::null_mut());
    let status = unsafe {
        pup_policy_plan(
            client.0,
            change.as_ptr(),
            change.len(),
            ptr::null(),
            &mut result,
            &mut error,
        )
    };
    outcome(status, result, error)
}

fn apply(client: &Client, change: &str, ctx: *const PupCallContext) -> Outcome {
    let (mut result, mut error) = (ptr::null_mut(), ptr::null_mut());
    let status = unsafe {
        pup_policy_apply(
            client.0,
            change.as_ptr(),
            change.len(),
            ctx,
            &mut result,
            &mut error,
        )
    };
    outcome(status, result, error)
}

fn reset(client: &Client) -> Outcome {
    let (mut result, mut error) = (ptr::null_mut(), ptr::null_mut());
    let status = unsafe {
        pup_policy_reset(
            client.0,
            ptr::null(),
            0,
            ptr::null(),
            &mut result,
            &mut error,
        )
    };
    outcome(status, result, error)
}

fn resolve(request: &[u8]) -> Outcome {
    let (mut result, mut error) = (ptr::null_mut(), ptr::null_mut());
    let status =
        unsafe { pup_roles_resolve(request.as_ptr(), request.len(), &mut result, &mut error) };
    outcome(status, result, error)
}

fn message(o: &Outcome) -> String {
    o.error.as_ref().expect("an error")["message"]
        .as_str()
        .expect("message is text")
        .to_string()
}

#[test]
fn versions() {
    assert_eq!(pup_abi_version(), PUP_ABI_VERSION);
    let (mut p, mut n) = (ptr::null(), 0);
    assert_eq!(
        unsafe { pup_library_version(&mut p, &mut n) },
        PupStatus::Ok
    );
    assert_eq!(borrowed(p, n), env!("CARGO_PKG_VERSION"));
    assert_eq!(
        unsafe { pup_library_version(ptr::null_mut(), &mut n) },
        PupStatus::NullArgument
    );
}

#[test]
fn client_new_rejects_null_bad_utf8_huge_and_unknown_fields() {
    let mut client = ptr::null_mut();
    let mut error = ptr::null_mut();
    let status =
        unsafe { pup_client_new(ptr::null(), 10, ptr::null(), 0, &mut client, &mut error) };
    let o = outcome(status, ptr::null_mut(), error);
    assert_eq!(o.status, PupStatus::NullArgument);
    assert!(message(&o).contains("config_json"), "{o:?}");
    assert!(client.is_null());

    let (status, mut client, error) = client_new(b"{\"cloud\":\"\xff\"}", b"t");
    let o = outcome(status, ptr::null_mut(), error);
    assert_eq!(o.status, PupStatus::InvalidUtf8);
    assert!(message(&o).contains("offset 10"), "{o:?}");
    assert!(client.is_null());

    // Over the limit: refused before anything is read, so a tiny buffer is safe to pass.
    let tiny = b"{}";
    let mut error = ptr::null_mut();
    let status = unsafe {
        pup_client_new(
            tiny.as_ptr(),
            PUP_MAX_INPUT_BYTES + 1,
            ptr::null(),
            0,
            &mut client,
            &mut error,
        )
    };
    let o = outcome(status, ptr::null_mut(), error);
    assert_eq!(o.status, PupStatus::InvalidArgument);
    assert!(message(&o).contains("16777216"), "{o:?}");

    let (status, _, error) = client_new(br#"{"tenantID":"x"}"#, b"t");
    let o = outcome(status, ptr::null_mut(), error);
    assert_eq!(o.status, PupStatus::InvalidJson);
    assert!(message(&o).contains("tenantID"), "{o:?}");

    let mut error = ptr::null_mut();
    let status = unsafe {
        pup_client_new(
            tiny.as_ptr(),
            2,
            ptr::null(),
            0,
            ptr::null_mut(),
            &mut error,
        )
    };
    let o = outcome(status, ptr::null_mut(), error);
    assert_eq!(o.status, PupStatus::NullArgument);
    assert!(message(&o).contains("out_client"));
}

#[test]
fn secret_never_appears_in_errors() {
    let fx = Fixture::new();
    let secret = "super-secret-token-value-1234567890";
    let client = fx.client_with(secret, 0);
    let o = get(&client, ptr::null());
    assert_eq!(o.status, PupStatus::Authentication, "{o:?}");
    assert_eq!(o.error.as_ref().unwrap()["httpStatus"], 401);
    assert!(!o.error.unwrap().to_string().contains(secret));
}

#[test]
fn round_trip_get_apply_reset() {
    let fx = Fixture::new();
    let client = fx.client();

    let o = get(&client, ptr::null());
    assert_eq!(o.status, PupStatus::Ok, "{o:?}");
    let policy = o.json.unwrap();
    assert_eq!(policy["source"], Value::Null);
    assert_eq!(policy["allowedRoles"], json!([]));

    let change = r#"{"source":"CLOUD","allowedRoles":["people administrator","{62E90394-69F5-4237-9190-012177145E10}"]}"#;
    let o = plan(&client, change.as_bytes());
    assert_eq!(o.status, PupStatus::Ok, "{o:?}");
    assert_eq!(o.json.as_ref().unwrap()["hasChanges"], true);
    assert!(
        fx.emu
            .policy(TENANT)
            .get("source")
            .is_none_or(Value::is_null),
        "plan must not write"
    );

    let o = apply(&client, change, ptr::null());
    assert_eq!(o.status, PupStatus::Ok, "{o:?}");
    assert_eq!(o.json.as_ref().unwrap()["applied"], true);
    let stored = fx.emu.policy(TENANT);
    assert_eq!(stored["source"], "cloud");
    let roles: Vec<&str> = stored["allowedRoles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        roles.contains(&"024906de-61e5-49c8-8572-40335f1e0e10"),
        "{stored}"
    );
    assert!(
        roles.contains(&"62e90394-69f5-4237-9190-012177145e10"),
        "{stored}"
    );

    let o = get(&client, ptr::null());
    let policy = o.json.unwrap();
    assert_eq!(policy["source"], "cloud");
    assert_eq!(policy["allowedRoles"].as_array().unwrap().len(), 2);

    let o = reset(&client);
    assert_eq!(o.status, PupStatus::Ok, "{o:?}");
    assert_eq!(o.json.as_ref().unwrap()["verified"], true);
    let policy = get(&client, ptr::null()).json.unwrap();
    assert_eq!(policy["source"], Value::Null);
    assert_eq!(policy["allowedRoles"], json!([]));
}

#[test]
fn policy_calls_check_their_pointers() {
    let fx = Fixture::new();
    let client = fx.client();
    let change = br#"{"source":"cloud"}"#;
    let mut result = ptr::null_mut();
    let mut error = ptr::null_mut();

    let status = unsafe { pup_policy_get(ptr::null(), ptr::null(), &mut result, &mut error) };
    assert_eq!(
        outcome(status, result, error).status,
        PupStatus::NullArgument
    );
    let mut error = ptr::null_mut();
    let status = unsafe { pup_policy_get(client.0, ptr::null(), ptr::null_mut(), &mut error) };
    assert_eq!(
        outcome(status, ptr::null_mut(), error).status,
        PupStatus::NullArgument
    );
    // out_error is optional.
    let status = unsafe {
        pup_policy_reset(
            ptr::null(),
            ptr::null(),
            0,
            ptr::null(),
            &mut result,
            ptr::null_mut(),
        )
    };
    assert_eq!(status, PupStatus::NullArgument);
    assert!(result.is_null());

    let mut error = ptr::null_mut();
    let status = unsafe {
        pup_policy_apply(
            client.0,
            ptr::null(),
            3,
            ptr::null(),
            &mut result,
            &mut error,
        )
    };
    let o = outcome(status, result, error);
    assert_eq!(o.status, PupStatus::NullArgument);
    assert!(message(&o).contains("change_json"));

    let o = plan(&client, b"{\"source\":\"cl\xc3oud\"}");
    assert_eq!(o.status, PupStatus::InvalidUtf8);

    let mut error = ptr::null_mut();
    let status = unsafe {
        pup_policy_plan(
            client.0,
            change.as_ptr(),
            usize::MAX,
            ptr::null(),
            &mut result,
            &mut error,
        )
    };
    let o = outcome(status, result, error);
    assert_eq!(o.status, PupStatus::InvalidArgument);
    assert!(message(&o).contains("16 MiB"));

    let o = plan(&client, br#"{"source":"sideways"}"#);
    assert_eq!(o.status, PupStatus::InvalidArgument, "{o:?}");
    assert!(message(&o).contains("sideways"));

    // Nothing reached the service for any of the rejected calls.
    assert!(fx.emu.requests().is_empty(), "{:?}", fx.emu.requests());
}

#[test]
fn roles_catalog_and_resolve() {
    let (mut result, mut error) = (ptr::null_mut(), ptr::null_mut());
    let status = unsafe { pup_roles_catalog(&mut result, &mut error) };
    let catalog = outcome(status, result, error).json.unwrap();
    let names: Vec<&str> = catalog
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"People Administrator"), "{names:?}");
    // The catalog says which roles the service accepts, and who documents it.
    for role in catalog.as_array().unwrap() {
        let refused = [
            "Directory Writers",
            "Intune Administrator",
            "Partner Tier1 Support",
            "Partner Tier2 Support",
        ]
        .contains(&role["name"].as_str().unwrap());
        assert_eq!(
            role["status"],
            if refused { "refused" } else { "accepted" },
            "{role}"
        );
        assert_eq!(role["documented"], !refused, "{role}");
        assert!(
            role["documentedBy"].as_str().is_some_and(|s| !s.is_empty()),
            "{role}"
        );
    }
    let o = resolve(br#"{"roles":["Directory Writers"]}"#);
    assert_eq!(o.status, PupStatus::Ok, "looked up only: {o:?}");
    assert_eq!(o.json.unwrap()["roles"][0]["status"], "refused");
    let o = resolve(br#"{"roles":["Directory Writers"],"allowServiceRefusedRoles":false}"#);
    assert_eq!(o.status, PupStatus::InvalidArgument, "{o:?}");
    assert!(message(&o).contains("the service refuses it"), "{o:?}");
    let o = resolve(br#"{"roles":["Global Reader"]}"#);
    assert_eq!(o.status, PupStatus::InvalidArgument, "{o:?}");
    assert!(
        message(&o).contains("cannot be used in the photo update policy"),
        "{o:?}"
    );

    let o = resolve(br#"{"roles":["UserAdmin"," fe930be7-5e62-47db-91af-98c3a49a38b1"]}"#);
    assert_eq!(o.status, PupStatus::Ok, "{o:?}");
    let roles = o.json.unwrap()["roles"].clone();
    assert_eq!(roles[1]["id"], "fe930be7-5e62-47db-91af-98c3a49a38b1");

    let o = resolve(br#"{"roles":["People Adminstrator"]}"#);
    assert_eq!(o.status, PupStatus::InvalidArgument);
    assert!(message(&o).contains("People Administrator"), "{o:?}");

    let o = resolve(b"\xfe\xff");
    assert_eq!(o.status, PupStatus::InvalidUtf8);
    let o = resolve(br#"{"roles":"Global Administrator"}"#);
    assert_eq!(o.status, PupStatus::InvalidJson);
}

#[test]
fn error_object_carries_the_service_details() {
    let fx = Fixture::new();
    // A delegated user without a photo-managing role: passes the permission pre-flight (the token
    // has no wids claim, so it lists no directory roles), so Graph itself answers 403 with its
    // code and ids.
    let readonly = fx
        .emu
        .mint_token(TokenSpec::delegated(TENANT, WRITE_PERMISSION, &[]).without_wids());
    let client = fx.client_with(&readonly, 0);
    let (mut result, mut error) = (ptr::null_mut(), ptr::null_mut());
    let change = r#"{"source":"cloud"}"#;
    let status = unsafe {
        pup_policy_apply(
            client.0,
            change.as_ptr(),
            change.len(),
            ptr::null(),
            &mut result,
            &mut error,
        )
    };
    assert_eq!(status, PupStatus::PermissionDenied);
    assert!(result.is_null());
    let text =
        |f: unsafe extern "C" fn(*const PupError, *mut *const u8, *mut usize) -> PupStatus| {
            let (mut p, mut n) = (ptr::null(), 0);
            assert_eq!(unsafe { f(error, &mut p, &mut n) }, PupStatus::Ok);
            borrowed(p, n)
        };
    assert_eq!(unsafe { pup_error_http_status(error) }, 403);
    assert_eq!(unsafe { pup_error_retry_after_ms(error) }, -1);
    assert_eq!(text(pup_error_code), "Authorization_RequestDenied");
    let request_id = text(pup_error_request_id);
    let client_request_id = text(pup_error_client_request_id);
    assert!(!request_id.is_empty());
    assert_eq!(client_request_id.len(), 36);
    assert!(!text(pup_error_date).is_empty());
    assert!(text(pup_error_recommended_action).contains("People Administrator"));
    assert!(!text(pup_error_message).is_empty());
    // The client-request-id is the one we sent.
    let sent: Vec<String> = fx
        .emu
        .requests()
        .iter()
        .filter_map(|r| r.headers.get("client-request-id").cloned())
        .collect();
    assert!(sent.contains(&client_request_id), "{sent:?}");
    let json: Value = serde_json::from_str(&text(pup_error_json)).unwrap();
    assert_eq!(json["status"], PupStatus::PermissionDenied as u32);
    assert_eq!(json["kind"], "PermissionDenied");
    assert_eq!(json["requestId"], request_id.as_str());
    for field in [
        "status",
        "kind",
        "message",
        "recommendedAction",
        "target",
        "httpStatus",
        "code",
        "serviceMessage",
        "requestId",
        "clientRequestId",
        "date",
        "aadsts",
        "retryAfterMs",
        "peopleAdminRequestId",
        "peopleAdminErrorCode",
        "validationErrors",
    ] {
        assert!(json.get(field).is_some(), "{field} missing from {json}");
    }
    assert_eq!(json["validationErrors"], json!([]));
    unsafe { pup_error_free(error) };
}

#[test]
fn a_people_admin_refusal_is_validation_failed_with_its_fields_and_ids() {
    let fx = Fixture::new();
    let client = fx.client_with(&fx.token, 3);
    let mut fault = Fault::new(FaultRoute::Graph, FaultKind::PeopleAdminRefusal);
    fault.method = Some("PATCH".into());
    fault.count = Some(1);
    fx.emu.add_fault(fault);
    let o = apply(&client, r#"{"source":"cloud"}"#, ptr::null());
    assert_eq!(o.status, PupStatus::ValidationFailed, "{o:?}");
    assert_eq!(o.status as u32, 19);
    let e = o.error.unwrap();
    assert_eq!(e["kind"], "ValidationFailed");
    assert_eq!(e["httpStatus"], 400);
    assert_eq!(e["code"], "UnknownError");
    assert_eq!(e["peopleAdminErrorCode"], "PeopleAdminValidationFailure");
    assert_eq!(
        e["validationErrors"],
        json!([{"field": "AllowedRoles", "messages": ["Unsupported role for cloud photo update settings."]}])
    );
    let par = e["peopleAdminRequestId"].as_str().unwrap();
    assert_eq!(par.len(), 36);
    assert_ne!(e["requestId"], e["peopleAdminRequestId"]);
    assert!(e["clientRequestId"].is_string() && e["requestId"].is_string());
    assert!(e["message"]
        .as_str()
        .unwrap()
        .contains("AllowedRoles: Unsupported role for cloud photo update settings."));
    assert!(e["recommendedAction"]
        .as_str()
        .unwrap()
        .contains("People Administrator"));
    // One PATCH: never retried.
    let patches = fx
        .emu
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH")
        .count();
    assert_eq!(patches, 1);
}

#[test]
fn throttling_reports_retry_after() {
    let fx = Fixture::new();
    let client = fx.client_with(&fx.token, 0);
    let mut fault = Fault::new(FaultRoute::Graph, FaultKind::Throttle);
    fault.retry_after_seconds = Some(12);
    fault.count = Some(1);
    fx.emu.add_fault(fault);
    let o = get(&client, ptr::null());
    assert_eq!(o.status, PupStatus::Throttled, "{o:?}");
    let e = o.error.unwrap();
    assert_eq!(e["httpStatus"], 429);
    assert_eq!(e["retryAfterMs"], 12_000);
}

/// Collects events delivered to the C callback.
unsafe extern "C" fn collect(user_data: *mut c_void, level: u32, msg: *const u8, len: usize) {
    let sink = unsafe { &*(user_data as *const Mutex<Vec<(u32, String)>>) };
    sink.lock().unwrap().push((level, borrowed(msg, len)));
}

/// What a callback that calls the library again saw: the inner call's status and message.
struct Reentry {
    client: *mut PupClient,
    seen: Mutex<Vec<(PupStatus, String)>>,
}

unsafe extern "C" fn call_again(user_data: *mut c_void, _level: u32, _msg: *const u8, _len: usize) {
    let reentry = unsafe { &*(user_data as *const Reentry) };
    if !reentry.seen.lock().unwrap().is_empty() {
        return;
    }
    let (mut result, mut error) = (ptr::null_mut(), ptr::null_mut());
    let status = unsafe { pup_policy_get(reentry.client, ptr::null(), &mut result, &mut error) };
    let mut message = String::new();
    if !error.is_null() {
        let (mut p, mut n) = (ptr::null(), 0usize);
        unsafe { pup_error_message(error, &mut p, &mut n) };
        message = borrowed(p, n);
    }
    unsafe {
        pup_result_free(result);
        pup_error_free(error);
    }
    reentry.seen.lock().unwrap().push((status, message));
}

#[test]
fn a_call_from_inside_the_event_callback_is_a_status_not_a_panic() {
    let fx = Fixture::new();
    let client = fx.client();
    let reentry = Reentry {
        client: client.0,
        seen: Mutex::new(Vec::new()),
    };
    let ctx = pup_call_context_new(Some(call_again), &reentry as *const _ as *mut c_void);
    let o = apply(&client, r#"{"source":"cloud"}"#, ctx);
    unsafe { pup_call_context_free(ctx) };
    assert_eq!(
        o.status,
        PupStatus::Ok,
        "the outer call is not disturbed: {o:?}"
    );
    let seen = reentry.seen.into_inner().unwrap();
    assert_eq!(seen.len(), 1, "the callback ran and called again");
    assert_eq!(seen[0].0, PupStatus::InvalidArgument, "{:?}", seen[0]);
    assert!(
        seen[0].1.contains("inside the event callback"),
        "{}",
        seen[0].1
    );
}

#[test]
fn events_reach_the_callback_without_secrets() {
    let fx = Fixture::new();
    let client = fx.client();
    let events: Mutex<Vec<(u32, String)>> = Mutex::new(Vec::new());
    let ctx = pup_call_context_new(Some(collect), &events as *const _ as *mut c_void);
    let o = apply(&client, r#"{"source":"cloud"}"#, ctx);
    assert_eq!(o.status, PupStatus::Ok, "{o:?}");
    unsafe { pup_call_context_free(ctx) };
    let events = events.into_inner().unwrap();
    assert!(
        events.iter().any(|(level, _)| *level == 0),
        "no verbose event: {events:?}"
    );
    assert!(
        events.iter().any(|(_, m)| m.contains("PATCH")),
        "the PATCH request was not reported: {events:?}"
    );
    assert!(events.iter().all(|(_, m)| !m.contains(&fx.token)));
}

#[test]
fn cancel_from_another_thread_returns_promptly() {
    let fx = Fixture::new();
    let client = fx.client();
    let mut fault = Fault::new(FaultRoute::Graph, FaultKind::Latency);
    fault.latency_ms = Some(10_000);
    fx.emu.add_fault(fault);

    let ctx = pup_call_context_new(None, ptr::null_mut());
    let ctx_addr = ctx as usize;
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        unsafe { pup_call_context_cancel(ctx_addr as *const PupCallContext) }
    });
    let started = Instant::now();
    let o = get(&client, ctx);
    let took = started.elapsed();
    assert_eq!(canceller.join().unwrap(), PupStatus::Ok);
    assert_eq!(o.status, PupStatus::Cancelled, "{o:?}");
    assert!(took < Duration::from_secs(3), "cancel took {took:?}");

    // The context stays cancelled.
    let started = Instant::now();
    assert_eq!(get(&client, ctx).status, PupStatus::Cancelled);
    assert!(started.elapsed() < Duration::from_millis(500));
    unsafe { pup_call_context_free(ctx) };
    assert_eq!(
        unsafe { pup_call_context_cancel(ptr::null()) },
        PupStatus::NullArgument
    );
}

/// Sets limits on a context through the export; returns the status and the error JSON (if any).
fn set_limits(ctx: *mut PupCallContext, json: Option<&[u8]>) -> (PupStatus, Option<Value>) {
    let mut error = ptr::null_mut();
    let (p, n) = json.map_or((ptr::null(), 0), |j| (j.as_ptr(), j.len()));
    let status = unsafe { pup_call_context_set_limits(ctx, p, n, &mut error) };
    // Outputs only on failure: an error object with the same status.
    assert_eq!(error.is_null(), status == PupStatus::Ok, "{status:?}");
    let json = (!error.is_null()).then(|| {
        assert_eq!(unsafe { pup_error_status(error) }, status);
        serde_json::from_str::<Value>(&error_text(error)).expect("error JSON is JSON")
    });
    unsafe { pup_error_free(error) };
    (status, json)
}

#[test]
fn call_context_limits_override_the_client_for_calls_with_that_context() {
    let fx = Fixture::new();
    let client = fx.client(); // totalMs 30000, maxRetries 2
    let ctx = pup_call_context_new(None, ptr::null_mut());

    // Bad input: a clear message naming the field (and range), limits unchanged.
    let (status, e) = set_limits(ctx, Some(br#"{"timeouts":{"totalMs":0}}"#));
    assert_eq!(status, PupStatus::InvalidArgument);
    let m = e.unwrap()["message"].as_str().unwrap().to_string();
    assert!(
        m.contains("timeouts.totalMs = 0") && m.contains("1 to 3600000"),
        "{m}"
    );
    let (status, e) = set_limits(ctx, Some(br#"{"retry":{"maxRetries":-1}}"#));
    assert_eq!(status, PupStatus::InvalidArgument);
    assert!(e.unwrap()["message"].as_str().unwrap().contains("0 to 10"));
    let (status, e) = set_limits(ctx, Some(br#"{"retry":{"retries":1}}"#));
    assert_eq!(status, PupStatus::InvalidJson);
    let m = e.unwrap()["message"].as_str().unwrap().to_string();
    assert!(m.contains("limits_json") && m.contains("retries"), "{m}");
    let (status, _) = set_limits(ctx, Some(b"\xff"));
    assert_eq!(status, PupStatus::InvalidUtf8);
    let mut error = ptr::null_mut();
    let status = unsafe { pup_call_context_set_limits(ctx, ptr::null(), 3, &mut error) };
    assert_eq!(status, PupStatus::NullArgument);
    unsafe { pup_error_free(error) };
    let status =
        unsafe { pup_call_context_set_limits(ptr::null_mut(), b"{}".as_ptr(), 2, ptr::null_mut()) };
    assert_eq!(status, PupStatus::NullArgument);

    // A per-call total timeout shorter than a 2 s latency: Timeout naming the call's limit.
    let mut fault = Fault::new(FaultRoute::Graph, FaultKind::Latency);
    fault.latency_ms = Some(2_000);
    fault.count = Some(1);
    fx.emu.add_fault(fault);
    let limits = br#"{"timeouts":{"totalMs":300},"retry":{"maxRetries":0}}"#;
    assert_eq!(set_limits(ctx, Some(limits)).0, PupStatus::Ok);
    let started = Instant::now();
    let o = get(&client, ctx);
    assert_eq!(o.status, PupStatus::Timeout, "{o:?}");
    assert!(started.elapsed() < Duration::from_millis(1_500));
    let e = o.error.unwrap();
    let m = e["message"].as_str().unwrap().to_string();
    assert!(m.contains("totalMs = 300"), "{m}");
    // The same error for cmdlet users names the parameter, in its unit, and no config key; the
    // settings named travel with both names.
    let cmdlet = e["cmdletMessage"].as_str().unwrap();
    assert!(cmdlet.contains("(-TimeoutSec 0.3)"), "{cmdlet}");
    assert!(!cmdlet.contains("totalMs"), "{cmdlet}");
    let action = e["cmdletRecommendedAction"].as_str().unwrap();
    assert!(action.contains("raise -TimeoutSec"), "{action}");
    assert_eq!(
        e["settings"],
        serde_json::json!([{"configKey": "timeouts.totalMs", "parameter": "-TimeoutSec"}])
    );

    // maxRetries 0 on the context: one 503, no retry (the client would retry twice).
    fx.emu.clear_requests();
    let mut fault = Fault::new(FaultRoute::Graph, FaultKind::Unavailable);
    fault.count = Some(3);
    fx.emu.add_fault(fault);
    let o = get(&client, ctx);
    assert_eq!(o.status, PupStatus::ServiceUnavailable, "{o:?}");
    assert_eq!(
        fx.emu
            .requests()
            .iter()
            .filter(|r| r.route == "graph")
            .count(),
        1
    );

    // Cleared (NULL,0): the client's own retries apply again and absorb the two 503s left.
    assert_eq!(set_limits(ctx, None).0, PupStatus::Ok);
    assert_eq!(get(&client, ctx).status, PupStatus::Ok);
    // Calls without a context never had the limits.
    assert_eq!(get(&client, ptr::null()).status, PupStatus::Ok);
    unsafe { pup_call_context_free(ctx) };
}

#[test]
fn one_client_serves_many_threads() {
    let fx = Fixture::new();
    let client = fx.client();
    let addr = client.0 as usize;
    let threads: Vec<_> = (0..6)
        .map(|_| {
            std::thread::spawn(move || {
                let borrowed = Client(addr as *mut PupClient);
                let statuses: Vec<PupStatus> =
                    (0..5).map(|_| get(&borrowed, ptr::null()).status).collect();
                std::mem::forget(borrowed); // owned by the main thread
                statuses
            })
        })
        .collect();
    for t in threads {
        assert!(t.join().unwrap().iter().all(|s| *s == PupStatus::Ok));
    }
}

#[test]
fn frees_accept_null() {
    unsafe {
        pup_client_free(ptr::null_mut());
        pup_result_free(ptr::null_mut());
        pup_error_free(ptr::null_mut());
        pup_call_context_free(ptr::null_mut());
    }
    assert_eq!(
        unsafe { pup_error_status(ptr::null()) },
        PupStatus::NullArgument
    );
    assert_eq!(unsafe { pup_error_http_status(ptr::null()) }, 0);
    assert_eq!(unsafe { pup_error_retry_after_ms(ptr::null()) }, -1);
    let (mut p, mut n) = (ptr::null(), 0);
    assert_eq!(
        unsafe { pup_error_message(ptr::null(), &mut p, &mut n) },
        PupStatus::NullArgument
    );
    assert_eq!(
        unsafe { pup_result_json(ptr::null(), &mut p, &mut n) },
        PupStatus::NullArgument
    );
}

#[cfg(feature = "test-panic")]
#[test]
fn a_panic_becomes_a_status_and_the_process_survives() {
    let mut error = ptr::null_mut();
    let status = unsafe { pup_debug_panic(&mut error) };
    assert_eq!(status, PupStatus::Panic);
    assert!(!error.is_null());
    assert_eq!(unsafe { pup_error_status(error) }, PupStatus::Panic);
    let (mut p, mut n) = (ptr::null(), 0);
    unsafe { pup_error_message(error, &mut p, &mut n) };
    let text = borrowed(p, n);
    assert!(text.starts_with("internal error: "), "{text}");
    assert!(text.contains("pup_debug_panic"), "{text}");
    unsafe { pup_error_free(error) };

    // Without out_error: still a status, still alive.
    assert_eq!(
        unsafe { pup_debug_panic(ptr::null_mut()) },
        PupStatus::Panic
    );
    // And the library keeps working afterwards.
    assert_eq!(pup_abi_version(), PUP_ABI_VERSION);
    assert_eq!(
        resolve(br#"{"roles":["Global Administrator"]}"#).status,
        PupStatus::Ok
    );
}

/// Every status a call may return.
fn is_known_status(status: PupStatus) -> bool {
    (status as u32) <= PupStatus::ValidationFailed as u32
}

/// Inputs that are random bytes, or JSON-shaped documents with random contents (to get past the
/// parser into the core's validation).
fn inputs(field: &'static str) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        ".{0,40}".prop_map(move |s| json!({ field: s }).to_string().into_bytes()),
        proptest::collection::vec(".{0,20}", 0..4)
            .prop_map(move |v| json!({ field: v }).to_string().into_bytes()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_client_config_never_crashes(config in inputs("cloud"), secret in proptest::collection::vec(any::<u8>(), 0..64)) {
        let (status, client, error) = client_new(&config, &secret);
        prop_assert!(is_known_status(status));
        prop_assert_eq!(status == PupStatus::Ok, !client.is_null());
        prop_assert_eq!(status != PupStatus::Ok, !error.is_null());
        if !error.is_null() {
            prop_assert_eq!(unsafe { pup_error_status(error) }, status);
            let (mut p, mut n) = (ptr::null(), 0);
            unsafe { pup_error_message(error, &mut p, &mut n) };
            prop_assert!(n > 0);
        }
        unsafe {
            pup_client_free(client);
            pup_error_free(error);
        }
    }

    #[test]
    fn random_role_requests_never_crash(request in inputs("roles")) {
        let o = resolve(&request);
        prop_assert!(is_known_status(o.status));
        prop_assert_ne!(o.status, PupStatus::Panic);
    }
}

/// The emulator for the plan property test, started once (plans with valid changes read the
/// policy).
static PLAN_FIXTURE: std::sync::OnceLock<(Fixture, usize)> = std::sync::OnceLock::new();

fn plan_client() -> Client {
    let (_, addr) = PLAN_FIXTURE.get_or_init(|| {
        let fx = Fixture::new();
        let client = fx.client();
        let addr = client.0 as usize;
        std::mem::forget(client); // lives for the whole test process
        (fx, addr)
    });
    Client(*addr as *mut PupClient)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    #[test]
    fn random_change_requests_never_crash(change in prop_oneof![inputs("source"), inputs("allowedRoles")]) {
        let client = plan_client();
        let o = plan(&client, &change);
        std::mem::forget(client); // shared; never freed
        prop_assert!(is_known_status(o.status));
        prop_assert_ne!(o.status, PupStatus::Panic);
    }
}
