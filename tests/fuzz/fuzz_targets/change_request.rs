//! The change request JSON, two ways: through `pup_policy_plan` (parsed at the ABI; the call
//! context is cancelled up front so nothing is sent), and through the core's parser and planner
//! offline against the tenant default (role resolution, add/remove rules, PATCH body).

#![no_main]

use std::ptr;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use photo_policy_core::cloud::Cloud;
use photo_policy_core::model::Policy;
use photo_policy_core::plan::{plan_change, ChangeRequest};
use photo_update_policy::*;

#[path = "common.rs"]
mod common;

/// Raw handles made once per process; only read afterwards (the ABI allows sharing them).
struct Handles {
    client: *mut PupClient,
    ctx: *mut PupCallContext,
}
// SAFETY: the library documents clients and contexts as thread-safe.
unsafe impl Send for Handles {}
// SAFETY: as above.
unsafe impl Sync for Handles {}

fn handles() -> &'static Handles {
    static HANDLES: OnceLock<Handles> = OnceLock::new();
    HANDLES.get_or_init(|| {
        // Port 9 on loopback (discard) is never contacted: the context is cancelled first.
        let config = br#"{"graphEndpoint":"http://127.0.0.1:9","allowInsecureLoopback":true,"retry":{"maxRetries":0}}"#;
        let token = b"eyJhbGciOiJub25lIn0.eyJ0aWQiOiJmdXp6In0.";
        let mut client = ptr::null_mut();
        let mut error = ptr::null_mut();
        // SAFETY: valid inputs and outputs.
        let status = unsafe {
            pup_client_new(config.as_ptr(), config.len(), token.as_ptr(), token.len(), &mut client, &mut error)
        };
        assert_eq!(status as u32, 0, "fuzz client could not be created");
        let ctx = pup_call_context_new(None, ptr::null_mut());
        assert!(!ctx.is_null());
        // SAFETY: live context.
        assert_eq!(unsafe { pup_call_context_cancel(ctx) } as u32, 0);
        Handles { client, ctx }
    })
}

fuzz_target!(|data: &[u8]| {
    let h = handles();
    let mut result: *mut PupResult = ptr::null_mut();
    let mut error: *mut PupError = ptr::null_mut();
    // SAFETY: live handles, a valid (ptr, len) pair and writable outputs.
    let status = unsafe {
        pup_policy_plan(
            h.client,
            data.as_ptr(),
            data.len(),
            h.ctx,
            &mut result,
            &mut error,
        )
    };
    common::check_outcome(status, result, error);

    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(change) = ChangeRequest::from_json(text) {
            let current = Policy::default();
            if let Ok(plan) = plan_change(&current, &change, None, Cloud::Global) {
                // A plan always serializes, and its PATCH body is an object when present.
                let json = serde_json::to_value(&plan).expect("a plan serializes");
                if let Some(body) = json.get("patchBody").filter(|b| !b.is_null()) {
                    assert!(body.is_object(), "patchBody is not an object: {body}");
                }
            }
        }
    }
});
