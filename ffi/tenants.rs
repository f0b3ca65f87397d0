//! What the exports over many tenants share (`pup_fleet_run`, `pup_fleet_plan_begin`,
//! `pup_fleet_plan_apply`, `pup_access_get`): the array of client handles, each tenant's entry
//! with its error in the shape of `pup_error_json`, running the call with a result event per
//! tenant.

use std::future::Future;

use photo_policy_core::client::{CallContext, PolicyClient};
use photo_policy_core::events::{Event, EventLevel, Events};
use photo_policy_core::fleet::{FleetReport, TenantResult};
use photo_policy_core::Error;
use serde::Serialize;
use serde_json::Value;

use crate::client::{client_ref, complete_scoped, PupClient};
use crate::context::PupCallContext;
use crate::error::{pup_error_json, Failure, PupError};
use crate::result::PupResult;
use crate::status::PupStatus;

/// The most clients one call over many tenants accepts (a guard against a wrong count from the
/// caller).
pub const PUP_MAX_FLEET_CLIENTS: usize = 100_000;

/// Borrows the clients of `clients[0..count]`: a NULL array is `PUP_STATUS_NULL_ARGUMENT`
/// naming `clients`, a count of 0 or above [`PUP_MAX_FLEET_CLIENTS`] `PUP_STATUS_INVALID_ARGUMENT`,
/// a NULL entry `PUP_STATUS_NULL_ARGUMENT` naming `clients[i]`.
///
/// # Safety
/// `clients` is NULL or points to `count` readable pointers, each NULL or a live client handle
/// that stays valid while the borrows are used.
pub(crate) unsafe fn clients_arg<'a>(
    clients: *const *const PupClient,
    count: usize,
) -> Result<Vec<&'a PolicyClient>, Failure> {
    if clients.is_null() {
        return Err(Box::new(PupError::null_argument("clients")));
    }
    if count == 0 || count > PUP_MAX_FLEET_CLIENTS {
        return Err(Box::new(PupError::new(
            PupStatus::InvalidArgument,
            format!("client_count is {count}; give 1 to {PUP_MAX_FLEET_CLIENTS} client handles."),
        )));
    }
    // SAFETY: non-NULL, `count` readable pointers (caller's contract).
    let handles = unsafe { std::slice::from_raw_parts(clients, count) };
    handles
        .iter()
        .enumerate()
        .map(|(i, handle)| {
            // SAFETY: each is NULL or a live handle (caller's contract).
            unsafe { client_ref(*handle) }
                .map_err(|_| Box::new(PupError::null_argument(&format!("clients[{i}]"))))
        })
        .collect()
}

/// `entry` as JSON, its `error` written as `pup_error_json` writes errors (null when none): one
/// error shape across the ABI.
pub(crate) fn entry_json(entry: &impl Serialize, error: Option<&Error>) -> Result<Value, Failure> {
    let mut value = serde_json::to_value(entry).map_err(unwritable)?;
    value["error"] = match error {
        Some(e) => error_json(PupError::from(e.clone()))?,
        None => Value::Null,
    };
    Ok(value)
}

/// A fleet report as the result of the call: each tenant's entry as [`entry_json`] writes it.
pub(crate) fn report_result(report: &FleetReport) -> Result<PupResult, Failure> {
    let mut value = serde_json::to_value(report).map_err(unwritable)?;
    if let Some(entries) = value.get_mut("results").and_then(Value::as_array_mut) {
        for (entry, tenant) in entries.iter_mut().zip(&report.results) {
            *entry = entry_json(tenant, tenant.error.as_ref())?;
        }
    }
    PupResult::from_serialize(&value)
}

/// What a call over many tenants calls with each tenant's result as soon as the tenant is done.
pub(crate) type OnTenantDone = Box<dyn Fn(&TenantResult) + Sync>;

/// The shared middle of `pup_fleet_run`, `pup_fleet_plan_begin` and `pup_fleet_plan_apply`, after
/// their argument checks: runs the operation over many tenants as [`complete_scoped`] runs one,
/// handing it, with the call context, the callback that sends each tenant's entry as a result
/// event (level 6) as soon as the tenant is done, in the same shape as in the final result, so a
/// caller loses none when it stops early. Returns the operation's value once the call scope is
/// closed.
///
/// # Safety
/// `ctx` is NULL or a live context handle.
pub(crate) unsafe fn complete_reporting<T, F>(
    ctx: *const PupCallContext,
    may_have_written: bool,
    operation: impl FnOnce(CallContext, OnTenantDone) -> F,
) -> Result<T, Failure>
where
    F: Future<Output = photo_policy_core::Result<T>>,
{
    // SAFETY: caller's contract.
    unsafe {
        complete_scoped(ctx, may_have_written, |context| {
            let on_done = result_events(context.events.clone());
            operation(context, on_done)
        })
    }
}

/// Sends each tenant's entry as a result event (see [`complete_reporting`]).
fn result_events(events: Events) -> OnTenantDone {
    Box::new(move |tenant: &TenantResult| {
        if let Ok(entry) = entry_json(tenant, tenant.error.as_ref()) {
            events.emit(Event {
                level: EventLevel::Result,
                message: entry.to_string(),
            });
        }
    })
}

/// The JSON form `pup_error_json` lends, as a value.
fn error_json(error: PupError) -> Result<Value, Failure> {
    let mut ptr: *const u8 = std::ptr::null();
    let mut len = 0usize;
    // SAFETY: `error` is a live local; the out pointers are locals.
    let status = unsafe { pup_error_json(&error, &mut ptr, &mut len) };
    if status != PupStatus::Ok || ptr.is_null() {
        return Err(Box::new(PupError::new(
            PupStatus::Internal,
            "internal error: a tenant's error could not be written as JSON".to_string(),
        )));
    }
    // SAFETY: borrowed from `error`, which outlives this read.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    serde_json::from_slice(bytes).map_err(unwritable)
}

fn unwritable(e: serde_json::Error) -> Failure {
    Box::new(PupError::new(
        PupStatus::Internal,
        format!("internal error: a tenant's result could not be written as JSON: {e}"),
    ))
}
