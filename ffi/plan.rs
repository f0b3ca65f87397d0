//! `PupPlan`: a change planned against the policy as read, held while the caller asks a person
//! to confirm it, then applied without reading the policy again. A confirmed change thus costs
//! one GET and one PATCH, in two calls:
//!
//! ```c
//! PupPlan *plan;
//! pup_policy_plan_begin(client, change, len, ctx, &plan, &err);   /* GET, plan */
//! /* show pup_plan_json(plan); ask */
//! pup_policy_plan_apply(client, plan, 0, ctx, &result, &err);     /* PATCH */
//! pup_plan_free(plan);
//! ```
//!
//! When the answer took long (a person read a prompt), pass [`PUP_APPLY_REREAD`]: the policy is
//! read again and the same change planned anew before writing, as `pup_policy_apply` does.
//!
//! A reset takes the same path: [`pup_policy_reset_begin`] plans the default against the policy
//! as read, [`pup_policy_plan_apply`] writes it and reads it back (the Reset JSON of
//! `pup_policy_reset`). [`crate::access::pup_access_plan_impact`] says who gains and who loses
//! the ability to change photos under a plan, without reading the policy again.

use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};

use photo_policy_core::client::{CallContext, PlannedChange, PlannedReset};
use photo_policy_core::plan::{ChangeRequest, Plan, ResetOptions};

use crate::client::{client_ref, complete_scoped, run_scoped, PupClient};
use crate::context::PupCallContext;
use crate::error::{Failure, PupError};
use crate::json::parse_optional_json;
use crate::panic::{call, guard};
use crate::result::PupResult;
use crate::status::PupStatus;
use crate::strings::{out_arg, str_arg, write_borrowed};

/// Flag of [`pup_policy_plan_apply`]: read the policy again and plan the same change anew before
/// writing (for a plan that waited for a person's answer: the policy may have changed meanwhile).
pub const PUP_APPLY_REREAD: u32 = 1;

/// Every flag [`pup_policy_plan_apply`] knows.
const KNOWN_APPLY_FLAGS: u32 = PUP_APPLY_REREAD;

/// A change (or a reset) planned against the policy as read. Created by
/// [`pup_policy_plan_begin`] or [`pup_policy_reset_begin`], read with [`pup_plan_json`], applied
/// at most once with [`pup_policy_plan_apply`], freed with [`pup_plan_free`]. Immutable apart
/// from being marked applied, so it may be read from any thread.
pub struct PupPlan {
    /// The client that made it (compared, never dereferenced): a plan is used with it only.
    client: usize,
    planned: Planned,
    /// The Plan JSON, built once so `pup_plan_json` can lend it.
    json: String,
    applied: AtomicBool,
}

/// What a plan writes when applied.
pub(crate) enum Planned {
    Change(PlannedChange),
    Reset(PlannedReset),
}

impl PupPlan {
    /// Wraps a plan made with `client` into a handle the caller owns.
    pub(crate) fn into_raw(
        client: *const PupClient,
        planned: Planned,
    ) -> Result<*mut PupPlan, Failure> {
        let plan = match &planned {
            Planned::Change(c) => c.plan(),
            Planned::Reset(r) => r.plan(),
        };
        let json = PupResult::from_serialize(plan)?.into_json();
        Ok(Box::into_raw(Box::new(PupPlan {
            client: client as usize,
            planned,
            json,
            applied: AtomicBool::new(false),
        })))
    }

    /// The plan: before, after, each changed property.
    pub(crate) fn plan(&self) -> &Plan {
        match &self.planned {
            Planned::Change(c) => c.plan(),
            Planned::Reset(r) => r.plan(),
        }
    }

    /// The planned change; `None` for a reset plan.
    pub(crate) fn change(&self) -> Option<&PlannedChange> {
        match &self.planned {
            Planned::Change(c) => Some(c),
            Planned::Reset(_) => None,
        }
    }

    /// Marks the plan applied: a plan is applied at most once, so a second claim (also after a
    /// failed first apply) is `PUP_STATUS_INVALID_ARGUMENT`.
    pub(crate) fn claim(&self) -> Result<(), Failure> {
        if self.applied.swap(true, Ordering::AcqRel) {
            return Err(invalid(
                "The plan was already applied: begin a new plan to change the policy again."
                    .to_string(),
            ));
        }
        Ok(())
    }
}

/// Borrows the plan behind `plan` for use with `client`: `PUP_STATUS_NULL_ARGUMENT` for NULL,
/// `PUP_STATUS_INVALID_ARGUMENT` when another client made it (a plan belongs to one tenant).
///
/// # Safety
/// `plan` is NULL or a live plan handle.
pub(crate) unsafe fn plan_for<'a>(
    client: *const PupClient,
    plan: *const PupPlan,
) -> Result<&'a PupPlan, Failure> {
    // SAFETY: caller's contract.
    let plan = unsafe { plan.as_ref() }.ok_or_else(|| Box::new(PupError::null_argument("plan")))?;
    if plan.client != client as usize {
        return Err(invalid(
            "The plan was made with another client: use it with the client that began it."
                .to_string(),
        ));
    }
    Ok(plan)
}

/// The shared body of the `*_begin` exports (after their argument checks): runs the future `begin`
/// makes from the call context (the core's read and plan) as [`complete_scoped`] does, then
/// writes the new plan handle.
///
/// # Safety
/// `ctx` is NULL or a live context; `out_plan` was checked non-NULL and is writable; `client` is
/// the live client handle the future's client was borrowed from.
unsafe fn begin<F>(
    client: *const PupClient,
    ctx: *const PupCallContext,
    out_plan: *mut *mut PupPlan,
    begin: impl FnOnce(CallContext) -> F,
) -> Result<(), Failure>
where
    F: std::future::Future<Output = photo_policy_core::Result<Planned>>,
{
    // SAFETY: caller's contract.
    let planned = unsafe { complete_scoped(ctx, false, begin) }?;
    let raw = PupPlan::into_raw(client, planned)?;
    // SAFETY: checked non-NULL above; writable per contract.
    unsafe { *out_plan = raw };
    Ok(())
}

/// Reads the `flags` of the plan apply exports: whether [`PUP_APPLY_REREAD`] is set; an unknown
/// flag is `PUP_STATUS_INVALID_ARGUMENT` naming the value.
pub(crate) fn reread_flag(flags: u32) -> Result<bool, Failure> {
    if flags & !KNOWN_APPLY_FLAGS != 0 {
        return Err(invalid(format!(
            "The argument 'flags' is {flags:#x}; the known flags are PUP_APPLY_REREAD (1)."
        )));
    }
    Ok(flags & PUP_APPLY_REREAD != 0)
}

/// Resolves the change request JSON (docs/c-abi.md; role names, aliases and IDs included: a bad
/// value fails here, before anything is sent), reads the policy once and plans the change
/// against it. Nothing is written. Blocking; `ctx` may be NULL.
///
/// On success `*out_plan` holds the plan: read its Plan JSON (as `pup_policy_plan`
/// returns) with [`pup_plan_json`], apply it with [`pup_policy_plan_apply`], free it with
/// [`pup_plan_free`]. On failure `*out_error` (when not NULL) holds the details; free with
/// `pup_error_free`.
///
/// # Safety
/// `client` is a live client handle; `(change_json, change_len)` is NULL with length 0 or points
/// to `change_len` readable bytes; `ctx` is NULL or a live context; `out_plan` is writable;
/// `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_policy_plan_begin(
    client: *const PupClient,
    change_json: *const u8,
    change_len: usize,
    ctx: *const PupCallContext,
    out_plan: *mut *mut PupPlan,
    out_error: *mut *mut PupError,
) -> PupStatus {
    call(out_error, || {
        // SAFETY: caller's contract.
        let policy_client = unsafe { client_ref(client) }?;
        // SAFETY: caller's contract.
        let text = unsafe { str_arg("change_json", change_json, change_len) }?;
        out_arg("out_plan", out_plan)?;
        let change = ChangeRequest::from_json(text)?;
        // SAFETY: caller's contract; `client` is the handle `policy_client` came from.
        unsafe {
            begin(client, ctx, out_plan, |context| async move {
                let planned = policy_client.begin_change(&change, &context).await?;
                Ok(Planned::Change(planned))
            })
        }
    })
}

/// Reads the policy once and plans a reset to the default against it (the Plan JSON shows what
/// the reset changes; `hasChanges` false: already the default). Nothing is written.
/// `(options_json, options_len)` is NULL,0 or the options of `pup_policy_reset`
/// (`{"backupPath":"<file or folder>"}`: the policy is saved there before the write). Blocking;
/// `ctx` may be NULL.
///
/// On success `*out_plan` holds the plan: read it with [`pup_plan_json`], write it with
/// [`pup_policy_plan_apply`] (which answers the Reset JSON of `pup_policy_reset`: the write and
/// the read-back that verifies it, without reading the policy again first unless
/// [`PUP_APPLY_REREAD`]), free it with [`pup_plan_free`]. On failure `*out_error` (when not NULL)
/// holds the details; free with `pup_error_free`.
///
/// # Safety
/// `client` is a live client handle; `(options_json, options_len)` is NULL with length 0 or
/// points to `options_len` readable bytes; `ctx` is NULL or a live context; `out_plan` is
/// writable; `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_policy_reset_begin(
    client: *const PupClient,
    options_json: *const u8,
    options_len: usize,
    ctx: *const PupCallContext,
    out_plan: *mut *mut PupPlan,
    out_error: *mut *mut PupError,
) -> PupStatus {
    call(out_error, || {
        // SAFETY: caller's contract.
        let policy_client = unsafe { client_ref(client) }?;
        // SAFETY: caller's contract.
        let text = unsafe { str_arg("options_json", options_json, options_len) }?;
        out_arg("out_plan", out_plan)?;
        let options: ResetOptions = parse_optional_json("options_json", "reset options", text)?;
        // SAFETY: caller's contract; `client` is the handle `policy_client` came from.
        unsafe {
            begin(client, ctx, out_plan, |context| async move {
                let planned = policy_client.begin_reset(&options, &context).await?;
                Ok(Planned::Reset(planned))
            })
        }
    })
}

/// Lends the plan's Plan JSON (`before`, `after`, `changes`, `patchBody`, `hasChanges`,
/// `description`, `warnings`; docs/c-abi.md). Borrowed: valid until `plan` is freed.
/// `PUP_STATUS_NULL_ARGUMENT` (nothing written) when any pointer is NULL.
///
/// # Safety
/// `plan` is NULL or a live plan handle; `out_ptr`/`out_len` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_plan_json(
    plan: *const PupPlan,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> PupStatus {
    guard(ptr::null_mut(), || {
        // SAFETY: caller's contract.
        match unsafe { plan.as_ref() } {
            // SAFETY: out pointers checked inside; the text lives as long as the handle.
            Some(p) => unsafe { write_borrowed(Some(&p.json), out_ptr, out_len) },
            None => PupStatus::NullArgument,
        }
    })
}

/// Writes a plan made by [`pup_policy_plan_begin`] with the same `client`: the minimal PATCH of
/// its plan (nothing when it changes nothing), without reading the policy again, unless `flags`
/// holds [`PUP_APPLY_REREAD`]. Returns the Apply JSON, as `pup_policy_apply` does
/// (`requests` counts the plan's read too). A plan made by [`pup_policy_reset_begin`] is written
/// as `pup_policy_reset` writes (PATCH, DELETE as the fallback, the read-back that verifies it)
/// and returns the Reset JSON; `PUP_STATUS_RESET_NOT_VERIFIED` when the read-back disagrees. Changes take up to 24 hours to take effect across
/// Microsoft 365. Blocking; `ctx` may be NULL.
///
/// A plan is applied at most once: a second call (also after a failed first one) is
/// `PUP_STATUS_INVALID_ARGUMENT`; begin a new plan to try again. Another client than the one that
/// made the plan, or an unknown flag, is `PUP_STATUS_INVALID_ARGUMENT` too, and nothing is sent.
/// The plan stays the caller's to free.
///
/// Ownership of outputs as for `pup_policy_get`.
///
/// # Safety
/// `client` is a live client handle; `plan` is a live plan handle; `ctx` is NULL or a live
/// context; `out_result` is writable; `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_policy_plan_apply(
    client: *const PupClient,
    plan: *const PupPlan,
    flags: u32,
    ctx: *const PupCallContext,
    out_result: *mut *mut PupResult,
    out_error: *mut *mut PupError,
) -> PupStatus {
    call(out_error, || {
        // SAFETY: caller's contract.
        let policy_client = unsafe { client_ref(client) }?;
        // SAFETY: caller's contract.
        let plan = unsafe { plan_for(client, plan) }?;
        out_arg("out_result", out_result)?;
        let reread = reread_flag(flags)?;
        plan.claim()?;
        // SAFETY: caller's contract; `out_result` checked non-NULL above.
        unsafe {
            match &plan.planned {
                Planned::Change(c) => run_scoped(ctx, true, out_result, |context| async move {
                    policy_client.apply_planned(c, reread, &context).await
                }),
                Planned::Reset(r) => run_scoped(ctx, true, out_result, |context| async move {
                    policy_client.apply_reset(r, reread, &context).await
                }),
            }
        }
    })
}

/// Frees a plan. NULL is accepted and ignored.
///
/// # Safety
/// `plan` is NULL or a plan handle not yet freed, used by no call any more; it must not be used
/// afterwards.
#[no_mangle]
pub unsafe extern "C" fn pup_plan_free(plan: *mut PupPlan) {
    guard(ptr::null_mut(), || {
        if !plan.is_null() {
            // SAFETY: came from Box::into_raw in `pup_policy_plan_begin` (caller's contract).
            drop(unsafe { Box::from_raw(plan) });
        }
    })
}

pub(crate) fn invalid(message: String) -> Failure {
    Box::new(PupError::new(PupStatus::InvalidArgument, message))
}
