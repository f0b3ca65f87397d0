//! Fleet runs: one desired state tested against, or applied to, many tenants at once.
//!
//! Each tenant has its own [`PolicyClient`] (its own credentials, token cache and retry budget),
//! so a throttled tenant waits on its own `Retry-After` without holding up the others beyond its
//! concurrency slot. At most `concurrency` tenants are in flight (`buffer_unordered` over one
//! stream: no task per tenant, so memory stays flat with the fleet's size). A tenant's failure
//! is recorded in its result and never stops the others; cancelling the call context stops all.
//! A progress event is emitted as each tenant finishes.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::client::{CallContext, PlannedChange, PolicyClient};
use crate::document::PolicyDocument;
use crate::drift::{self, Difference};
use crate::error::{Error, ErrorKind, Result};
use crate::events::{self, Event, EventLevel, EventSink, Events};
use crate::model::PolicyView;
use crate::plan::{ApplyOutcome, PropertyChange};

/// Concurrency when the request does not say.
pub const DEFAULT_CONCURRENCY: usize = 10;

/// The largest concurrency accepted (a guard against typos such as 10000).
pub const MAX_CONCURRENCY: usize = 1024;

/// What a fleet run does to each tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FleetOperation {
    /// Read each tenant and compare it with the desired state; nothing is written.
    Test,
    /// Bring each tenant to the desired state (no write where it already matches).
    Apply,
}

/// The fleet request JSON (`pup_fleet_run`):
/// `{"operation":"test"|"apply","desired":{…document…},"concurrency":n,"backupFolder":"…"}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FleetRequestJson {
    /// Test or apply.
    pub operation: FleetOperation,
    /// The desired state, a policy document (see [`crate::document`]).
    pub desired: Value,
    /// Tenants in flight at once (1 to [`MAX_CONCURRENCY`], default [`DEFAULT_CONCURRENCY`]).
    #[serde(default)]
    pub concurrency: Option<usize>,
    /// Apply only: a folder where each tenant's policy is saved before it is changed. With a
    /// single tenant it may also name a file (as `backupPath` of a change request).
    #[serde(default)]
    pub backup_folder: Option<String>,
    /// After the first failed tenant, start no more (the ones in flight finish; the rest are
    /// reported as not started). PowerShell sets it for `-ErrorAction Stop`. Default false: a
    /// tenant's failure never stops the others.
    #[serde(default)]
    pub stop_on_failure: bool,
}

/// A validated fleet request.
#[derive(Debug, Clone)]
pub struct FleetRequest {
    /// Test or apply.
    pub operation: FleetOperation,
    /// The desired state.
    pub desired: PolicyDocument,
    /// Tenants in flight at once.
    pub concurrency: usize,
    /// Apply only: where backups go (a folder).
    pub backup_folder: Option<String>,
    /// Start no more tenants after the first failure.
    pub stop_on_failure: bool,
}

impl FleetRequest {
    /// Parses and validates the request JSON: shape errors → [`ErrorKind::InvalidJson`], a bad
    /// document or concurrency → the document's errors / [`ErrorKind::InvalidArgument`].
    pub fn from_json(text: &str) -> Result<FleetRequest> {
        let checked = crate::json_input::check_object(text).map_err(|e| e.to_string());
        let raw: FleetRequestJson = checked
            .and_then(|()| serde_json::from_str(text).map_err(|e| e.to_string()))
            .map_err(|e| {
                Error::new(
                    ErrorKind::InvalidJson,
                    format!(
                        "The fleet request is not valid: {e}. Expected fields: operation (test or \
                     apply), desired, concurrency, backupFolder, stopOnFailure."
                    ),
                )
            })?;
        let concurrency = raw.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
        if concurrency == 0 || concurrency > MAX_CONCURRENCY {
            return Err(Error::invalid_argument(format!(
                "Invalid concurrency {concurrency}: give 1 to {MAX_CONCURRENCY} tenants at a time."
            ))
            .with_target("concurrency"));
        }
        if raw.backup_folder.is_some() && raw.operation == FleetOperation::Test {
            return Err(Error::invalid_argument(
                "backupFolder applies only to operation 'apply': a test writes nothing.",
            )
            .with_target("backupFolder"));
        }
        Ok(FleetRequest {
            operation: raw.operation,
            desired: PolicyDocument::from_json(&raw.desired)?,
            concurrency,
            backup_folder: raw.backup_folder,
            stop_on_failure: raw.stop_on_failure,
        })
    }
}

/// How one tenant came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum TenantStatus {
    /// Test: the tenant matches.
    Compliant,
    /// Test: the tenant differs.
    Drifted,
    /// Apply: the tenant already matched; nothing was written.
    Unchanged,
    /// Apply: the tenant was changed.
    Changed,
    /// The tenant could not be read or changed; see `error`.
    Failed,
    /// The run was stopped before this tenant started (the caller asked to stop, or
    /// `stopOnFailure` after a failure): nothing was read or written.
    NotStarted,
}

/// One tenant's result.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantResult {
    /// Position of the tenant's client in the request (lets callers match their own labels).
    pub index: usize,
    /// The tenant (client config, else the token's tenant); `None` when unknown.
    pub tenant_id: Option<String>,
    /// The outcome.
    pub status: TenantStatus,
    /// How the tenant differed (test: now; apply: before the change).
    pub differences: Vec<Difference>,
    /// Apply: what was written (empty when unchanged).
    pub changes: Vec<PropertyChange>,
    /// Apply: the change in words.
    pub description: Option<String>,
    /// The policy before (apply) — the same as `current` for a test.
    pub previous: Option<PolicyView>,
    /// The policy now (read back after a change).
    pub current: Option<PolicyView>,
    /// Apply: the backup written before the change.
    pub backup_path: Option<String>,
    /// Apply: what the write did (`Applied`, `NotApplied`, `Unknown`), as read back; `None`
    /// when nothing was written or the tenant failed before a write.
    pub outcome: Option<crate::error::WriteOutcome>,
    /// HTTP requests sent for this tenant, retries included (0 when unknown).
    pub requests: u32,
    /// Time spent on this tenant, milliseconds.
    pub elapsed_ms: u64,
    /// Why the tenant failed (the ffi layer writes it as the error JSON of docs/c-abi.md).
    #[serde(skip)]
    pub error: Option<Error>,
}

/// Counts over the whole run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetSummary {
    /// Tenants in the run.
    pub total: usize,
    /// Test: tenants that match.
    pub compliant: usize,
    /// Test: tenants that differ.
    pub drifted: usize,
    /// Apply: tenants already in the desired state.
    pub unchanged: usize,
    /// Apply: tenants changed.
    pub changed: usize,
    /// Tenants that failed.
    pub failed: usize,
    /// Tenants not started because the run was stopped.
    pub not_started: usize,
    /// Wall time of the run, milliseconds.
    pub elapsed_ms: u64,
    /// The concurrency used.
    pub concurrency: usize,
}

/// The result of a fleet run: one entry per tenant, in request order, and a summary.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetReport {
    /// What was done.
    pub operation: FleetOperation,
    /// One entry per client, in the order given.
    pub results: Vec<TenantResult>,
    /// Counts and elapsed time.
    pub summary: FleetSummary,
}

/// Runs `request` against every client (one per tenant). Fails as a whole only when cancelled;
/// every other failure is recorded in that tenant's result.
pub async fn run(
    clients: &[&PolicyClient],
    request: &FleetRequest,
    ctx: &CallContext,
) -> Result<FleetReport> {
    run_reporting(clients, request, ctx, &|_| {}).await
}

/// [`run`], calling `on_done` with each tenant's result as soon as the tenant is done (in the
/// order tenants finish; not-started tenants when the run stops), before the report is complete:
/// a caller writes each result right away and loses none when the run is stopped or cancelled.
///
/// `ctx.stop` (and, with `stop_on_failure`, the first failed tenant) stops the run from starting
/// more tenants: those in flight finish, the rest are reported as [`TenantStatus::NotStarted`].
pub async fn run_reporting(
    clients: &[&PolicyClient],
    request: &FleetRequest,
    ctx: &CallContext,
    on_done: &(dyn Fn(&TenantResult) + Sync),
) -> Result<FleetReport> {
    let single = clients.len() == 1;
    run_tenants(
        clients,
        request,
        request.operation,
        ctx,
        on_done,
        |index, client, tenant_ctx| async move {
            run_one(index, client, request, single, &tenant_ctx).await
        },
    )
    .await
}

/// What [`plan_reporting`] hands back: the report of the reads (a test's: each tenant compliant
/// or drifted, with its differences) and each tenant's planned change, in client order (`None`
/// for a tenant that failed or was not started).
#[derive(Debug)]
pub struct FleetPlan {
    /// One entry per tenant, as a test reports it.
    pub report: FleetReport,
    /// Each tenant's change planned against the policy as read, for [`apply_plans_reporting`].
    pub planned: Vec<Option<PlannedChange>>,
}

/// The first half of a confirmed fleet apply: reads each tenant once and plans the desired state
/// against what was read ([`PolicyClient::begin_change`]); nothing is written. The report is a
/// test's (compliant or drifted, with the differences), so the caller can ask about each tenant
/// that differs; [`apply_plans_reporting`] then writes the plans without reading again. Runs as
/// [`run_reporting`] does (concurrency, stop, `on_done`).
pub async fn plan_reporting(
    clients: &[&PolicyClient],
    request: &FleetRequest,
    ctx: &CallContext,
    on_done: &(dyn Fn(&TenantResult) + Sync),
) -> Result<FleetPlan> {
    let slots: Vec<Mutex<Option<PlannedChange>>> =
        clients.iter().map(|_| Mutex::new(None)).collect();
    let report = run_tenants(
        clients,
        request,
        FleetOperation::Test,
        ctx,
        on_done,
        |index, client, tenant_ctx| {
            let slot = &slots[index];
            async move {
                let (result, planned) = plan_one(index, client, request, &tenant_ctx).await;
                *slot.lock().unwrap_or_else(|p| p.into_inner()) = planned;
                result
            }
        },
    )
    .await?;
    let planned = slots
        .into_iter()
        .map(|s| s.into_inner().unwrap_or_else(|p| p.into_inner()))
        .collect();
    Ok(FleetPlan { report, planned })
}

/// The second half: writes each tenant's planned change (`plans[i]` with `clients[i]`, the client
/// that planned it) as an apply run does, without reading the policy again first unless
/// `reread` (the caller waited for a person to confirm each tenant). Backups go to
/// `request.backup_folder` (one file per tenant; a lone tenant may name its file). The report is
/// an apply's. `clients` and `plans` have the same length.
pub async fn apply_plans_reporting(
    clients: &[&PolicyClient],
    plans: &[&PlannedChange],
    request: &FleetRequest,
    reread: bool,
    ctx: &CallContext,
    on_done: &(dyn Fn(&TenantResult) + Sync),
) -> Result<FleetReport> {
    if plans.len() != clients.len() {
        return Err(Error::invalid_argument(format!(
            "{} plans for {} clients: give one plan per client.",
            plans.len(),
            clients.len()
        )));
    }
    let backup = backup_path(request, clients.len() == 1);
    run_tenants(
        clients,
        request,
        FleetOperation::Apply,
        ctx,
        on_done,
        |index, client, tenant_ctx| {
            let planned = plans[index].with_backup_path(backup.clone());
            async move {
                let started = Instant::now();
                let mut result = not_started(index, client);
                record_apply(
                    &mut result,
                    request,
                    client.apply_planned(&planned, reread, &tenant_ctx).await,
                );
                finish(result, started, &tenant_ctx)
            }
        },
    )
    .await
}

/// The loop every fleet run shares: `one` for each client, at most `request.concurrency` at a
/// time, each with its own call context (its events named after its tenant); progress and
/// `on_done` as each finishes; the summary at the end. See [`run_reporting`].
async fn run_tenants<'a, F, Fut>(
    clients: &'a [&'a PolicyClient],
    request: &FleetRequest,
    operation: FleetOperation,
    ctx: &CallContext,
    on_done: &(dyn Fn(&TenantResult) + Sync),
    one: F,
) -> Result<FleetReport>
where
    F: Fn(usize, &'a PolicyClient, CallContext) -> Fut,
    Fut: std::future::Future<Output = TenantResult>,
{
    let started = Instant::now();
    let total = clients.len();
    let seen_warnings = Arc::new(Mutex::new(HashSet::new()));
    let activity = match operation {
        FleetOperation::Test => "Testing the photo update policy",
        FleetOperation::Apply => "Applying the photo update policy",
    };
    progress(&ctx.events, activity, "Starting", 0, total);

    let mut results: Vec<Option<TenantResult>> = (0..total).map(|_| None).collect();
    let mut completed = 0usize;
    // Cancelled to start no more tenants: by the caller (ctx.stop, a parent) or after a failure.
    let stopping = ctx.stop.child_token();
    let mut finished = stream::iter(clients.iter().enumerate())
        .map(|(index, client)| {
            let stopping = stopping.clone();
            let tenant_ctx = CallContext {
                cancel: ctx.cancel.clone(),
                stop: ctx.stop.clone(),
                events: Arc::new(TenantEvents {
                    label: client
                        .config()
                        .tenant_id
                        .clone()
                        .unwrap_or_else(|| format!("tenant #{}", index + 1)),
                    inner: ctx.events.clone(),
                    seen_warnings: seen_warnings.clone(),
                }),
                limits: ctx.limits,
            };
            let work = one(index, client, tenant_ctx);
            // buffer_unordered polls a tenant's future first when a slot frees up: that is when
            // it starts, so the stop check belongs here rather than when the stream is built.
            async move {
                if stopping.is_cancelled() {
                    return not_started(index, client);
                }
                work.await
            }
        })
        .buffer_unordered(request.concurrency);

    loop {
        let next = tokio::select! {
            biased;
            _ = ctx.cancel.cancelled() => return Err(Error::cancelled()),
            n = finished.next() => n,
        };
        let Some(result) = next else { break };
        completed += 1;
        let label = result
            .tenant_id
            .clone()
            .unwrap_or_else(|| format!("tenant #{}", result.index + 1));
        progress(
            &ctx.events,
            activity,
            &format!("{label}: {}", status_word(result.status)),
            completed,
            total,
        );
        if request.stop_on_failure && result.status == TenantStatus::Failed {
            stopping.cancel();
        }
        on_done(&result);
        let index = result.index;
        results[index] = Some(result);
    }
    if ctx.cancel.is_cancelled() {
        return Err(Error::cancelled());
    }

    let results: Vec<TenantResult> = results.into_iter().flatten().collect();
    let mut summary = FleetSummary {
        total,
        concurrency: request.concurrency,
        elapsed_ms: millis(started),
        ..FleetSummary::default()
    };
    for r in &results {
        match r.status {
            TenantStatus::Compliant => summary.compliant += 1,
            TenantStatus::Drifted => summary.drifted += 1,
            TenantStatus::Unchanged => summary.unchanged += 1,
            TenantStatus::Changed => summary.changed += 1,
            TenantStatus::Failed => summary.failed += 1,
            TenantStatus::NotStarted => summary.not_started += 1,
        }
    }
    Ok(FleetReport {
        operation,
        results,
        summary,
    })
}

/// One tenant, never failing: errors become a `failed` result.
async fn run_one(
    index: usize,
    client: &PolicyClient,
    request: &FleetRequest,
    single: bool,
    ctx: &CallContext,
) -> TenantResult {
    let started = Instant::now();
    let mut result = not_started(index, client);
    match request.operation {
        FleetOperation::Test => {
            let read = client.get(ctx).await;
            record_read(&mut result, request, read, 1);
        }
        FleetOperation::Apply => {
            let mut change = request.desired.change_request();
            change.backup_path = backup_path(request, single);
            record_apply(&mut result, request, client.apply(&change, ctx).await);
        }
    }
    finish(result, started, ctx)
}

/// One tenant's read and plan ([`plan_reporting`]), never failing: errors become a `failed`
/// result and no plan.
async fn plan_one(
    index: usize,
    client: &PolicyClient,
    request: &FleetRequest,
    ctx: &CallContext,
) -> (TenantResult, Option<PlannedChange>) {
    let started = Instant::now();
    let mut result = not_started(index, client);
    let planned = match client
        .begin_change(&request.desired.change_request(), ctx)
        .await
    {
        Ok(planned) => {
            let read = Ok(planned.plan().before.clone());
            record_read(&mut result, request, read, planned.requests());
            Some(planned)
        }
        Err(e) => {
            record_read(&mut result, request, Err(e), 0);
            None
        }
    };
    (finish(result, started, ctx), planned)
}

/// A test's result from the policy as read: compliant or drifted, with the differences.
fn record_read(
    result: &mut TenantResult,
    request: &FleetRequest,
    read: Result<PolicyView>,
    requests: u32,
) {
    match read {
        Ok(current) => {
            let report = drift::report(&request.desired, current);
            result.tenant_id = report.tenant_id.clone().or(result.tenant_id.take());
            result.status = if report.compliant {
                TenantStatus::Compliant
            } else {
                TenantStatus::Drifted
            };
            result.differences = report.differences;
            result.previous = Some(report.current.clone());
            result.current = Some(report.current);
            result.requests = requests;
        }
        Err(e) => {
            result.status = TenantStatus::Failed;
            result.error = Some(e);
        }
    }
}

/// An apply's result from the outcome of the write.
fn record_apply(result: &mut TenantResult, request: &FleetRequest, applied: Result<ApplyOutcome>) {
    match applied {
        Ok(outcome) => {
            result.tenant_id = outcome
                .previous
                .tenant_id
                .clone()
                .or(result.tenant_id.take());
            result.status = if outcome.applied {
                TenantStatus::Changed
            } else {
                TenantStatus::Unchanged
            };
            result.differences = drift::compare(&request.desired, &outcome.previous);
            result.changes = outcome.plan.changes.clone();
            result.description = Some(outcome.plan.description.clone());
            result.previous = Some(outcome.previous);
            result.current = Some(outcome.current);
            result.backup_path = outcome.backup_path;
            result.requests = outcome.requests;
            result.outcome = outcome.outcome;
        }
        Err(e) => {
            result.status = TenantStatus::Failed;
            result.outcome = e.outcome();
            result.error = Some(e);
        }
    }
}

/// Where a tenant's backup goes: many tenants share the folder, one file each; a lone tenant
/// may name its file.
fn backup_path(request: &FleetRequest, single: bool) -> Option<String> {
    request
        .backup_folder
        .as_ref()
        .map(|f| if single { f.clone() } else { as_folder(f) })
}

/// Logs a failure and stamps the time spent on the tenant.
fn finish(mut result: TenantResult, started: Instant, ctx: &CallContext) -> TenantResult {
    if let Some(e) = &result.error {
        events::verbose(&ctx.events, format!("failed: {}", e.message()));
    }
    result.elapsed_ms = millis(started);
    result
}

/// The result of a tenant the run did not start.
fn not_started(index: usize, client: &PolicyClient) -> TenantResult {
    TenantResult {
        index,
        tenant_id: client.config().tenant_id.clone(),
        status: TenantStatus::NotStarted,
        differences: Vec::new(),
        changes: Vec::new(),
        description: None,
        previous: None,
        current: None,
        backup_path: None,
        requests: 0,
        elapsed_ms: 0,
        error: None,
        outcome: None,
    }
}

/// A backup folder must be read as a folder even before it exists.
fn as_folder(folder: &str) -> String {
    if folder.ends_with('/') || folder.ends_with('\\') {
        folder.to_string()
    } else {
        format!("{folder}{}", std::path::MAIN_SEPARATOR)
    }
}

fn status_word(status: TenantStatus) -> &'static str {
    match status {
        TenantStatus::Compliant => "compliant",
        TenantStatus::Drifted => "drifted",
        TenantStatus::Unchanged => "unchanged",
        TenantStatus::Changed => "changed",
        TenantStatus::Failed => "failed",
        TenantStatus::NotStarted => "not started",
    }
}

fn progress(events: &Events, activity: &str, status: &str, completed: usize, total: usize) {
    let percent = (completed * 100).checked_div(total).unwrap_or(100);
    events.emit(Event {
        level: EventLevel::Progress,
        message: json!({
            "activity": activity,
            "status": status,
            "percent": percent,
            "completed": completed,
            "total": total,
        })
        .to_string(),
    });
}

fn millis(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Forwards one tenant's events with the tenant's name in front, and each distinct warning only
/// once per run (the 24-hour notice would otherwise repeat for every tenant changed).
struct TenantEvents {
    label: String,
    inner: Events,
    seen_warnings: Arc<Mutex<HashSet<String>>>,
}

impl EventSink for TenantEvents {
    fn emit(&self, event: Event) {
        match event.level {
            EventLevel::Progress => {}
            EventLevel::Warning => {
                let first = self
                    .seen_warnings
                    .lock()
                    .map(|mut seen| seen.insert(event.message.clone()))
                    .unwrap_or(true);
                if first {
                    self.inner.emit(event);
                }
            }
            _ => self.inner.emit(Event {
                level: event.level,
                message: format!("[{}] {}", self.label, event.message),
            }),
        }
    }
}
