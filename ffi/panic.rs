//! The panic boundary every export runs inside (after rustls-ffi's `panic.rs`).
//!
//! Since Rust 1.81 a panic that reaches an `extern "C"` frame aborts the process, which would kill
//! the user's PowerShell. [`guard`] catches it, turns it into `PUP_STATUS_PANIC` (or a neutral
//! value for exports that return something else) and, when the caller gave an `out_error`, an
//! error object saying `internal error: <panic message>`.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use crate::error::{deliver, Failure, PupError};
use crate::status::PupStatus;

/// What an export returns when its body panicked.
pub(crate) trait OnPanic {
    /// The value handed back to C instead of unwinding.
    fn on_panic() -> Self;
}

impl OnPanic for PupStatus {
    fn on_panic() -> Self {
        PupStatus::Panic
    }
}

impl OnPanic for () {
    fn on_panic() -> Self {}
}

impl OnPanic for u16 {
    fn on_panic() -> Self {
        0
    }
}

impl OnPanic for u32 {
    fn on_panic() -> Self {
        0
    }
}

impl OnPanic for i64 {
    // -1 is "none" for the only i64 export (retry-after).
    fn on_panic() -> Self {
        -1
    }
}

impl<T> OnPanic for *mut T {
    fn on_panic() -> Self {
        ptr::null_mut()
    }
}

/// Runs `body`, catching any panic. On panic, writes a `PUP_STATUS_PANIC` error to `out_error`
/// (when not NULL) and returns [`OnPanic::on_panic`].
///
/// `AssertUnwindSafe` is sound here: after a panic nothing the body touched is used again by this
/// call, and shared state (runtime, client handles) is built from types that stay consistent
/// across a panic (no half-updated invariants are observable through the ABI).
pub(crate) fn guard<R: OnPanic>(out_error: *mut *mut PupError, body: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => {
            let message = panic_message(&*payload);
            // Dropping a payload can itself panic (a payload with a panicking Drop); never let
            // that escape.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            let _ = catch_unwind(AssertUnwindSafe(|| {
                deliver(out_error, Box::new(PupError::panic(&message)))
            }));
            R::on_panic()
        }
    }
}

/// Runs a fallible export body inside [`guard`]: `Ok` becomes `PUP_STATUS_OK`; `Err` is delivered
/// through `out_error` and its status returned.
pub(crate) fn call(
    out_error: *mut *mut PupError,
    body: impl FnOnce() -> Result<(), Failure>,
) -> PupStatus {
    guard(out_error, || match body() {
        Ok(()) => PupStatus::Ok,
        Err(error) => {
            let status = error.status();
            deliver(out_error, error);
            status
        }
    })
}

/// The text of a panic payload (`&str` or `String`, as `panic!` makes them).
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-text payload".to_string()
    }
}
