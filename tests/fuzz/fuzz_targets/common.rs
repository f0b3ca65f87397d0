//! Shared checks for the fuzz targets: every ABI answer must be a known status with the matching
//! outputs, and a failure must carry a non-empty message. A panic anywhere aborts (libfuzzer-sys
//! installs an aborting panic hook), so a panic the boundary would have caught is still found.

#![allow(dead_code)]

use std::ptr;

use photo_update_policy::*;

/// Highest status value the library defines today (`PUP_STATUS_VALIDATION_FAILED`).
const LAST_STATUS: u32 = 19;

/// Checks one call's outcome and frees its outputs.
pub fn check_outcome(status: PupStatus, result: *mut PupResult, error: *mut PupError) {
    let code = status as u32;
    assert!(code <= LAST_STATUS, "unknown status {code}");
    assert_ne!(
        code,
        PupStatus::Panic as u32,
        "a panic was caught at the boundary"
    );
    if code == 0 {
        assert!(!result.is_null(), "status 0 without a result");
        assert!(error.is_null(), "status 0 with an error");
        let (mut p, mut n) = (ptr::null(), 0usize);
        // SAFETY: live result handle and writable outputs.
        let s = unsafe { pup_result_json(result, &mut p, &mut n) };
        assert_eq!(s as u32, 0);
        // SAFETY: borrowed from the live result.
        let text = unsafe { std::slice::from_raw_parts(p, n) };
        serde_json::from_slice::<serde_json::Value>(text).expect("a result is JSON");
    } else {
        assert!(result.is_null(), "status {code} with a result");
        assert!(!error.is_null(), "status {code} without an error");
        assert_eq!(unsafe { pup_error_status(error) } as u32, code);
        let (mut p, mut n) = (ptr::null(), 0usize);
        // SAFETY: live error handle and writable outputs.
        let s = unsafe { pup_error_message(error, &mut p, &mut n) };
        assert_eq!(s as u32, 0);
        assert!(n > 0, "status {code} with an empty message");
        // SAFETY: as above.
        let s = unsafe { pup_error_json(error, &mut p, &mut n) };
        assert_eq!(s as u32, 0);
        // SAFETY: borrowed from the live error.
        let text = unsafe { std::slice::from_raw_parts(p, n) };
        serde_json::from_slice::<serde_json::Value>(text).expect("the error JSON is JSON");
    }
    // SAFETY: handles from the library (or NULL), freed once.
    unsafe {
        pup_result_free(result);
        pup_error_free(error);
    }
}
