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

use crate::client::PupClient;
use crate::context::PupCallContext;
use crate::error::{Failure, PupError};
use crate::panic::call;
use crate::plan::{invalid, plan_for, reread_flag, Planned, PupPlan};
use crate::result::{deliver_result, PupResult};
use crate::status::PupStatus;
use crate::strings::{out_arg, str_arg};
use crate::tenants::{clients_arg, complete_reporting, report_result};

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
        let planned = unsafe {
            complete_reporting(ctx, false, |context, on_done| async move {
                fleet::plan_reporting(&borrowed, &request, &context, &on_done).await
            })
        }?;
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
        let reread = reread_flag(flags)?;
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
        // SAFETY: caller's contract.
        let report = unsafe {
            complete_reporting(ctx, true, |context, on_done| async move {
                fleet::apply_plans_reporting(
                    &borrowed, &changes, &request, reread, &context, &on_done,
                )
                .await
            })
        }?;
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

#[cfg(test)]
mod tests {
    use std::ptr;

    use graph_emulator::{Emulator, Profile};
    use serde_json::json;

    use super::*;
    use crate::client::pup_client_free;
    use crate::error::{pup_error_free, pup_error_message};
    use crate::plan::{pup_plan_free, pup_policy_reset_begin};
    use crate::test_support::{app_client, result_json};

    const WRITE: &[&str] = &["PeopleSettings.ReadWrite.All"];

    fn methods(emu: &Emulator) -> Vec<String> {
        emu.requests()
            .into_iter()
            .filter(|r| r.route == "graph")
            .map(|r| r.method)
            .collect()
    }

    #[test]
    fn fleet_plans_read_each_tenant_once_and_apply_each_plan_once() {
        let emu = Emulator::start_blocking(Profile::default());
        let t = [
            "a3000000-0000-4000-8000-000000000001",
            "a3000000-0000-4000-8000-000000000002",
        ];
        let clients = [
            app_client(&emu, t[0], WRITE, false),
            app_client(&emu, t[1], WRITE, true),
        ];
        let handles: Vec<*const PupClient> = clients.iter().map(|c| *c as *const _).collect();
        let request = json!({"operation": "apply", "concurrency": 2,
            "desired": {"schemaVersion": 1, "source": "cloud"}})
        .to_string();
        let mut plans = [ptr::null_mut::<PupPlan>(); 2];
        let (mut result, mut error) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: valid handles, buffers and out pointers (two plan slots).
        let st = unsafe {
            pup_fleet_plan_begin(
                handles.as_ptr(),
                2,
                request.as_ptr(),
                request.len(),
                ptr::null(),
                plans.as_mut_ptr(),
                &mut result,
                &mut error,
            )
        };
        assert_eq!(st, PupStatus::Ok);
        let v = result_json(result);
        assert_eq!(v["results"][0]["status"], "drifted");
        assert_eq!(v["results"][1]["status"], "failed");
        assert_eq!(v["results"][1]["error"]["kind"], "Authentication");
        assert!(!plans[0].is_null());
        assert!(plans[1].is_null(), "a failed tenant has no plan");
        assert_eq!(methods(&emu), ["GET"]);

        // The confirmed tenant: its PATCH, without a second read.
        emu.clear_requests();
        let confirmed = [plans[0] as *const PupPlan];
        // SAFETY: one live client and its live plan.
        let st = unsafe {
            pup_fleet_plan_apply(
                handles.as_ptr(),
                confirmed.as_ptr(),
                1,
                0,
                request.as_ptr(),
                request.len(),
                ptr::null(),
                &mut result,
                &mut error,
            )
        };
        assert_eq!(st, PupStatus::Ok);
        let v = result_json(result);
        assert_eq!(v["operation"], "apply");
        assert_eq!(v["results"][0]["status"], "changed");
        assert_eq!(v["results"][0]["requests"], 2);
        assert_eq!(methods(&emu), ["PATCH"]);
        assert_eq!(emu.policy(t[0])["source"], "cloud");

        // Refusals, each before anything is sent.
        emu.clear_requests();
        let refused =
            |plans: &[*const PupPlan], flags: u32, request: &str| -> (PupStatus, String) {
                let (mut result, mut error) = (ptr::null_mut(), ptr::null_mut());
                // SAFETY: live handles; a NULL entry is what some cases test.
                let st = unsafe {
                    pup_fleet_plan_apply(
                        handles.as_ptr(),
                        plans.as_ptr(),
                        plans.len(),
                        flags,
                        request.as_ptr(),
                        request.len(),
                        ptr::null(),
                        &mut result,
                        &mut error,
                    )
                };
                let (mut p, mut l) = (ptr::null(), 0usize);
                // SAFETY: a live error; out pointers are locals; the text is copied before the free.
                let message = unsafe {
                    assert_eq!(pup_error_message(error, &mut p, &mut l), PupStatus::Ok);
                    let text =
                        String::from_utf8_lossy(std::slice::from_raw_parts(p, l)).into_owned();
                    pup_error_free(error);
                    text
                };
                (st, message)
            };
        let (st, m) = refused(&confirmed, 0, &request);
        assert_eq!(st, PupStatus::InvalidArgument);
        assert!(m.contains("already applied"), "{m}");
        let (st, m) = refused(&[confirmed[0], ptr::null()], 0, &request);
        assert_eq!(st, PupStatus::NullArgument);
        assert!(m.contains("plans[1]"), "{m}");
        let (st, m) = refused(&confirmed, 0x80, &request);
        assert_eq!(st, PupStatus::InvalidArgument);
        assert!(m.contains("flags"), "{m}");
        let test = request.replace("\"apply\"", "\"test\"");
        let (st, m) = refused(&confirmed, 0, &test);
        assert_eq!(st, PupStatus::InvalidArgument);
        assert!(m.contains("operation"), "{m}");
        let mut reset = ptr::null_mut();
        // SAFETY: live client; NULL,0 options.
        let st = unsafe {
            pup_policy_reset_begin(
                clients[0],
                ptr::null(),
                0,
                ptr::null(),
                &mut reset,
                &mut error,
            )
        };
        assert_eq!(st, PupStatus::Ok);
        let (st, m) = refused(&[reset as *const PupPlan], 0, &request);
        assert_eq!(st, PupStatus::InvalidArgument);
        assert!(m.contains("reset plan"), "{m}");
        // The reset plan's read only; no write was sent by any refusal.
        assert_eq!(methods(&emu), ["GET"]);

        // SAFETY: each freed once.
        unsafe {
            pup_plan_free(reset);
            pup_plan_free(plans[0]);
            for c in clients {
                pup_client_free(c);
            }
        }
    }
}
