//! `PupClient` and the blocking policy operations (get, plan, apply, reset).

use std::future::Future;
use std::ptr;

use photo_policy_core::client::{CallContext, PolicyClient};
use photo_policy_core::config::ClientConfig;
use photo_policy_core::plan::{ChangeRequest, ResetOptions};
use photo_policy_core::runtime::try_block_on;
use photo_policy_core::Error;
use serde::Serialize;

use crate::context::{CallScope, PupCallContext};
use crate::error::{Failure, PupError};
use crate::json::{parse_json, parse_optional_json};
use crate::panic::{call, guard};
use crate::result::{deliver_result, PupResult};
use crate::status::PupStatus;
use crate::strings::{out_arg, secret_arg, str_arg};

/// A configured client for one tenant and cloud. Create with [`pup_client_new`], free with
/// [`pup_client_free`]. Thread-safe: several calls may use one client at once.
pub struct PupClient {
    inner: PolicyClient,
}

impl PupClient {
    /// Wraps a core client for the caller (see `pup_client_new_with_signer`).
    pub(crate) fn from_inner(inner: PolicyClient) -> Self {
        Self { inner }
    }
}

/// Borrows the client behind a handle, or fails with `PUP_STATUS_NULL_ARGUMENT`.
///
/// # Safety
/// `client` is NULL or a live client handle.
pub(crate) unsafe fn client_ref<'a>(client: *const PupClient) -> Result<&'a PolicyClient, Failure> {
    // SAFETY: caller's contract.
    unsafe { client.as_ref() }
        .map(|c| &c.inner)
        .ok_or_else(|| Box::new(PupError::null_argument("client")))
}

/// Runs one core operation to completion on the shared runtime, or until the scope is cancelled,
/// and returns its value. `may_have_written` adds a note to a cancellation error for operations
/// that send a change.
fn complete<T, F>(scope: &CallScope, may_have_written: bool, operation: F) -> Result<T, Failure>
where
    F: Future<Output = photo_policy_core::Result<T>>,
{
    // A call from inside an event callback is refused with a status, never a panic.
    match try_block_on(scope.cancel.run_until_cancelled(operation))? {
        Some(Ok(value)) => Ok(value),
        Some(Err(e)) => Err(e.into()),
        None => {
            let mut error = Error::cancelled();
            if may_have_written {
                error = error.with_recommended_action(
                    "A change may already have been sent before the cancellation; read the \
                     policy to see its current state.",
                );
            }
            Err(error.into())
        }
    }
}

/// The core's call context for a scope.
fn call_context(scope: &CallScope) -> CallContext {
    CallContext {
        cancel: scope.cancel.clone(),
        stop: scope.stop.clone(),
        events: scope.events.clone(),
        limits: scope.limits,
    }
}

/// The shared middle of every blocking export, after its argument checks (so a bad argument
/// never starts a call): opens the call scope of `ctx` (cancellation, events, limits), runs the
/// core operation `operation` makes from the call context to completion (see `complete`), and
/// closes the scope before returning, so no event reaches the caller's callback after this
/// point. The caller writes its outputs only after this returns.
///
/// `operation` takes the context by value and returns a future that owns it (`|context| async
/// move { client.get(&context).await }`), so the future needs no borrow from this function.
///
/// # Safety
/// `ctx` is NULL or a live context handle.
pub(crate) unsafe fn complete_scoped<T, F>(
    ctx: *const PupCallContext,
    may_have_written: bool,
    operation: impl FnOnce(CallContext) -> F,
) -> Result<T, Failure>
where
    F: Future<Output = photo_policy_core::Result<T>>,
{
    // SAFETY: caller's contract.
    let scope = unsafe { CallScope::new(ctx) };
    let value = complete(&scope, may_have_written, operation(call_context(&scope)));
    drop(scope);
    value
}

/// [`complete_scoped`], then writes the operation's value as the call's JSON result: the body of
/// every blocking export that answers one document.
///
/// # Safety
/// `ctx` is NULL or a live context handle; `out_result` was checked non-NULL and is writable.
pub(crate) unsafe fn run_scoped<T, F>(
    ctx: *const PupCallContext,
    may_have_written: bool,
    out_result: *mut *mut PupResult,
    operation: impl FnOnce(CallContext) -> F,
) -> Result<(), Failure>
where
    T: Serialize,
    F: Future<Output = photo_policy_core::Result<T>>,
{
    // SAFETY: caller's contract.
    let value = unsafe { complete_scoped(ctx, may_have_written, operation) }?;
    let result = PupResult::from_serialize(&value)?;
    // SAFETY: caller's contract.
    unsafe { deliver_result(out_result, result) };
    Ok(())
}

/// Creates a client from a JSON config (see docs/c-abi.md; every field optional, unknown fields
/// rejected) and the secret its auth mode needs (access token, client secret or private key;
/// may be NULL with length 0). The secret is copied into memory that is zeroed when the client is
/// freed: zero your own copy after the call. No network traffic happens here.
///
/// On success writes `*out_client` (free with [`pup_client_free`]); on failure writes
/// `*out_error` when `out_error` is not NULL (free with `pup_error_free`).
///
/// # Safety
/// Each `(ptr, len)` pair is NULL with length 0, or points to `len` readable bytes.
/// `out_client` is writable; `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_client_new(
    config_json: *const u8,
    config_len: usize,
    secret: *const u8,
    secret_len: usize,
    out_client: *mut *mut PupClient,
    out_error: *mut *mut PupError,
) -> PupStatus {
    call(out_error, || {
        // SAFETY: caller's contract for each pair.
        let config_text = unsafe { str_arg("config_json", config_json, config_len) }?;
        // SAFETY: as above.
        let secret = unsafe { secret_arg("secret", secret, secret_len) }?;
        out_arg("out_client", out_client)?;
        let config: ClientConfig = parse_json("config_json", "client config", config_text)?;
        let inner = PolicyClient::new(config, secret)?;
        // SAFETY: checked non-NULL above; writable per contract.
        unsafe { *out_client = Box::into_raw(Box::new(PupClient { inner })) };
        Ok(())
    })
}

/// Creates a client for another tenant with `client`'s application credentials (client secret,
/// certificate or federated credential) and a token cache of its own: one app connection serves
/// every tenant of a fleet run. A client whose sign-in belongs to one tenant (a user's browser or
/// device code sign-in, a managed identity, an access token) fails with `InvalidArgument`, the
/// message saying why and what to pass instead. `tenant` is a tenant ID or verified domain. No
/// network traffic happens here. `client` stays valid and unchanged.
///
/// On success writes `*out_client` (free with [`pup_client_free`]); on failure writes
/// `*out_error` when `out_error` is not NULL (free with `pup_error_free`).
///
/// # Safety
/// `client` is a live client handle; `(tenant, tenant_len)` points to `tenant_len` readable bytes;
/// `out_client` is writable; `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_client_for_tenant(
    client: *const PupClient,
    tenant: *const u8,
    tenant_len: usize,
    out_client: *mut *mut PupClient,
    out_error: *mut *mut PupError,
) -> PupStatus {
    call(out_error, || {
        // SAFETY: caller's contract.
        let source = unsafe { client_ref(client) }?;
        // SAFETY: caller's contract for the pair.
        let tenant = unsafe { str_arg("tenant", tenant, tenant_len) }?;
        out_arg("out_client", out_client)?;
        let inner = source.for_tenant(tenant)?;
        // SAFETY: checked non-NULL above; writable per contract.
        unsafe { *out_client = Box::into_raw(Box::new(PupClient { inner })) };
        Ok(())
    })
}

/// Frees a client and zeroes its secret and cached token. When it was the last client alive,
/// the shared HTTP connection pools are closed too (their buffers held the last requests'
/// headers, bearer tokens included); the next client opens new connections. NULL is accepted.
/// No call may be using it any more.
///
/// # Safety
/// `client` is NULL or a client handle not yet freed; it must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn pup_client_free(client: *mut PupClient) {
    guard(ptr::null_mut(), || {
        if !client.is_null() {
            // SAFETY: came from Box::into_raw in `pup_client_new` (caller's contract).
            drop(unsafe { Box::from_raw(client) });
        }
    })
}

/// Reads the tenant's photo update policy (`GET /beta/admin/people/photoUpdateSettings`).
/// Blocking. `ctx` may be NULL (not cancellable, no events).
///
/// On success `*out_result` holds the Policy JSON (docs/c-abi.md); free with `pup_result_free`.
/// On failure `*out_error` (when not NULL) holds the details; free with `pup_error_free`.
///
/// # Safety
/// `client` is a live client handle; `ctx` is NULL or a live context; `out_result` is writable;
/// `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_policy_get(
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
                client.get(&context).await
            })
        }
    })
}

/// Works out what a change would do without writing anything: reads the policy, validates the
/// change request JSON (docs/c-abi.md) and returns the Plan JSON (before, after, changes, the
/// PATCH body, warnings). Blocking; `ctx` may be NULL.
///
/// Ownership of outputs as for [`pup_policy_get`].
///
/// # Safety
/// `client` is a live client handle; `(change_json, change_len)` is NULL with length 0 or points
/// to `change_len` readable bytes; `ctx` is NULL or a live context; `out_result` is writable;
/// `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_policy_plan(
    client: *const PupClient,
    change_json: *const u8,
    change_len: usize,
    ctx: *const PupCallContext,
    out_result: *mut *mut PupResult,
    out_error: *mut *mut PupError,
) -> PupStatus {
    call(out_error, || {
        // SAFETY: caller's contract.
        let client = unsafe { client_ref(client) }?;
        // SAFETY: caller's contract.
        let text = unsafe { str_arg("change_json", change_json, change_len) }?;
        out_arg("out_result", out_result)?;
        let change = ChangeRequest::from_json(text)?;
        // SAFETY: caller's contract; `out_result` checked non-NULL above.
        unsafe {
            run_scoped(ctx, false, out_result, |context| async move {
                client.plan(&change, &context).await
            })
        }
    })
}

/// Plans the change (as [`pup_policy_plan`]) and, when it changes anything, sends the minimal
/// PATCH and reads the policy back. Returns the Apply JSON (`plan`, `applied`, `previous`,
/// `current`, `requests`). Changes take up to 24 hours to take effect across Microsoft 365.
/// Blocking; `ctx` may be NULL.
///
/// Ownership of outputs as for [`pup_policy_get`].
///
/// # Safety
/// As for [`pup_policy_plan`].
#[no_mangle]
pub unsafe extern "C" fn pup_policy_apply(
    client: *const PupClient,
    change_json: *const u8,
    change_len: usize,
    ctx: *const PupCallContext,
    out_result: *mut *mut PupResult,
    out_error: *mut *mut PupError,
) -> PupStatus {
    call(out_error, || {
        // SAFETY: caller's contract.
        let client = unsafe { client_ref(client) }?;
        // SAFETY: caller's contract.
        let text = unsafe { str_arg("change_json", change_json, change_len) }?;
        out_arg("out_result", out_result)?;
        let change = ChangeRequest::from_json(text)?;
        // SAFETY: caller's contract; `out_result` checked non-NULL above.
        unsafe {
            run_scoped(ctx, true, out_result, |context| async move {
                client.apply(&change, &context).await
            })
        }
    })
}

/// Resets the policy to the tenant default (no source restriction, no role restriction) and
/// proves it by reading it back. Returns the Reset JSON (`previous`, `current`, `method`,
/// `verified`, `requests`, `backupPath`); `PUP_STATUS_RESET_NOT_VERIFIED` when the read-back
/// disagrees. `(options_json, options_len)` is NULL,0 for no options, or
/// `{"backupPath":"<file or folder>"}`: the policy before the reset is saved there first, and
/// when it cannot be saved (`PUP_STATUS_IO`) nothing is sent. Blocking; `ctx` may be NULL.
///
/// Ownership of outputs as for [`pup_policy_get`].
///
/// # Safety
/// As for [`pup_policy_get`]; `(options_json, options_len)` is NULL with length 0 or points to
/// `options_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn pup_policy_reset(
    client: *const PupClient,
    options_json: *const u8,
    options_len: usize,
    ctx: *const PupCallContext,
    out_result: *mut *mut PupResult,
    out_error: *mut *mut PupError,
) -> PupStatus {
    call(out_error, || {
        // SAFETY: caller's contract.
        let client = unsafe { client_ref(client) }?;
        // SAFETY: caller's contract.
        let text = unsafe { str_arg("options_json", options_json, options_len) }?;
        out_arg("out_result", out_result)?;
        let options: ResetOptions = parse_optional_json("options_json", "reset options", text)?;
        // SAFETY: caller's contract; `out_result` checked non-NULL above.
        unsafe {
            run_scoped(ctx, true, out_result, |context| async move {
                client.reset_with(&options, &context).await
            })
        }
    })
}
