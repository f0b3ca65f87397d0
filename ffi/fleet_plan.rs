//! Confirmed fleet applies: plan one desired state against many tenants, ask about each tenant
//! that differs, then write the confirmed plans. Each tenant is read once (unless the caller
//! asks for a re-read after a person answered prompts), so a confirmed change costs one GET and
//! one PATCH per tenant, as for one tenant (`ffi/plan.rs`):
//!
//! ```c
//! PupPlan *plans[n];
//! pup_fleet_plan_begin(clients, n, request, len, ctx, plans, &report, &err);  /* GET each */
//! /* ask about each tenant the report shows drifted; keep the confirmed clients and plans */
//! pup_fleet_plan_apply(confirmed_clients, confirmed_plans, m, 0, request, len, ctx, &result, &err);
//! /* pup_plan_free each plan */
//! ```

use photo_policy_core::fleet::{self, FleetOperation, FleetRequest};

use crate::client::{call_context, complete, PupClient};
use crate::context::{CallScope, PupCallContext};
use crate::error::{Failure, PupError};
use crate::panic::call;
use crate::plan::{invalid, plan_for, Planned, PupPlan, PUP_APPLY_REREAD};
use crate::result::{deliver_result, PupResult};
use crate::status::PupStatus;
use crate::strings::{out_arg, str_arg};
use crate::tenants::{clients_arg, report_result, result_events};

/// Reads each tenant of `clients[0..client_count]` once and plans the desired state of the
/// request against it; nothing is written. Request: the `pup_fleet_run` request with
/// `"operation":"apply"` (what is planned) and no `backupFolder` (that is given to
/// [`pup_fleet_plan_apply`]). Runs as `pup_fleet_run` does (concurrency, `stopOnFailure`, a
/// result event per tenant, stop and cancel on `ctx`).
///
/// On success `out_plans[i]` holds the plan of tenant `i` (a `PupPlan` of `clients[i]`, as
/// `pup_policy_plan_begin` makes: read with `pup_plan_json`, show its impact with
/// `pup_access_plan_impact`, free with `pup_plan_free`), or NULL when the tenant failed or was
/// not started; `*out_result` holds the report of a `pup_fleet_run` test (`compliant`,
/// `drifted`, `failed`, `notStarted`, with the differences). On failure nothing is written to
/// `out_plans` or `out_result`, and `*out_error` (when not NULL) holds the details.
///
/// # Safety
/// As for `pup_fleet_run`; `out_plans` is writable for `client_count` pointers.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // The ABI's order: inputs, the context, then the outputs.
pub unsafe extern "C" fn pup_fleet_plan_begin(
    clients: *const *const PupClient,
    client_count: usize,
    request_json: *const u8,
    request_len: usize,
    ctx: *const PupCallContext,
    out_plans: *mut *mut PupPlan,
    out_result: *mut *mut PupResult,
    out_error: *mut *mut PupError,
) -> PupStatus {
    call(out_error, || {
        // SAFETY: caller's contract.
        let borrowed = unsafe { clients_arg(clients, client_count) }?;
        // SAFETY: caller's contract.
        let text = unsafe { str_arg("request_json", request_json, request_len) }?;
        out_arg("out_plans", out_plans)?;
        out_arg("out_result", out_result)?;
        let request = apply_request(text)?;
        if request.backup_folder.is_some() {
            return Err(invalid(
                "backupFolder is given to pup_fleet_plan_apply, which writes the backups; \
                 planning writes nothing."
                    .to_string(),
            ));
        }
        // SAFETY: caller's contract.
        let scope = unsafe { CallScope::new(ctx) };
        let context = call_context(&scope);
        let on_done = result_events(scope.events.clone());
        let planned = complete(
            &scope,
            false,
            fleet::plan_reporting(&borrowed, &request, &context, &on_done),
        )?;
        drop(scope);
        let result = report_result(&planned.report)?;
        let mut plans = Vec::with_capacity(client_count);
        for (i, plan) in planned.planned.into_iter().enumerate() {
            // SAFETY: `clients` has `client_count` readable entries (checked above).
            let client = unsafe { *clients.add(i) };
            plans.push(match plan {
                Some(p) => PupPlan::into_raw(client, Planned::Change(p))?,
                None => std::ptr::null_mut(),
            });
        }
        // SAFETY: checked non-NULL above; writable for `client_count` pointers per contract.
        unsafe { std::ptr::copy_nonoverlapping(plans.as_ptr(), out_plans, plans.len()) };
        // SAFETY: checked non-NULL above.
        unsafe { deliver_result(out_result, result) };
        Ok(())
    })
}

/// Writes `plans[i]` (made by [`pup_fleet_plan_begin`] or `pup_policy_plan_begin` with
/// `clients[i]`) for every `i` below `count`, concurrently as an apply run of `pup_fleet_run`:
/// each tenant's minimal PATCH without reading the policy again, unless `flags` holds
/// `PUP_APPLY_REREAD` (the caller asked a person about each tenant: each policy is read again
/// and the change planned anew first). Request: the `pup_fleet_run` request with
/// `"operation":"apply"` (its `desired` names each tenant's differences in the result,
/// `backupFolder` is where each tenant's policy is saved before its write). Result: the report
/// of a `pup_fleet_run` apply, with result events as each tenant finishes.
///
/// Every plan is checked before anything is sent: a NULL entry is `PUP_STATUS_NULL_ARGUMENT`
/// naming `plans[i]`; a plan made with another client, a reset plan, an unknown flag or a plan
/// already applied is `PUP_STATUS_INVALID_ARGUMENT`. A plan is applied at most once; the plans
/// stay the caller's to free.
///
/// # Safety
/// `clients` and `plans` each point to `count` readable pointers (live client handles and live
/// plan handles); the JSON pair is NULL with length 0 or points to `request_len` readable bytes;
/// `ctx` is NULL or a live context; `out_result` is writable; `out_error` is NULL or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // The ABI's order: inputs, the context, then the outputs.
pub unsafe extern "C" fn pup_fleet_plan_apply(
    clients: *const *const PupClient,
    plans: *const *const PupPlan,
    count: usize,
    flags: u32,
    request_json: *const u8,
    request_len: usize,
    ctx: *const PupCallContext,
    out_result: *mut *mut PupResult,
    out_error: *mut *mut PupError,
) -> PupStatus {
    call(out_error, || {
        // SAFETY: caller's contract.
        let borrowed = unsafe { clients_arg(clients, count) }?;
        if plans.is_null() {
            return Err(Box::new(PupError::null_argument("plans")));
        }
        // SAFETY: caller's contract.
        let text = unsafe { str_arg("request_json", request_json, request_len) }?;
        out_arg("out_result", out_result)?;
        if flags & !PUP_APPLY_REREAD != 0 {
            return Err(invalid(format!(
                "The argument 'flags' is {flags:#x}; the known flags are PUP_APPLY_REREAD (1)."
            )));
        }
        let request = apply_request(text)?;
        let mut held: Vec<&PupPlan> = Vec::with_capacity(count);
        let mut changes = Vec::with_capacity(count);
        for i in 0..count {
            // SAFETY: `count` readable entries each (caller's contract).
            let (client, plan) = unsafe { (*clients.add(i), *plans.add(i)) };
            if plan.is_null() {
                return Err(Box::new(PupError::null_argument(&format!("plans[{i}]"))));
            }
            // SAFETY: a live plan handle (caller's contract).
            let plan = unsafe { plan_for(client, plan) }?;
            let change = plan.change().ok_or_else(|| {
                invalid(format!(
                    "plans[{i}] is a reset plan: apply it with pup_policy_plan_apply."
                ))
            })?;
            held.push(plan);
            changes.push(change);
        }
        for plan in &held {
            plan.claim()?;
        }
        let reread = flags & PUP_APPLY_REREAD != 0;
        // SAFETY: caller's contract.
        let scope = unsafe { CallScope::new(ctx) };
        let context = call_context(&scope);
        let on_done = result_events(scope.events.clone());
        let report = complete(
            &scope,
            true,
            fleet::apply_plans_reporting(&borrowed, &changes, &request, reread, &context, &on_done),
        )?;
        drop(scope);
        let result = report_result(&report)?;
        // SAFETY: checked non-NULL above.
        unsafe { deliver_result(out_result, result) };
        Ok(())
    })
}

/// The fleet request of a confirmed apply: operation `apply`, anything else refused.
fn apply_request(text: &str) -> Result<FleetRequest, Failure> {
    let request = FleetRequest::from_json(text)?;
    if request.operation != FleetOperation::Apply {
        return Err(Box::new(PupError::new(
            PupStatus::InvalidArgument,
            "The request's operation is 'test'; a fleet plan plans an apply: give \
             \"operation\":\"apply\"."
                .to_string(),
        )));
    }
    Ok(request)
}
