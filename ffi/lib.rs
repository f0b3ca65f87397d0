//! C ABI of PhotoUpdatePolicy: read, change and reset the Entra ID photo update settings from any
//! language.
//!
//! This crate is glue only: pointer checks, UTF-8 `(ptr, len)` conversion, the panic boundary,
//! status codes, opaque handles and cancellation. Every decision about the policy is made in
//! `photo_policy_core`. The contract (names, ownership, JSON shapes) is `docs/c-abi.md`; the header
//! `ffi/include/photo_update_policy.h` is generated from these sources by cbindgen (`build.rs`).
//!
//! Layout:
//! - [`status`]: `PupStatus` and the one mapping from core error kinds.
//! - [`panic`]: the panic boundary every export runs inside.
//! - [`strings`]: `(ptr, len)` inputs and borrowed outputs.
//! - [`error`]: `PupError` and its accessors.
//! - [`result`]: `PupResult` (a JSON document).
//! - [`context`]: `PupCallContext` (cancellation and events).
//! - [`client`]: `PupClient` and the policy operations.
//! - [`plan`]: `PupPlan`, a change planned once and applied after the caller's confirmation.
//! - [`roles`]: offline role catalog and resolution.
//! - [`policy_as_code`]: export, document checks and fleet runs.
//! - [`access`]: who may change photos, which apps will break, the impact of a change.
//! - [`connection`]: sign in now and describe the connection (`pup_client_connect`).
//! - [`signer`]: certificate sign-in signed by the caller's key store
//!   (`pup_client_new_with_signer`).

use std::ptr;

pub mod access;
pub mod client;
pub mod connection;
pub mod context;
pub mod error;
pub mod fleet_plan;
mod json;
pub mod panic;
pub mod plan;
pub mod policy_as_code;
pub mod result;
pub mod roles;
pub mod signer;
pub mod status;
pub mod strings;
pub mod tenants;
#[cfg(test)]
mod test_support;

pub use access::*;
pub use client::*;
pub use connection::*;
pub use context::*;
pub use error::*;
pub use fleet_plan::*;
pub use plan::*;
pub use policy_as_code::*;
pub use result::*;
pub use roles::*;
pub use signer::*;
pub use status::PupStatus;
pub use strings::PUP_MAX_INPUT_BYTES;
pub use tenants::PUP_MAX_FLEET_CLIENTS;

/// Version of this C ABI. Bumped on any incompatible change to an export, a handle's rules or a
/// status value's meaning; callers (the C# module) refuse a library whose `pup_abi_version()`
/// differs from the value they were built against.
pub const PUP_ABI_VERSION: u32 = 1;

/// The library's version text, NUL-terminated so C can also print it directly.
const LIBRARY_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The ABI version this library implements (`PUP_ABI_VERSION`).
#[no_mangle]
pub extern "C" fn pup_abi_version() -> u32 {
    panic::guard(ptr::null_mut(), || PUP_ABI_VERSION)
}

/// The library's version (e.g. `0.1.0`), UTF-8. Static: valid for the life of the process, never
/// freed. `*out_len` excludes the terminating NUL that follows the text. Returns
/// `PUP_STATUS_NULL_ARGUMENT` (nothing written) when either pointer is NULL.
///
/// # Safety
/// `out_ptr` and `out_len` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_library_version(
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> PupStatus {
    panic::guard(ptr::null_mut(), || {
        let text = &LIBRARY_VERSION[..LIBRARY_VERSION.len() - 1];
        // SAFETY: out pointers checked inside; the text is 'static.
        unsafe { strings::write_borrowed(Some(text), out_ptr, out_len) }
    })
}

/// Test-only: panics inside the boundary so tests can prove a panic becomes
/// `PUP_STATUS_PANIC` plus an error object, and that the process survives. Built only with the
/// `test-panic` feature and left out of the header.
///
/// # Safety
/// `out_error` is NULL or writable.
#[cfg(feature = "test-panic")]
#[no_mangle]
pub unsafe extern "C" fn pup_debug_panic(out_error: *mut *mut PupError) -> PupStatus {
    panic::call(out_error, || {
        panic!("pup_debug_panic was called (deliberate panic for tests)");
    })
}
