//! `pup_roles_resolve`: the role resolve request JSON (names, aliases, GUIDs in any shape).

#![no_main]

use std::ptr;

use libfuzzer_sys::fuzz_target;
use photo_update_policy::*;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let mut result: *mut PupResult = ptr::null_mut();
    let mut error: *mut PupError = ptr::null_mut();
    // SAFETY: a valid (ptr, len) pair and writable outputs.
    let status = unsafe { pup_roles_resolve(data.as_ptr(), data.len(), &mut result, &mut error) };
    common::check_outcome(status, result, error);
});
