//! Bad input at every C ABI function that takes a string (issue #7): NULL with a length
//! (dangling), invalid UTF-8, 100 MB, and random bytes. Each must give a clear status and message
//! naming the argument, never a crash, never an output on failure; outputs and handles stay
//! balanced. The accessors and frees are tried with NULL too.
//!
//! `cargo test -p photo_update_policy --test hardening`

use std::ptr;

use photo_update_policy::*;
use proptest::prelude::*;

/// One call's outcome, with the outputs freed.
struct Outcome {
    status: u32,
    message: String,
    had_result: bool,
}

/// An input pair as the C caller passes it.
#[derive(Clone, Copy)]
struct Input {
    ptr: *const u8,
    len: usize,
}

impl Input {
    fn of(bytes: &[u8]) -> Input {
        Input {
            ptr: bytes.as_ptr(),
            len: bytes.len(),
        }
    }
}

fn take(status: PupStatus, result: *mut PupResult, error: *mut PupError) -> Outcome {
    let mut message = String::new();
    if !error.is_null() {
        let (mut p, mut n) = (ptr::null(), 0usize);
        // SAFETY: a live error handle from the library.
        unsafe {
            assert_eq!(
                pup_error_status(error),
                status,
                "error status differs from the return"
            );
            assert_eq!(pup_error_message(error, &mut p, &mut n) as u32, 0);
            message = String::from_utf8(std::slice::from_raw_parts(p, n).to_vec()).unwrap();
        }
    }
    let had_result = !result.is_null();
    if status as u32 == 0 {
        assert!(
            had_result && error.is_null(),
            "success must write only the result"
        );
    } else {
        assert!(
            !had_result && !error.is_null(),
            "failure must write only the error"
        );
        assert!(
            !message.is_empty(),
            "status {} without a message",
            status as u32
        );
    }
    // SAFETY: handles from the library or NULL, freed once.
    unsafe {
        pup_result_free(result);
        pup_error_free(error);
    }
    Outcome {
        status: status as u32,
        message,
        had_result,
    }
}

/// A client that is never asked to send anything that reaches a server: its calls below fail at
/// the argument checks, or run with a cancelled context.
struct Fixture {
    client: *mut PupClient,
    cancelled: *mut PupCallContext,
}

impl Fixture {
    fn new() -> Fixture {
        let config = br#"{"graphEndpoint":"http://127.0.0.1:9","allowInsecureLoopback":true,"retry":{"maxRetries":0}}"#;
        let token = b"opaque-hardening-token";
        let (mut client, mut error) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: valid inputs and outputs.
        let status = unsafe {
            pup_client_new(
                config.as_ptr(),
                config.len(),
                token.as_ptr(),
                token.len(),
                &mut client,
                &mut error,
            )
        };
        assert_eq!(status as u32, 0);
        // No callback; then a live context.
        let cancelled = pup_call_context_new(None, ptr::null_mut());
        assert_eq!(unsafe { pup_call_context_cancel(cancelled) } as u32, 0);
        Fixture { client, cancelled }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        // SAFETY: handles from the library, freed once, no call in flight.
        unsafe {
            pup_client_free(self.client);
            pup_call_context_free(self.cancelled);
        }
    }
}

/// Every export that takes a (ptr, len) string, by the argument's name in the C signature.
fn string_args() -> Vec<&'static str> {
    vec![
        "config_json",
        "secret",
        "change_json (plan)",
        "change_json (apply)",
        "options_json (reset)",
        "options_json (export)",
        "request_json (roles)",
        "document_json",
        "request_json (fleet)",
        "change_json (plan_begin)",
        "options_json (reset_begin)",
        "request_json (fleet_plan_begin)",
        "request_json (fleet_plan_apply)",
    ]
}

/// Calls the export behind `arg` with `input` in that argument (valid values elsewhere).
fn call(f: &Fixture, arg: &str, input: Input) -> Outcome {
    let (mut result, mut error) = (ptr::null_mut::<PupResult>(), ptr::null_mut::<PupError>());
    let ctx = f.cancelled as *const PupCallContext;
    let config = br#"{"graphEndpoint":"http://127.0.0.1:9","allowInsecureLoopback":true}"#;
    let token = b"opaque-hardening-token";
    // SAFETY: `input` is a valid pair or deliberately NULL/oversized per the test; the library
    // checks NULL and the length before reading. Other arguments are valid.
    unsafe {
        let status = match arg {
            "config_json" | "secret" => {
                let mut client = ptr::null_mut();
                let (c, s) = if arg == "config_json" {
                    (input, Input::of(token))
                } else {
                    (Input::of(config), input)
                };
                let st = pup_client_new(c.ptr, c.len, s.ptr, s.len, &mut client, &mut error);
                pup_client_free(client);
                if st as u32 == 0 {
                    // A client is not a result: report success as a result for the checks.
                    let mut catalog = ptr::null_mut();
                    assert_eq!(pup_roles_catalog(&mut catalog, ptr::null_mut()) as u32, 0);
                    result = catalog;
                }
                st
            }
            "change_json (plan)" => {
                pup_policy_plan(f.client, input.ptr, input.len, ctx, &mut result, &mut error)
            }
            "change_json (apply)" => {
                pup_policy_apply(f.client, input.ptr, input.len, ctx, &mut result, &mut error)
            }
            "options_json (reset)" => {
                pup_policy_reset(f.client, input.ptr, input.len, ctx, &mut result, &mut error)
            }
            "options_json (export)" => {
                pup_policy_export(f.client, input.ptr, input.len, ctx, &mut result, &mut error)
            }
            "request_json (roles)" => {
                pup_roles_resolve(input.ptr, input.len, &mut result, &mut error)
            }
            "document_json" => pup_document_parse(input.ptr, input.len, &mut result, &mut error),
            "request_json (fleet)" => {
                let clients = [f.client as *const PupClient];
                pup_fleet_run(
                    clients.as_ptr(),
                    1,
                    input.ptr,
                    input.len,
                    ctx,
                    &mut result,
                    &mut error,
                )
            }
            "change_json (plan_begin)" | "options_json (reset_begin)" => {
                let mut plan = ptr::null_mut();
                let st = if arg == "change_json (plan_begin)" {
                    pup_policy_plan_begin(
                        f.client, input.ptr, input.len, ctx, &mut plan, &mut error,
                    )
                } else {
                    pup_policy_reset_begin(
                        f.client, input.ptr, input.len, ctx, &mut plan, &mut error,
                    )
                };
                pup_plan_free(plan);
                plan_as_result(st, &mut result)
            }
            "request_json (fleet_plan_begin)" => {
                let clients = [f.client as *const PupClient];
                let mut plans = [ptr::null_mut::<PupPlan>()];
                let st = pup_fleet_plan_begin(
                    clients.as_ptr(),
                    1,
                    input.ptr,
                    input.len,
                    ctx,
                    plans.as_mut_ptr(),
                    &mut result,
                    &mut error,
                );
                pup_plan_free(plans[0]);
                st
            }
            "request_json (fleet_plan_apply)" => {
                // The plan entry is checked after the request: a bad request is named first.
                let clients = [f.client as *const PupClient];
                let plans = [ptr::null::<PupPlan>()];
                pup_fleet_plan_apply(
                    clients.as_ptr(),
                    plans.as_ptr(),
                    1,
                    0,
                    input.ptr,
                    input.len,
                    ctx,
                    &mut result,
                    &mut error,
                )
            }
            other => unreachable!("{other}"),
        };
        take(status, result, error)
    }
}

/// A plan is not a result: a success is reported as a result (the role catalog) for the checks.
///
/// # Safety
/// `result` is writable.
unsafe fn plan_as_result(status: PupStatus, result: &mut *mut PupResult) -> PupStatus {
    if status as u32 == 0 {
        // SAFETY: a writable local of the caller.
        assert_eq!(
            unsafe { pup_roles_catalog(result, ptr::null_mut()) } as u32,
            0
        );
    }
    status
}

/// The argument name as the message spells it (without the test's note in parentheses).
fn c_name(arg: &str) -> &str {
    arg.split(' ').next().unwrap()
}

#[test]
fn null_with_a_length_is_null_argument_naming_it() {
    let f = Fixture::new();
    for arg in string_args() {
        let o = call(
            &f,
            arg,
            Input {
                ptr: ptr::null(),
                len: 5,
            },
        );
        assert_eq!(
            o.status,
            PupStatus::NullArgument as u32,
            "{arg}: {}",
            o.message
        );
        assert!(o.message.contains(c_name(arg)), "{arg}: {}", o.message);
    }
}

#[test]
fn invalid_utf8_is_refused_with_the_offset() {
    let f = Fixture::new();
    let bad = b"{\"roles\":[\"Glob\xffal\"]}";
    for arg in string_args() {
        let o = call(&f, arg, Input::of(bad));
        if arg == "secret" {
            // Bytes, not a string argument: the access token mode says what is wrong with them.
            assert_eq!(
                o.status,
                PupStatus::InvalidArgument as u32,
                "{arg}: {}",
                o.message
            );
            assert!(o.message.contains("UTF-8"), "{arg}: {}", o.message);
            continue;
        }
        assert_eq!(
            o.status,
            PupStatus::InvalidUtf8 as u32,
            "{arg}: {}",
            o.message
        );
        assert!(o.message.contains(c_name(arg)), "{arg}: {}", o.message);
        assert!(
            o.message.contains("15"),
            "{arg}: the byte offset: {}",
            o.message
        );
    }
}

#[test]
fn a_100_mb_input_is_refused_quickly_naming_the_limit() {
    let f = Fixture::new();
    let huge = vec![b' '; 100 * 1024 * 1024];
    for arg in string_args() {
        let started = std::time::Instant::now();
        let o = call(&f, arg, Input::of(&huge));
        let elapsed = started.elapsed();
        assert_eq!(
            o.status,
            PupStatus::InvalidArgument as u32,
            "{arg}: {}",
            o.message
        );
        assert!(o.message.contains(c_name(arg)), "{arg}: {}", o.message);
        assert!(o.message.contains("16 MiB"), "{arg}: {}", o.message);
        assert!(o.message.len() < 300, "{arg}: the message echoes the input");
        // The length is checked before anything is read (a scan of 100 MB would take longer).
        assert!(elapsed.as_millis() < 50, "{arg}: took {elapsed:?}");
    }
}

#[test]
fn empty_and_wrong_shapes_are_clear_json_or_argument_errors() {
    let f = Fixture::new();
    for arg in string_args() {
        for text in [
            &b""[..],
            b"null",
            b"[]",
            b"{\"unknownField\":1}",
            b"{\"roles\":",
            b"\"x\"",
        ] {
            let o = call(&f, arg, Input::of(text));
            let text = String::from_utf8_lossy(text);
            assert_ne!(
                o.status,
                PupStatus::Panic as u32,
                "{arg} {text}: {}",
                o.message
            );
            if o.status != 0 && o.status != PupStatus::Cancelled as u32 {
                assert!(
                    [
                        PupStatus::InvalidJson as u32,
                        PupStatus::InvalidArgument as u32,
                    ]
                    .contains(&o.status),
                    "{arg} {text}: status {} {}",
                    o.status,
                    o.message
                );
            }
        }
    }
}

#[test]
fn a_json_array_where_an_object_is_required_is_refused() {
    // serde's derived types read an array field by field; every JSON argument needs an object.
    let f = Fixture::new();
    for arg in string_args().into_iter().filter(|a| *a != "secret") {
        for text in [
            &b"[]"[..],
            b"[\"cloud\"]",
            b"[null,null]",
            b"[{}]",
            b" [\"GA\"] ",
        ] {
            let o = call(&f, arg, Input::of(text));
            let text = String::from_utf8_lossy(text);
            assert_eq!(
                o.status,
                PupStatus::InvalidJson as u32,
                "{arg} {text}: {}",
                o.message
            );
            assert!(o.message.contains("object"), "{arg} {text}: {}", o.message);
        }
    }
}

#[test]
fn a_key_given_twice_is_refused_naming_it() {
    // serde_json keeps the last of two equal keys: `allowedRoles` twice lifted a restriction.
    let f = Fixture::new();
    let cases: [(&str, &[u8]); 4] = [
        (
            "document_json",
            br#"{"schemaVersion":1,"source":"cloud","allowedRoles":["Global Administrator"],"allowedRoles":[]}"#,
        ),
        (
            "change_json (plan)",
            br#"{"source":"cloud","allowedRoles":["Global Administrator"],"allowedRoles":[]}"#,
        ),
        (
            "config_json",
            br#"{"graphEndpoint":"http://127.0.0.1:9","graphEndpoint":"http://127.0.0.1:10","allowInsecureLoopback":true}"#,
        ),
        (
            "request_json (fleet)",
            br#"{"operation":"test","desired":{"schemaVersion":1,"allowedRoles":[],"allowedRoles":[]}}"#,
        ),
    ];
    for (arg, text) in cases {
        let o = call(&f, arg, Input::of(text));
        assert_eq!(
            o.status,
            PupStatus::InvalidJson as u32,
            "{arg}: {}",
            o.message
        );
        assert!(o.message.contains("appears twice"), "{arg}: {}", o.message);
        assert!(
            o.message.contains("'allowedRoles'") || o.message.contains("'graphEndpoint'"),
            "{arg}: {}",
            o.message
        );
    }
}

#[test]
fn accessors_and_frees_accept_null() {
    let (mut p, mut n) = (ptr::null::<u8>(), 0usize);
    // SAFETY: NULL handles and valid or NULL out pointers: the library must check them.
    unsafe {
        type Accessor =
            unsafe extern "C" fn(*const PupError, *mut *const u8, *mut usize) -> PupStatus;
        let accessors: [Accessor; 8] = [
            pup_error_message,
            pup_error_code,
            pup_error_request_id,
            pup_error_client_request_id,
            pup_error_date,
            pup_error_recommended_action,
            pup_error_json,
            pup_error_message,
        ];
        for a in accessors {
            assert_eq!(
                a(ptr::null(), &mut p, &mut n) as u32,
                PupStatus::NullArgument as u32
            );
        }
        assert_eq!(
            pup_error_status(ptr::null()) as u32,
            PupStatus::NullArgument as u32
        );
        assert_eq!(pup_error_http_status(ptr::null()), 0);
        assert_eq!(pup_error_retry_after_ms(ptr::null()), -1);
        assert_eq!(
            pup_result_json(ptr::null(), &mut p, &mut n) as u32,
            PupStatus::NullArgument as u32
        );
        assert_eq!(
            pup_call_context_cancel(ptr::null()) as u32,
            PupStatus::NullArgument as u32
        );
        assert_eq!(
            pup_library_version(ptr::null_mut(), &mut n) as u32,
            PupStatus::NullArgument as u32
        );
        pup_error_free(ptr::null_mut());
        pup_result_free(ptr::null_mut());
        pup_client_free(ptr::null_mut());
        pup_call_context_free(ptr::null_mut());

        // A live error with NULL out pointers.
        let mut error = ptr::null_mut();
        let mut result = ptr::null_mut();
        let st = pup_roles_resolve(b"{".as_ptr(), 1, &mut result, &mut error);
        assert_eq!(st as u32, PupStatus::InvalidJson as u32);
        assert_eq!(
            pup_error_message(error, ptr::null_mut(), &mut n) as u32,
            PupStatus::NullArgument as u32
        );
        assert_eq!(
            pup_error_json(error, &mut p, ptr::null_mut()) as u32,
            PupStatus::NullArgument as u32
        );
        pup_error_free(error);
        // NULL out_result: refused before any work, nothing leaked.
        let st = pup_roles_resolve(
            b"{\"roles\":[]}".as_ptr(),
            12,
            ptr::null_mut(),
            ptr::null_mut(),
        );
        assert_eq!(st as u32, PupStatus::NullArgument as u32);
        // NULL client and NULL client list.
        let st = pup_policy_get(ptr::null(), ptr::null(), &mut result, &mut error);
        assert_eq!(st as u32, PupStatus::NullArgument as u32);
        pup_error_free(error);
        let mut error = ptr::null_mut();
        let st = pup_fleet_run(
            ptr::null(),
            3,
            b"{}".as_ptr(),
            2,
            ptr::null(),
            &mut result,
            &mut error,
        );
        assert_eq!(st as u32, PupStatus::NullArgument as u32);
        pup_error_free(error);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Random bytes into every string argument: a known status, the right outputs, no panic.
    #[test]
    fn random_bytes_into_every_argument(bytes in proptest::collection::vec(any::<u8>(), 0..512), which in 0usize..9) {
        let f = Fixture::new();
        let arg = string_args()[which];
        let o = call(&f, arg, Input::of(&bytes));
        prop_assert!(o.status <= PupStatus::Internal as u32, "{}: unknown status {}", arg, o.status);
        prop_assert_ne!(o.status, PupStatus::Panic as u32, "{}: {}", arg, o.message);
        prop_assert_eq!(o.status == 0, o.had_result);
    }
}
