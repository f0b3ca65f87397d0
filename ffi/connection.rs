//! Connection exports (issue 5): sign in now and describe the connection, so a caller such as
//! `Connect-PhotoUpdatePolicy` fails on bad credentials at connect time and can show who it is
//! connected as, without ever seeing the token.

use crate::client::{client_ref, run_scoped, PupClient};
use crate::context::PupCallContext;
use crate::error::PupError;
use crate::panic::call;
use crate::result::PupResult;
use crate::status::PupStatus;
use crate::strings::out_arg;

/// Signs in with the client's credentials now (or reuses its cached, still valid token) and
/// returns the ConnectionInfo JSON (docs/c-abi.md): `tenantId`, `cloud`, `authMode`, `clientId`,
/// `identity`, `account`, `tokenExpiresOn`, `scopes`, `roles`, `directoryRoles`. The token itself
/// is never part of the result. The token stays cached in the client, so later policy calls on
/// the same client reuse it (and refresh it before it expires). Nothing is sent to Microsoft
/// Graph. Blocking; `ctx` may be NULL (not cancellable, no events); a device code sign-in shows
/// its instructions as an information event (level 4) and waits until the user finishes.
///
/// On success `*out_result` holds the JSON; free with `pup_result_free`. On failure `*out_error`
/// (when not NULL) holds the details (e.g. `PUP_STATUS_AUTHENTICATION` with the AADSTS code);
/// free with `pup_error_free`.
///
/// # Safety
/// `client` is a live client handle; `ctx` is NULL or a live context; `out_result` is writable;
/// `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_client_connect(
    client: *const PupClient,
    ctx: *const PupCallContext,
    out_result: *mut *mut PupResult,
    out_error: *mut *mut PupError,
) -> PupStatus {
    call(out_error, || {
        // SAFETY: caller's contract.
        let client = unsafe { client_ref(client) }?;
        out_arg("out_result", out_result)?;
        // SAFETY: caller's contract; `out_result` checked non-NULL above.
        unsafe {
            run_scoped(ctx, false, out_result, |context| async move {
                client.connect(&context).await
            })
        }
    })
}
