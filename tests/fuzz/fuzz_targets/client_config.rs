//! `pup_client_new`: the client config JSON and the secret bytes. The first input byte picks how
//! many of the following bytes are the secret; the rest is the config document.

#![no_main]

use std::ptr;

use libfuzzer_sys::fuzz_target;
use photo_update_policy::*;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(first % 64).min(rest.len());
    let (secret, config) = rest.split_at(n);
    let mut client: *mut PupClient = ptr::null_mut();
    let mut error: *mut PupError = ptr::null_mut();
    // SAFETY: valid (ptr, len) pairs and writable outputs.
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
    // A client is not a PupResult: check it by hand, then let the shared checks see the error.
    if status as u32 == 0 {
        assert!(!client.is_null() && error.is_null());
        // SAFETY: live client from the library, freed once.
        unsafe { pup_client_free(client) };
    } else {
        assert!(client.is_null());
        common::check_outcome(status, ptr::null_mut(), error);
    }
});
