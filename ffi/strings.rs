//! Strings and bytes across the boundary: UTF-8 `(const uint8_t *ptr, size_t len)` in both
//! directions. C strings need not be NUL-terminated; `ptr` may be NULL only when `len` is 0.

use std::ptr;

use zeroize::Zeroizing;

use crate::error::{Failure, PupError};
use crate::status::PupStatus;

/// The largest input accepted, in bytes (16 MiB). Checked before anything is read, so a wrong
/// length from the caller cannot make the library walk off into unrelated memory for long.
pub const PUP_MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;

/// Borrows `(ptr, len)` as bytes after the NULL and size checks. `name` is the argument's name in
/// the C signature, used in messages.
///
/// # Safety
/// When `ptr` is not NULL it points to `len` readable bytes that stay valid and unchanged for `'a`.
pub(crate) unsafe fn bytes_arg<'a>(
    name: &str,
    ptr: *const u8,
    len: usize,
) -> Result<&'a [u8], Failure> {
    if len > PUP_MAX_INPUT_BYTES {
        return Err(Box::new(PupError::new(
            PupStatus::InvalidArgument,
            format!(
                "The argument '{name}' is {len} bytes long; the limit is {PUP_MAX_INPUT_BYTES} \
                 bytes (16 MiB)."
            ),
        )));
    }
    if ptr.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(Box::new(PupError::new(
            PupStatus::NullArgument,
            format!(
                "The argument '{name}' is NULL but its length is {len}; pass a pointer to {len} \
                 bytes, or NULL with length 0."
            ),
        )));
    }
    // SAFETY: non-NULL, `len` readable bytes (caller's contract); u8 has no alignment needs.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows `(ptr, len)` as UTF-8 text after the checks of [`bytes_arg`].
///
/// # Safety
/// As for [`bytes_arg`].
pub(crate) unsafe fn str_arg<'a>(
    name: &str,
    ptr: *const u8,
    len: usize,
) -> Result<&'a str, Failure> {
    // SAFETY: forwarded contract.
    let bytes = unsafe { bytes_arg(name, ptr, len) }?;
    std::str::from_utf8(bytes).map_err(|e| {
        Box::new(PupError::new(
            PupStatus::InvalidUtf8,
            format!(
                "The argument '{name}' is not valid UTF-8: the byte at offset {} does not start \
                 a valid UTF-8 sequence. Pass UTF-8 text.",
                e.valid_up_to()
            ),
        ))
    })
}

/// Copies a secret `(ptr, len)` into zeroizing memory. Bytes, not text: the core decides what the
/// secret must look like, and messages never quote it.
///
/// # Safety
/// As for [`bytes_arg`].
pub(crate) unsafe fn secret_arg(
    name: &str,
    ptr: *const u8,
    len: usize,
) -> Result<Zeroizing<Vec<u8>>, Failure> {
    // SAFETY: forwarded contract.
    let bytes = unsafe { bytes_arg(name, ptr, len) }?;
    // Allocate the exact size first so the copy never reallocates and leaves a stray copy behind.
    let mut secret = Zeroizing::new(Vec::with_capacity(bytes.len()));
    secret.extend_from_slice(bytes);
    Ok(secret)
}

/// Checks that an output pointer is not NULL.
pub(crate) fn out_arg<T>(name: &str, out: *mut T) -> Result<(), Failure> {
    if out.is_null() {
        Err(Box::new(PupError::null_argument(name)))
    } else {
        Ok(())
    }
}

/// Lends `value` through `(out_ptr, out_len)`: `(NULL, 0)` for `None`. Returns
/// `PUP_STATUS_NULL_ARGUMENT` and writes nothing when either out pointer is NULL.
///
/// # Safety
/// `out_ptr` and `out_len` are NULL or writable; the string must outlive the caller's use of it
/// (each accessor documents which handle owns it).
pub(crate) unsafe fn write_borrowed(
    value: Option<&str>,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> PupStatus {
    if out_ptr.is_null() || out_len.is_null() {
        return PupStatus::NullArgument;
    }
    let (p, n) = match value {
        Some(s) => (s.as_ptr(), s.len()),
        None => (ptr::null(), 0),
    };
    // SAFETY: both pointers checked non-NULL and writable per the caller's contract.
    unsafe {
        *out_ptr = p;
        *out_len = n;
    }
    PupStatus::Ok
}
