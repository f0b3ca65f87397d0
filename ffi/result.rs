//! `PupResult`: the JSON document a successful call hands back.

use std::ptr;

use serde::Serialize;

use crate::error::{Failure, PupError};
use crate::panic::guard;
use crate::status::PupStatus;
use crate::strings::write_borrowed;

/// A successful call's result: one UTF-8 JSON document (camelCase; shapes in docs/c-abi.md).
/// Read with [`pup_result_json`], free with [`pup_result_free`]. Immutable, so it may be read from
/// any thread.
pub struct PupResult {
    json: String,
}

impl PupResult {
    /// Serializes a core result. Serialization of the core's own types cannot fail in practice;
    /// if it ever does, that is an internal error rather than a panic.
    pub(crate) fn from_serialize(value: &impl Serialize) -> Result<Self, Failure> {
        serde_json::to_string(value)
            .map(|json| Self { json })
            .map_err(|e| {
                Box::new(PupError::new(
                    PupStatus::Internal,
                    format!("internal error: the result could not be written as JSON: {e}"),
                ))
            })
    }

    /// The JSON text (for tests).
    pub(crate) fn json(&self) -> &str {
        &self.json
    }

    /// The JSON text, taken out of the result.
    pub(crate) fn into_json(self) -> String {
        self.json
    }
}

/// Writes a result to `out_result`. Called last, only on success.
///
/// # Safety
/// `out_result` was checked non-NULL and is writable.
pub(crate) unsafe fn deliver_result(out_result: *mut *mut PupResult, result: PupResult) {
    // SAFETY: caller's contract.
    unsafe { *out_result = Box::into_raw(Box::new(result)) };
}

/// Lends the result's JSON document (UTF-8, not NUL-terminated). Borrowed: valid until `result`
/// is freed. `PUP_STATUS_NULL_ARGUMENT` (nothing written) when any pointer is NULL.
///
/// # Safety
/// `result` is NULL or a live result handle; `out_ptr`/`out_len` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_result_json(
    result: *const PupResult,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> PupStatus {
    guard(ptr::null_mut(), || {
        // SAFETY: caller's contract.
        match unsafe { result.as_ref() } {
            // SAFETY: out pointers checked inside; the text lives as long as the handle.
            Some(r) => unsafe { write_borrowed(Some(r.json()), out_ptr, out_len) },
            None => PupStatus::NullArgument,
        }
    })
}

/// Frees a result. NULL is accepted and ignored.
///
/// # Safety
/// `result` is NULL or a result handle not yet freed; it must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn pup_result_free(result: *mut PupResult) {
    guard(ptr::null_mut(), || {
        if !result.is_null() {
            // SAFETY: came from Box::into_raw in `deliver_result` (caller's contract).
            drop(unsafe { Box::from_raw(result) });
        }
    })
}
