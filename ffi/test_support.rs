//! What the unit tests of the exports share: a client of the Graph emulator made through
//! `pup_client_new`, and the JSON of a result.

use std::ptr;

use graph_emulator::{Emulator, TokenSpec};
use serde_json::{json, Value};

use crate::client::{pup_client_new, PupClient};
use crate::result::{pup_result_free, pup_result_json, PupResult};
use crate::status::PupStatus;

/// A client of `emu` signed in with a token minted from `spec`; its config names `tenant` when
/// given. Free with `pup_client_free`.
pub(crate) fn emulator_client(
    emu: &Emulator,
    tenant: Option<&str>,
    spec: TokenSpec,
) -> *mut PupClient {
    let token = emu.mint_token(spec);
    let mut config = json!({"graphEndpoint": emu.url(), "allowInsecureLoopback": true});
    if let Some(tenant) = tenant {
        config["tenantId"] = json!(tenant);
    }
    let config = config.to_string();
    let (mut client, mut error) = (ptr::null_mut(), ptr::null_mut());
    // SAFETY: valid buffers and out pointers.
    let st = unsafe {
        pup_client_new(
            config.as_ptr(),
            config.len(),
            token.as_ptr(),
            token.len(),
            &mut client,
            &mut error,
        )
    };
    assert_eq!(st, PupStatus::Ok);
    client
}

/// A client of `emu` for an app of `tenant` holding `roles`; with `expired`, its token expired
/// ten minutes ago (every call fails to authenticate).
pub(crate) fn app_client(
    emu: &Emulator,
    tenant: &str,
    roles: &[&str],
    expired: bool,
) -> *mut PupClient {
    let mut spec = TokenSpec::app(tenant, roles);
    if expired {
        spec = spec.expires_in(-600);
    }
    emulator_client(emu, Some(tenant), spec)
}

/// The JSON of `result`, which is freed.
pub(crate) fn result_json(result: *mut PupResult) -> Value {
    let (mut p, mut l) = (ptr::null(), 0usize);
    // SAFETY: live result; out pointers are locals.
    assert_eq!(
        unsafe { pup_result_json(result, &mut p, &mut l) },
        PupStatus::Ok
    );
    // SAFETY: borrowed from the live result.
    let v = serde_json::from_slice(unsafe { std::slice::from_raw_parts(p, l) }).unwrap();
    // SAFETY: freed once.
    unsafe { pup_result_free(result) };
    v
}
