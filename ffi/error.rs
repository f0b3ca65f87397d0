//! `PupError`: the opaque error object a failed call hands back through `out_error`, and its
//! accessors. Built either from a core [`Error`] or from a failure found at the boundary itself
//! (NULL pointer, bad UTF-8, oversized input, caught panic).

use std::ptr;

use photo_policy_core::error::FieldError;
use photo_policy_core::settings;
use photo_policy_core::Error;
use serde_json::json;

use crate::panic::guard;
use crate::status::{kind_name, status_for_kind, PupStatus};
use crate::strings::write_borrowed;

/// Details of a failed call. Created by the library, read with the `pup_error_*` accessors, freed
/// with [`pup_error_free`]. Immutable once created, so it may be read from any thread.
pub struct PupError {
    parts: PupErrorParts,
    /// Every field as one JSON document, built once so `pup_error_json` can lend it.
    json: String,
}

impl PupError {
    /// A failure found at the boundary (not by the core). `message` names the argument and what
    /// is allowed.
    pub(crate) fn new(status: PupStatus, message: impl Into<String>) -> Self {
        Self::assemble(PupErrorParts {
            status,
            kind: status.name(),
            message: message.into(),
            ..PupErrorParts::default()
        })
    }

    /// A required pointer argument was NULL.
    pub(crate) fn null_argument(name: &str) -> Self {
        Self::new(
            PupStatus::NullArgument,
            format!("The argument '{name}' is NULL; a valid pointer is required."),
        )
        .with_target(name)
    }

    /// A panic caught at the boundary.
    pub(crate) fn panic(message: &str) -> Self {
        Self::new(PupStatus::Panic, format!("internal error: {message}")).with_action(
            "This is a bug in PhotoUpdatePolicy; please report it with the message above.",
        )
    }

    fn with_target(self, target: &str) -> Self {
        let mut parts = self.parts;
        parts.target = Some(target.to_string());
        Self::assemble(parts)
    }

    fn with_action(self, action: &str) -> Self {
        let mut parts = self.parts;
        parts.recommended_action = Some(action.to_string());
        Self::assemble(parts)
    }

    /// The status the failed call returned.
    pub(crate) fn status(&self) -> PupStatus {
        self.parts.status
    }

    fn assemble(p: PupErrorParts) -> Self {
        // The same words for cmdlet users: each setting named by its parameter, not its config
        // key (one table in the core, `settings`), so the PowerShell layer never rewords.
        let named = |text: &str| settings::for_cmdlets(text).into_owned();
        let mentioned = settings::mentioned(&format!(
            "{} {}",
            p.message,
            p.recommended_action.as_deref().unwrap_or("")
        ));
        let json = json!({
            "status": p.status as u32,
            "kind": p.kind,
            "message": p.message,
            "recommendedAction": p.recommended_action,
            "cmdletMessage": named(&p.message),
            "cmdletRecommendedAction": p.recommended_action.as_deref().map(named),
            "settings": mentioned
                .iter()
                .map(|s| json!({"configKey": s.key(), "parameter": s.parameter()}))
                .collect::<Vec<_>>(),
            "target": p.target,
            "httpStatus": if p.http_status == 0 { None } else { Some(p.http_status) },
            "code": p.code,
            "serviceMessage": p.service_message,
            "requestId": p.request_id,
            "clientRequestId": p.client_request_id,
            "date": p.date,
            "aadsts": p.aadsts,
            "retryAfterMs": if p.retry_after_ms < 0 { None } else { Some(p.retry_after_ms) },
            "outcome": p.outcome,
            "peopleAdminRequestId": p.people_admin_request_id,
            "peopleAdminErrorCode": p.people_admin_error_code,
            "validationErrors": p
                .validation_errors
                .iter()
                .map(|f| json!({"field": f.field, "messages": f.messages}))
                .collect::<Vec<_>>(),
        })
        .to_string();
        Self { parts: p, json }
    }
}

/// The fields of a [`PupError`]; its JSON form is built from them once (`PupError::assemble`).
struct PupErrorParts {
    status: PupStatus,
    kind: &'static str,
    message: String,
    recommended_action: Option<String>,
    target: Option<String>,
    http_status: u16,
    code: Option<String>,
    service_message: Option<String>,
    request_id: Option<String>,
    client_request_id: Option<String>,
    date: Option<String>,
    aadsts: Option<String>,
    people_admin_request_id: Option<String>,
    people_admin_error_code: Option<String>,
    validation_errors: Vec<FieldError>,
    retry_after_ms: i64,
    outcome: Option<&'static str>,
}

impl Default for PupErrorParts {
    fn default() -> Self {
        Self {
            status: PupStatus::Internal,
            kind: PupStatus::Internal.name(),
            message: String::new(),
            recommended_action: None,
            target: None,
            http_status: 0,
            code: None,
            service_message: None,
            request_id: None,
            client_request_id: None,
            date: None,
            aadsts: None,
            people_admin_request_id: None,
            people_admin_error_code: None,
            validation_errors: Vec::new(),
            retry_after_ms: -1,
            outcome: None,
        }
    }
}

/// A failure on its way to the caller. Boxed so `Result`s inside the library stay small.
pub(crate) type Failure = Box<PupError>;

impl From<Error> for Box<PupError> {
    fn from(e: Error) -> Self {
        Box::new(PupError::from(e))
    }
}

impl From<Error> for PupError {
    fn from(e: Error) -> Self {
        let service = e.service().cloned().unwrap_or_default();
        let retry_after_ms = e
            .retry_after()
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(-1);
        Self::assemble(PupErrorParts {
            status: status_for_kind(e.kind()),
            kind: kind_name(e.kind()),
            message: e.message().to_string(),
            recommended_action: e.recommended_action().map(str::to_string),
            target: e.target().map(str::to_string),
            http_status: service.http_status,
            code: service.code,
            service_message: service.message,
            request_id: service.request_id,
            client_request_id: service.client_request_id,
            date: service.date,
            aadsts: service.aadsts,
            people_admin_request_id: service.people_admin_request_id,
            people_admin_error_code: service.people_admin_error_code,
            validation_errors: service.validation_errors,
            retry_after_ms,
            outcome: e.outcome().map(|o| o.name()),
        })
    }
}

/// Hands `error` to the caller through `out_error` when the caller asked for it; otherwise drops
/// it. Never called on success, so `*out_error` is only ever written on failure.
pub(crate) fn deliver(out_error: *mut *mut PupError, error: Failure) {
    if !out_error.is_null() {
        // SAFETY: the caller passed a writable `PupError **` (documented on every export).
        unsafe { *out_error = Box::into_raw(error) };
    }
}

/// Borrows the error behind a handle, or `None` for NULL.
///
/// # Safety
/// `error` is NULL or a live handle from this library.
unsafe fn error_ref<'a>(error: *const PupError) -> Option<&'a PupError> {
    // SAFETY: guaranteed by the caller.
    unsafe { error.as_ref() }
}

/// Lends an optional string field of `error` through `(out_ptr, out_len)`.
///
/// # Safety
/// Same pointer rules as the accessors that call it.
unsafe fn lend_field(
    error: *const PupError,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
    field: impl FnOnce(&PupError) -> Option<&str>,
) -> PupStatus {
    guard(ptr::null_mut(), || {
        // SAFETY: `error` is NULL or a live handle (caller's contract).
        let Some(error) = (unsafe { error_ref(error) }) else {
            return PupStatus::NullArgument;
        };
        // SAFETY: the out pointers are checked for NULL inside; the string lives as long as
        // the error handle.
        unsafe { write_borrowed(field(error), out_ptr, out_len) }
    })
}

/// The status the failed call returned (never `PUP_STATUS_OK` for an error the library made).
/// Returns `PUP_STATUS_NULL_ARGUMENT` when `error` is NULL.
///
/// # Safety
/// `error` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pup_error_status(error: *const PupError) -> PupStatus {
    guard(ptr::null_mut(), || {
        // SAFETY: see the function's contract.
        match unsafe { error_ref(error) } {
            Some(e) => e.parts.status,
            None => PupStatus::NullArgument,
        }
    })
}

/// HTTP status of the service's answer, or 0 when there was no HTTP answer (or `error` is NULL).
///
/// # Safety
/// `error` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pup_error_http_status(error: *const PupError) -> u16 {
    guard(ptr::null_mut(), || {
        // SAFETY: see the function's contract.
        unsafe { error_ref(error) }.map_or(0, |e| e.parts.http_status)
    })
}

/// The Retry-After the service asked for, in milliseconds, or -1 when none (or `error` is NULL).
///
/// # Safety
/// `error` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pup_error_retry_after_ms(error: *const PupError) -> i64 {
    guard(ptr::null_mut(), || {
        // SAFETY: see the function's contract.
        unsafe { error_ref(error) }.map_or(-1, |e| e.parts.retry_after_ms)
    })
}

/// The admin-readable message (UTF-8, never empty). Borrowed: valid until `error` is freed.
///
/// # Safety
/// `error` is NULL or a live handle; `out_ptr`/`out_len` are NULL or writable.
/// Returns `PUP_STATUS_NULL_ARGUMENT` when any pointer is NULL.
#[no_mangle]
pub unsafe extern "C" fn pup_error_message(
    error: *const PupError,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> PupStatus {
    // SAFETY: forwarded contract.
    unsafe { lend_field(error, out_ptr, out_len, |e| Some(e.parts.message.as_str())) }
}

/// Graph `error.code` (e.g. `Request_BadRequest`) or the sign-in service's `error`
/// (e.g. `invalid_client`); (NULL, 0) when absent. Borrowed: valid until `error` is freed.
///
/// # Safety
/// `error` is NULL or a live handle; `out_ptr`/`out_len` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_error_code(
    error: *const PupError,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> PupStatus {
    // SAFETY: forwarded contract.
    unsafe { lend_field(error, out_ptr, out_len, |e| e.parts.code.as_deref()) }
}

/// The service's `request-id` (or sign-in `trace_id`); (NULL, 0) when absent. Borrowed: valid
/// until `error` is freed.
///
/// # Safety
/// `error` is NULL or a live handle; `out_ptr`/`out_len` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_error_request_id(
    error: *const PupError,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> PupStatus {
    // SAFETY: forwarded contract.
    unsafe { lend_field(error, out_ptr, out_len, |e| e.parts.request_id.as_deref()) }
}

/// The `client-request-id` sent with the failed request (or sign-in `correlation_id`);
/// (NULL, 0) when absent. Borrowed: valid until `error` is freed.
///
/// # Safety
/// `error` is NULL or a live handle; `out_ptr`/`out_len` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_error_client_request_id(
    error: *const PupError,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> PupStatus {
    // SAFETY: forwarded contract.
    unsafe {
        lend_field(error, out_ptr, out_len, |e| {
            e.parts.client_request_id.as_deref()
        })
    }
}

/// The service's `innerError.date`, verbatim (no time zone); (NULL, 0) when absent. Borrowed:
/// valid until `error` is freed.
///
/// # Safety
/// `error` is NULL or a live handle; `out_ptr`/`out_len` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_error_date(
    error: *const PupError,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> PupStatus {
    // SAFETY: forwarded contract.
    unsafe { lend_field(error, out_ptr, out_len, |e| e.parts.date.as_deref()) }
}

/// What the user can do about the failure; (NULL, 0) when there is no advice. Borrowed: valid
/// until `error` is freed.
///
/// # Safety
/// `error` is NULL or a live handle; `out_ptr`/`out_len` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_error_recommended_action(
    error: *const PupError,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> PupStatus {
    // SAFETY: forwarded contract.
    unsafe {
        lend_field(error, out_ptr, out_len, |e| {
            e.parts.recommended_action.as_deref()
        })
    }
}

/// Every field as one JSON object: `status`, `kind`, `message`, `recommendedAction`, `target`,
/// `httpStatus`, `code`, `serviceMessage`, `requestId`, `clientRequestId`, `date`, `aadsts`,
/// `retryAfterMs` (absent values are `null`). Borrowed: valid until `error` is freed.
///
/// # Safety
/// `error` is NULL or a live handle; `out_ptr`/`out_len` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_error_json(
    error: *const PupError,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> PupStatus {
    // SAFETY: forwarded contract.
    unsafe { lend_field(error, out_ptr, out_len, |e| Some(e.json.as_str())) }
}

/// Frees an error. NULL is accepted and ignored.
///
/// # Safety
/// `error` is NULL or a handle from this library not yet freed; it must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn pup_error_free(error: *mut PupError) {
    guard(ptr::null_mut(), || {
        if !error.is_null() {
            // SAFETY: the handle came from Box::into_raw in `deliver` (caller's contract).
            drop(unsafe { Box::from_raw(error) });
        }
    })
}
