//! Offline role look-ups: the catalog of roles that may appear in `allowedRoles`, and resolving
//! names, aliases and template IDs to roles. No client, no network.

use photo_policy_core::roles::{self, ResolveRequest};

use crate::error::PupError;
use crate::json::parse_json;
use crate::panic::call;
use crate::result::{deliver_result, PupResult};
use crate::status::PupStatus;
use crate::strings::{out_arg, str_arg};

/// The role catalog as JSON: `[{"name","id","aliases":[…],"documented","deprecated","note"}]`.
///
/// On success `*out_result` holds it (free with `pup_result_free`); on failure `*out_error` (when
/// not NULL) holds the details (free with `pup_error_free`).
///
/// # Safety
/// `out_result` is writable; `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_roles_catalog(
    out_result: *mut *mut PupResult,
    out_error: *mut *mut PupError,
) -> PupStatus {
    call(out_error, || {
        out_arg("out_result", out_result)?;
        let result = PupResult::from_serialize(&roles::catalog_json())?;
        // SAFETY: checked non-NULL above.
        unsafe { deliver_result(out_result, result) };
        Ok(())
    })
}

/// Resolves role names, aliases or template IDs (any case, whitespace or braces):
/// request `{"roles":["…"],"allowUnknownRoleIds":false}`, result
/// `{"roles":[{"input","id","name","known"}],"warnings":[…]}`. An unknown name is
/// `PUP_STATUS_INVALID_ARGUMENT` with a message listing the valid names and the closest one.
///
/// Ownership of outputs as for [`pup_roles_catalog`].
///
/// # Safety
/// `(request_json, request_len)` is NULL with length 0 or points to `request_len` readable bytes;
/// `out_result` is writable; `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_roles_resolve(
    request_json: *const u8,
    request_len: usize,
    out_result: *mut *mut PupResult,
    out_error: *mut *mut PupError,
) -> PupStatus {
    call(out_error, || {
        // SAFETY: caller's contract.
        let text = unsafe { str_arg("request_json", request_json, request_len) }?;
        out_arg("out_result", out_result)?;
        let request: ResolveRequest = parse_json("request_json", "role resolve request", text)?;
        let resolved = roles::resolve(&request)?;
        let result = PupResult::from_serialize(&resolved)?;
        // SAFETY: checked non-NULL above.
        unsafe { deliver_result(out_result, result) };
        Ok(())
    })
}
