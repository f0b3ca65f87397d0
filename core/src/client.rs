//! The policy operations callers use: get, plan, apply, reset.
//!
//! A [`PolicyClient`] is built once from a [`ClientConfig`] and the secret bytes (validated
//! without network) and is cheap to share. Each operation takes a [`CallContext`]: the caller's
//! cancellation token and event sink.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde_json::{json, Value};
use zeroize::Zeroizing;

pub use crate::auth::permissions::WriteCheck;
use crate::auth::{self, AccessToken, TokenSource};
use crate::backup;
pub use crate::call_context::CallContext;
use crate::config::ClientConfig;
use crate::error::{Error, ErrorKind, Result, WriteOutcome};
use crate::events;
use crate::graph::{GraphClient, GraphResponse, Method, RequestCounter};
use crate::model::{Policy, PolicyView};
use crate::plan::{
    self, ApplyOutcome, ChangeRequest, Plan, ResetMethod, ResetOptions, ResetOutcome,
    ResolvedChange,
};
use crate::write_lock;

/// Tells the user once per write: the service needs time.
const PROPAGATION_NOTICE: &str =
    "Changes to the photo update policy can take up to 24 hours to take effect across Microsoft 365.";

/// A change planned against the policy as read ([`PolicyClient::begin_change`]), waiting for the
/// caller's confirmation; [`PolicyClient::apply_planned`] writes it.
#[derive(Debug, Clone)]
pub struct PlannedChange {
    change: ResolvedChange,
    tenant: Option<String>,
    plan: Plan,
    reads: u32,
}

impl PlannedChange {
    /// What the change does: before, after, each changed property, the PATCH body, warnings.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// HTTP requests the planning sent (the read, retries included).
    pub fn requests(&self) -> u32 {
        self.reads
    }

    /// The same plan, saving the policy before the write to `backup_path` instead (a fleet
    /// decides where backups go once it knows how many tenants were confirmed).
    pub fn with_backup_path(&self, backup_path: Option<String>) -> PlannedChange {
        PlannedChange {
            change: self.change.clone().with_backup_path(backup_path),
            ..self.clone()
        }
    }
}

/// A reset planned against the policy as read ([`PolicyClient::begin_reset`]), waiting for the
/// caller's confirmation; [`PolicyClient::apply_reset`] writes it. Its plan is the default
/// expressed as a change (source not set, no allowed roles), so a caller shows what the reset
/// changes exactly as for any other change.
#[derive(Debug, Clone)]
pub struct PlannedReset {
    planned: PlannedChange,
    /// The policy as read: whether it is already the default decides whether anything is sent.
    current: Policy,
}

impl PlannedReset {
    /// What the reset changes: before, after (the default), each changed property.
    pub fn plan(&self) -> &Plan {
        self.planned.plan()
    }

    /// HTTP requests the planning sent (the read, retries included).
    pub fn requests(&self) -> u32 {
        self.planned.requests()
    }
}

/// Reads and changes one tenant's photo update policy. `Send + Sync`; share it with an `Arc`.
pub struct PolicyClient {
    config: ClientConfig,
    graph: GraphClient,
    tokens: Arc<dyn TokenSource>,
    // Last, so it is dropped after the handles above: freeing the last client closes the shared
    // connection pools (crate::runtime::PoolLease).
    _pools: crate::runtime::PoolLease,
}

impl std::fmt::Debug for PolicyClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyClient")
            .field("cloud", &self.config.cloud)
            .field("tenant_id", &self.config.tenant_id)
            .field("policy_url", &self.graph.policy_url().as_str())
            .finish_non_exhaustive()
    }
}

impl PolicyClient {
    /// Validates `config` (endpoints, timeouts, auth mode) and the secret without network.
    pub fn new(config: ClientConfig, secret: Zeroizing<Vec<u8>>) -> Result<Self> {
        Self::build(config, |config| auth::token_source(config, secret))
    }

    /// Like [`PolicyClient::new`] for a certificate sign-in whose client assertions `signer`
    /// signs: the private key never leaves the caller's key store. `config.auth` must be the
    /// `certificate` mode. Validates without network and without signing.
    pub fn with_signer(
        config: ClientConfig,
        signer: Arc<dyn auth::AssertionSigner>,
    ) -> Result<Self> {
        Self::build(config, |config| {
            auth::token_source_with_signer(config, signer)
        })
    }

    /// A client for `tenant` with this client's application credentials (client secret,
    /// certificate, federated credential) and its own token cache: one app connection serves
    /// every tenant of a fleet run, the app consented in each. A sign-in that belongs to one
    /// tenant (a user, a managed identity, a given token) is refused with an `InvalidArgument`
    /// error saying why and what to pass instead. Nothing is sent here.
    pub fn for_tenant(&self, tenant: &str) -> Result<Self> {
        let tenant = crate::auth::context::validate_tenant(tenant)?;
        let Some(tokens) = self.tokens.for_tenant(&tenant) else {
            return Err(one_tenant_only(
                &self.tokens.sign_in_identity().auth_mode,
                self.config.tenant_id.as_deref(),
                &tenant,
            ));
        };
        let mut config = self.config.clone();
        config.tenant_id = Some(tenant);
        Self::with_token_source(config, tokens?)
    }

    /// Like [`PolicyClient::new`] with a ready token source (tests, custom sign-in).
    pub fn with_token_source(config: ClientConfig, tokens: Arc<dyn TokenSource>) -> Result<Self> {
        Self::build(config, |_| Ok(tokens))
    }

    /// What every constructor does, in one order: checks the Graph endpoints of `config` first
    /// (so a bad endpoint is the error even when the sign-in is wrong too), then makes the token
    /// source with `tokens`.
    fn build(
        config: ClientConfig,
        tokens: impl FnOnce(&ClientConfig) -> Result<Arc<dyn TokenSource>>,
    ) -> Result<Self> {
        let pools = crate::runtime::PoolLease::new();
        let graph = GraphClient::new(&config)?;
        let tokens = tokens(&config)?;
        Ok(Self {
            config,
            graph,
            tokens,
            _pools: pools,
        })
    }

    /// The Graph client (for reads of other Graph URLs on the same host, see [`crate::access`]).
    pub(crate) fn graph(&self) -> &GraphClient {
        &self.graph
    }

    /// A token for reads beyond the policy (the directory): no policy permission pre-flight, as
    /// each read needs its own permission and degrades on its own when it is missing.
    pub(crate) async fn directory_token(&self, ctx: &CallContext) -> Result<AccessToken> {
        self.token(ctx).await
    }

    /// Reads the policy, counting requests in `counter`; also returns the tenant.
    pub(crate) async fn read_policy(
        &self,
        ctx: &CallContext,
        counter: &RequestCounter,
    ) -> Result<(Policy, Option<String>)> {
        self.read(ctx, counter).await
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Reads the policy.
    pub async fn get(&self, ctx: &CallContext) -> Result<PolicyView> {
        let counter = RequestCounter::new(0);
        let (policy, tenant) = self.read(ctx, &counter).await?;
        Ok(PolicyView::new(&policy, tenant, self.config.cloud))
    }

    /// Reads the policy and plans `change` against it; nothing is written: a preview
    /// (-WhatIf). A token that may read but not change the policy still gets the preview, with
    /// a warning event saying the change itself would be refused ([`WriteCheck::Warn`]). The
    /// plan's warnings travel in [`Plan::warnings`] only (not as events), so a caller shows each
    /// once.
    pub async fn plan(&self, change: &ChangeRequest, ctx: &CallContext) -> Result<Plan> {
        let change = plan::resolve_change(change)?;
        self.check_write(WriteCheck::Warn, ctx).await?;
        let counter = RequestCounter::new(0);
        Ok(self.plan_against_read(change, ctx, &counter).await?.plan)
    }

    /// Reads the policy, plans `change`, and sends the PATCH when something changes. With nothing
    /// to change, exactly one GET is sent. A 204 answer is read back with a GET.
    ///
    /// Nothing lost, nothing mislabelled:
    /// - writes to one tenant take turns within the process ([`write_lock`]), from the read to
    ///   the read-back;
    /// - a relative role change (`addAllowedRoles`, `removeAllowedRoles`) is read back; if another
    ///   writer slipped in between, it is planned again on what was read and re-applied once,
    ///   and reported as [`WriteOutcome::Unknown`] if it still does not hold;
    /// - a PATCH whose answer was lost (timeout, dropped connection, unreadable answer, 503/504
    ///   after retries) may have been applied: the policy is read back and the result says what
    ///   is true ([`WriteOutcome`]); a success answer whose policy reads as before is
    ///   [`WriteOutcome::NotApplied`].
    pub async fn apply(&self, change: &ChangeRequest, ctx: &CallContext) -> Result<ApplyOutcome> {
        let change = plan::resolve_change(change)?;
        // Pre-flight before the first request: a caller who may not write learns it before
        // anything is sent (not after a read and a refused PATCH).
        let _turn = self.write_turn(ctx, true).await?;
        let counter = RequestCounter::new(0);
        let planned = self.plan_against_read(change, ctx, &counter).await?;
        self.write_planned(&planned, ctx, &counter).await
    }

    /// The first half of a confirmed change: resolves `change` (roles included; an invalid
    /// request fails before anything is sent), checks that the token may change the policy
    /// (the pre-flight of [`PolicyClient::apply`], also before anything is sent), reads the
    /// policy once and plans against it. Nothing is written; [`PolicyClient::apply_planned`]
    /// writes the plan after the caller's confirmation, without reading the policy again.
    pub async fn begin_change(
        &self,
        change: &ChangeRequest,
        ctx: &CallContext,
    ) -> Result<PlannedChange> {
        let change = plan::resolve_change(change)?;
        self.check_write(WriteCheck::Refuse, ctx).await?;
        let counter = RequestCounter::new(0);
        self.plan_against_read(change, ctx, &counter).await
    }

    /// Writes a change planned by [`PolicyClient::begin_change`]: the minimal PATCH of its plan
    /// (nothing when it changes nothing). With `reread` (the caller waited for a person to
    /// confirm, and the policy may have changed meanwhile) the policy is read again and the same
    /// resolved change planned anew before writing.
    pub async fn apply_planned(
        &self,
        planned: &PlannedChange,
        reread: bool,
        ctx: &CallContext,
    ) -> Result<ApplyOutcome> {
        // Pre-flight before the write, and the tenant's turn (see `apply`); the plan's own read
        // happened before the caller's confirmation, so a relative change relies on its
        // read-back here.
        let _turn = self.write_turn(ctx, false).await?;
        // The outcome counts every request of the change, the plan's read included.
        let counter = RequestCounter::new(planned.reads);
        // A relative role change planned outside the tenant's turn may rest on a stale read
        // (another writer of this process went first): it is planned anew inside the turn.
        if reread || planned.change.modifies_roles() {
            let fresh = self
                .plan_against_read(planned.change.clone(), ctx, &counter)
                .await?;
            return self.write_planned(&fresh, ctx, &counter).await;
        }
        self.write_planned(planned, ctx, &counter).await
    }

    /// Checks the write permission in the token (the pre-flight) and waits for the tenant's
    /// turn to write ([`write_lock`]), which the caller holds until its read-back is done.
    /// `first`: no earlier step of this change checked the token, so a doubt about it is voiced
    /// here ([`PolicyClient::check_write`]); the second half of a planned change only refuses.
    async fn write_turn(
        &self,
        ctx: &CallContext,
        first: bool,
    ) -> Result<tokio::sync::OwnedMutexGuard<()>> {
        let token = if first {
            self.check_write(WriteCheck::Refuse, ctx).await?
        } else {
            self.token_for(auth::Access::Write, ctx).await?
        };
        let tenant = auth::tenant::acting_tenant(&self.config, &token, ctx).await?;
        tokio::select! {
            biased;
            _ = ctx.cancel.cancelled() => Err(Error::cancelled()),
            t = write_lock::turn(self.graph.policy_url().as_str(), tenant.as_deref()) => Ok(t),
        }
    }

    /// Reads the policy and plans `change` against it.
    async fn plan_against_read(
        &self,
        change: ResolvedChange,
        ctx: &CallContext,
        counter: &RequestCounter,
    ) -> Result<PlannedChange> {
        Ok(self.read_and_plan(change, ctx, counter).await?.0)
    }

    /// Reads the policy and plans `change` against it; also returns the policy as read.
    async fn read_and_plan(
        &self,
        change: ResolvedChange,
        ctx: &CallContext,
        counter: &RequestCounter,
    ) -> Result<(PlannedChange, Policy)> {
        let (current, tenant) = self.read(ctx, counter).await?;
        let plan = plan::plan_resolved(&current, &change, tenant.clone(), self.config.cloud)?;
        let planned = PlannedChange {
            change,
            tenant,
            plan,
            reads: counter.load(Ordering::Relaxed),
        };
        Ok((planned, current))
    }

    /// Sends the PATCH of `planned` (when it changes anything), after the backup it asks for.
    async fn write_planned(
        &self,
        planned: &PlannedChange,
        ctx: &CallContext,
        counter: &RequestCounter,
    ) -> Result<ApplyOutcome> {
        let plan = planned.plan.clone();
        let tenant = planned.tenant.clone();
        let Some(body) = plan.patch_body.clone() else {
            events::verbose(&ctx.events, plan.description.clone());
            return Ok(ApplyOutcome {
                previous: plan.before.clone(),
                current: plan.before.clone(),
                plan,
                applied: false,
                outcome: None,
                requests: counter.load(Ordering::Relaxed),
                backup_path: None,
            });
        };
        // Nothing lost: the previous state is on disk before anything is sent, or nothing is.
        let backup_path = save_backup(planned.change.backup_path(), &plan.before, ctx)?;
        events::verbose(&ctx.events, format!("Applying: {}", plan.description));
        let mut after = self
            .write(&plan, &body, &planned.change, ctx, counter)
            .await?;
        if planned.change.modifies_roles() {
            after = self
                .confirm_relative(after, &planned.change, tenant.clone(), ctx, counter)
                .await?;
        }
        events::warning(&ctx.events, PROPAGATION_NOTICE);
        Ok(ApplyOutcome {
            previous: plan.before.clone(),
            current: PolicyView::new(&after, tenant, self.config.cloud),
            plan,
            applied: true,
            outcome: Some(WriteOutcome::Applied),
            requests: counter.load(Ordering::Relaxed),
            backup_path,
        })
    }

    /// Sends the PATCH of `plan` and returns the policy after it, or an error saying what the
    /// tenant holds now ([`Error::outcome`]).
    async fn write(
        &self,
        plan: &Plan,
        body: &Value,
        change: &ResolvedChange,
        ctx: &CallContext,
        counter: &RequestCounter,
    ) -> Result<Policy> {
        let lost = match self.send(Method::Patch, Some(body), ctx, counter).await {
            Ok(resp) => match self.policy_from(resp) {
                Ok(Some(after)) => return self.not_unchanged(after, plan, change),
                Ok(None) => {
                    let after = self.read(ctx, counter).await.map_err(|e| {
                        e.with_note(
                            "The PATCH was accepted (no body), but reading the policy back failed.",
                        )
                        .with_outcome(WriteOutcome::Applied)
                    })?;
                    return self.not_unchanged(after.0, plan, change);
                }
                // A success whose body cannot be read: what happened is read back below.
                Err(e) => e,
            },
            Err(e) if may_have_applied(&e) => e,
            Err(e) if e.kind() == ErrorKind::Cancelled => return Err(e),
            Err(e) => return Err(e.with_outcome(WriteOutcome::NotApplied)),
        };
        events::verbose(
            &ctx.events,
            format!(
                "The answer to the PATCH was lost ({}); reading the policy back to see what is true.",
                lost.message()
            ),
        );
        let back = match self.read(ctx, counter).await {
            Ok((p, _)) => p,
            Err(read) => {
                return Err(lost
                    .with_note(&format!(
                        "The change may or may not have been applied: reading the policy back \
                         failed too ({}). Outcome: Unknown.",
                        read.message()
                    ))
                    .with_outcome(WriteOutcome::Unknown)
                    .with_recommended_action(
                        "Check the policy with Get-PhotoUpdatePolicy before trying again.",
                    ))
            }
        };
        if holds(&back, change) {
            events::verbose(
                &ctx.events,
                "Reading the policy back shows the change applied.",
            );
            return Ok(back);
        }
        let view = PolicyView::new(&back, plan.before.tenant_id.clone(), self.config.cloud);
        if same_policy(&view, &plan.before) {
            return Err(lost
                .with_note(
                    "Reading the policy back shows it unchanged: the change was not applied. \
                     Outcome: NotApplied.",
                )
                .with_outcome(WriteOutcome::NotApplied));
        }
        Err(lost
            .with_note(&format!(
                "Reading the policy back shows {}: neither as before nor as asked (another writer?). \
                 Outcome: Unknown.",
                view.summary()
            ))
            .with_outcome(WriteOutcome::Unknown)
            .with_recommended_action("Check the policy with Get-PhotoUpdatePolicy before trying again."))
    }

    /// A success answer whose policy still reads exactly as before did not apply the change.
    fn not_unchanged(&self, after: Policy, plan: &Plan, change: &ResolvedChange) -> Result<Policy> {
        let view = PolicyView::new(&after, plan.before.tenant_id.clone(), self.config.cloud);
        if !holds(&after, change) && same_policy(&view, &plan.before) {
            return Err(Error::new(
                ErrorKind::Service,
                format!(
                    "Microsoft Graph answered the PATCH with success, but the policy still reads \
                     {}: the change was not applied. Outcome: NotApplied.",
                    view.summary()
                ),
            )
            .with_outcome(WriteOutcome::NotApplied)
            .with_recommended_action(
                "Try again later; read the policy with Get-PhotoUpdatePolicy.",
            ));
        }
        Ok(after)
    }

    /// Reads back after a relative role change; when another writer slipped in between, plans
    /// the change again on what was read and applies it once more.
    async fn confirm_relative(
        &self,
        after: Policy,
        change: &ResolvedChange,
        tenant: Option<String>,
        ctx: &CallContext,
        counter: &RequestCounter,
    ) -> Result<Policy> {
        let back = match self.read(ctx, counter).await {
            Ok((p, _)) => p,
            Err(e) => {
                events::warning(
                    &ctx.events,
                    format!(
                        "The change was applied, but reading it back failed ({}); the result shows \
                         the service's answer to the PATCH.",
                        e.message()
                    ),
                );
                return Ok(after);
            }
        };
        if holds(&back, change) {
            return Ok(back);
        }
        let again = plan::plan_resolved(&back, change, tenant, self.config.cloud)?;
        let Some(body) = again.patch_body.clone() else {
            return Ok(back);
        };
        events::warning(
            &ctx.events,
            format!(
                "Another writer changed the policy while this change was applied (it reads {}); \
                 applying the change again on top of it.",
                again.before.summary()
            ),
        );
        self.write(&again, &body, change, ctx, counter).await?;
        let (last, _) = self.read(ctx, counter).await.map_err(|e| {
            e.with_note("The change was applied twice, but reading it back failed.")
                .with_outcome(WriteOutcome::Unknown)
        })?;
        if holds(&last, change) {
            return Ok(last);
        }
        let view = PolicyView::new(&last, again.before.tenant_id.clone(), self.config.cloud);
        Err(Error::new(
            ErrorKind::Service,
            format!(
                "Other writers keep changing the policy: after applying the change twice it reads \
                 {}. Outcome: Unknown.",
                view.summary()
            ),
        )
        .with_outcome(WriteOutcome::Unknown)
        .with_recommended_action(
            "Find the other writer (another script, admin or process); then check the policy with \
             Get-PhotoUpdatePolicy and apply the change again.",
        ))
    }

    /// Brings the policy back to the defaults (source not set, no role restriction) and proves it
    /// by reading it back.
    ///
    /// Already default → nothing is written. Otherwise `PATCH {"source":null,"allowedRoles":null}`
    /// (with the source not set the service wants no roles section, as with onPremises);
    /// if the service refuses it (400/405) — or accepts it but the read-back still is not the
    /// default (clearing `source` with null is unconfirmed) — `DELETE` is tried. A reset that
    /// cannot be proven is [`ErrorKind::ResetNotVerified`] with what was read.
    pub async fn reset(&self, ctx: &CallContext) -> Result<ResetOutcome> {
        self.reset_with(&ResetOptions::default(), ctx).await
    }

    /// [`PolicyClient::reset`] with options: `backup_path` saves the policy before the reset
    /// (see [`crate::backup`]); if it cannot be saved, nothing is sent.
    pub async fn reset_with(
        &self,
        options: &ResetOptions,
        ctx: &CallContext,
    ) -> Result<ResetOutcome> {
        // Pre-flight before the first request (see `apply`).
        let planned = self.begin_reset(options, ctx).await?;
        self.apply_reset(&planned, false, ctx).await
    }

    /// The first half of a confirmed reset: checks that the token may change the policy (the
    /// pre-flight of [`PolicyClient::apply`], before anything is sent), reads the policy once and
    /// plans the default against it (the plan shows what the reset changes). Nothing is written;
    /// [`PolicyClient::apply_reset`] writes it after the caller's confirmation, without reading
    /// the policy again. `options.backup_path` is where the policy is saved before the write.
    pub async fn begin_reset(
        &self,
        options: &ResetOptions,
        ctx: &CallContext,
    ) -> Result<PlannedReset> {
        let change = plan::resolve_change(&ChangeRequest {
            source: Some("notSet".into()),
            allowed_roles: Some(Vec::new()),
            backup_path: options.backup_path.clone(),
            ..ChangeRequest::default()
        })?;
        self.check_write(WriteCheck::Refuse, ctx).await?;
        let counter = RequestCounter::new(0);
        let (planned, current) = self.read_and_plan(change, ctx, &counter).await?;
        Ok(PlannedReset { planned, current })
    }

    /// Writes a reset planned by [`PolicyClient::begin_reset`] and proves it by reading back
    /// (see [`PolicyClient::reset`]): the PATCH (or DELETE) and the verifying read, without
    /// reading the policy again first. With `reread` (the caller waited for a person to confirm)
    /// the policy is read again before writing.
    pub async fn apply_reset(
        &self,
        planned: &PlannedReset,
        reread: bool,
        ctx: &CallContext,
    ) -> Result<ResetOutcome> {
        let _turn = self.write_turn(ctx, false).await?;
        // The outcome counts every request of the reset, the plan's read included.
        let counter = RequestCounter::new(planned.requests());
        let (previous, tenant) = if reread {
            self.read(ctx, &counter).await?
        } else {
            (planned.current.clone(), planned.planned.tenant.clone())
        };
        let backup = planned.planned.change.backup_path();
        self.reset_from(previous, tenant, backup, ctx, &counter)
            .await
    }

    /// The reset from `previous` as read: nothing when it is the default, else the backup, the
    /// PATCH (DELETE as the fallback) and the read-back that proves it.
    async fn reset_from(
        &self,
        previous: Policy,
        tenant: Option<String>,
        backup: Option<&str>,
        ctx: &CallContext,
        counter: &RequestCounter,
    ) -> Result<ResetOutcome> {
        let view = |p: &Policy| PolicyView::new(p, tenant.clone(), self.config.cloud);
        if previous.is_default() {
            events::verbose(
                &ctx.events,
                "The policy is already at the defaults; nothing to reset.",
            );
            return Ok(ResetOutcome {
                previous: view(&previous),
                current: view(&previous),
                method: ResetMethod::AlreadyDefault,
                verified: true,
                requests: counter.load(Ordering::Relaxed),
                backup_path: None,
            });
        }
        let backup_path = save_backup(backup, &view(&previous), ctx)?;

        // Source not set is not cloud: the roles section is cleared with null (see plan.rs).
        let body = json!({"source": null, "allowedRoles": null});
        let mut method = ResetMethod::Patch;
        match self.send(Method::Patch, Some(&body), ctx, counter).await {
            Ok(_) => {}
            Err(e) if refused(&e) => {
                events::verbose(
                    &ctx.events,
                    format!(
                        "The service refused the reset PATCH ({}); trying DELETE.",
                        e.message()
                    ),
                );
                match self.send(Method::Delete, None, ctx, counter).await {
                    Ok(_) => method = ResetMethod::Delete,
                    Err(d) if refused(&d) => return Err(both_refused(&e, d)),
                    Err(d) => return Err(d),
                }
            }
            Err(e) => return Err(e),
        }

        let mut current = self.read(ctx, counter).await?.0;
        if !current.is_default() && method == ResetMethod::Patch {
            events::verbose(
                &ctx.events,
                format!(
                    "The PATCH was accepted but the policy still reads {}; trying DELETE.",
                    view(&current).summary()
                ),
            );
            match self.send(Method::Delete, None, ctx, counter).await {
                Ok(_) => {
                    method = ResetMethod::Delete;
                    current = self.read(ctx, counter).await?.0;
                }
                Err(e) if refused(&e) => {
                    events::verbose(
                        &ctx.events,
                        format!("DELETE refused too ({}).", e.message()),
                    );
                }
                Err(e) => return Err(e),
            }
        }
        if !current.is_default() {
            return Err(Error::new(
                ErrorKind::ResetNotVerified,
                format!(
                    "The reset could not be verified: after {} the policy reads {} instead of the \
                     defaults (Source: NotSet; Allowed roles: (everyone)).",
                    match method {
                        ResetMethod::Delete => "DELETE",
                        _ => "PATCH",
                    },
                    view(&current).summary()
                ),
            )
            .with_recommended_action(
                "Read the policy again in a few minutes (Get-PhotoUpdatePolicy); if it still is \
                 not the default, set the values explicitly with Set-PhotoUpdatePolicy.",
            ));
        }
        events::warning(&ctx.events, PROPAGATION_NOTICE);
        Ok(ResetOutcome {
            previous: view(&previous),
            current: view(&current),
            method,
            verified: true,
            requests: counter.load(Ordering::Relaxed),
            backup_path,
        })
    }

    /// Signs in now (or reuses the cached token) and describes the connection: tenant, cloud,
    /// how and as whom, token expiry, granted scopes, roles and directory roles. Never the token.
    /// Lets a caller (Connect-PhotoUpdatePolicy) fail on bad credentials before any policy call.
    pub async fn connect(&self, ctx: &CallContext) -> Result<auth::ConnectionInfo> {
        let token = self.token(ctx).await?;
        let mut identity = self.tokens.sign_in_identity();
        // The configured cloud is authoritative (opaque tokens carry no audience to read).
        identity.cloud.get_or_insert(self.config.cloud);
        Ok(auth::ConnectionInfo::from_token(&identity, &token))
    }

    /// Checks, before anything is sent to Graph, that the token may change the policy, and
    /// returns it. [`WriteCheck::Refuse`] (a change): a token that certainly may not is refused
    /// (`PermissionDenied`, naming what is missing and how to grant it); one that can only be
    /// suspected (an opaque token, a delegated token without a `wids` claim) goes ahead with a
    /// warning event. [`WriteCheck::Warn`] (a preview): the certain refusal becomes a warning
    /// event, and the preview goes ahead.
    pub async fn check_write(&self, check: WriteCheck, ctx: &CallContext) -> Result<AccessToken> {
        let token = self.token(ctx).await?;
        match (
            auth::permissions::preflight(&token.token, auth::Access::Write),
            check,
        ) {
            (Ok(Some(doubt)), WriteCheck::Refuse) => events::warning(&ctx.events, doubt),
            (Ok(_), _) => {}
            (Err(refused), WriteCheck::Refuse) => return Err(refused),
            (Err(refused), WriteCheck::Warn) => events::warning(
                &ctx.events,
                format!(
                    "{} The change shown would be refused before anything is sent.",
                    refused.message()
                ),
            ),
        }
        Ok(token)
    }

    /// A token that allows `need`, racing the caller's cancellation. The permission pre-flight
    /// runs here so a missing permission is explained before anything is sent to Graph (opaque
    /// tokens pass; the service decides).
    async fn token_for(&self, need: auth::Access, ctx: &CallContext) -> Result<AccessToken> {
        let token = self.token(ctx).await?;
        auth::permissions::check_token_permissions(&token.token, need)?;
        Ok(token)
    }

    /// A token, racing the caller's cancellation.
    async fn token(&self, ctx: &CallContext) -> Result<AccessToken> {
        tokio::select! {
            biased;
            _ = ctx.cancel.cancelled() => Err(Error::cancelled()),
            // The call's limits travel with `ctx` down to the sign-in exchange.
            t = self.tokens.token(ctx) => t,
        }
    }

    async fn send(
        &self,
        method: Method,
        body: Option<&Value>,
        ctx: &CallContext,
        counter: &RequestCounter,
    ) -> Result<GraphResponse> {
        let token = self.token_for(auth::Access::Write, ctx).await?;
        self.graph
            .send(method, &token.token, body, ctx, counter)
            .await
    }

    /// GET the policy; also returns the tenant the service answers for (the token's `tid`, see
    /// [`auth::tenant`]). A token for another tenant than the configured one is refused here,
    /// before the GET.
    async fn read(
        &self,
        ctx: &CallContext,
        counter: &RequestCounter,
    ) -> Result<(Policy, Option<String>)> {
        let token = self.token_for(auth::Access::Read, ctx).await?;
        let tenant = auth::tenant::acting_tenant(&self.config, &token, ctx).await?;
        let resp = self
            .graph
            .send(Method::Get, &token.token, None, ctx, counter)
            .await?;
        let policy = self.policy_from(resp)?.ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidResponse,
                "Microsoft Graph answered the read of the photo update settings with an empty body.",
            )
        })?;
        Ok((policy, tenant))
    }

    fn policy_from(&self, resp: GraphResponse) -> Result<Option<Policy>> {
        resp.body.as_ref().map(Policy::from_json).transpose()
    }
}

/// Writes the backup asked for (if any) and says where it went.
fn save_backup(
    path: Option<&str>,
    previous: &PolicyView,
    ctx: &CallContext,
) -> Result<Option<String>> {
    let Some(path) = path else { return Ok(None) };
    let file = backup::write_backup(path, previous)?;
    let file = file.display().to_string();
    events::verbose(
        &ctx.events,
        format!("Saved the policy before the change to {file}."),
    );
    Ok(Some(file))
}

/// Whether `policy` already holds what `change` asks for (planning it again changes nothing).
fn holds(policy: &Policy, change: &ResolvedChange) -> bool {
    plan::plan_resolved(policy, change, None, Default::default()).is_ok_and(|p| !p.has_changes)
}

/// Same source and the same set of allowed roles.
fn same_policy(a: &PolicyView, b: &PolicyView) -> bool {
    let roles = |v: &PolicyView| {
        let mut ids: Vec<String> = v
            .allowed_roles
            .iter()
            .map(|r| r.id.to_ascii_lowercase())
            .collect();
        ids.sort();
        ids
    };
    a.source.as_deref().map(str::to_ascii_lowercase)
        == b.source.as_deref().map(str::to_ascii_lowercase)
        && roles(a) == roles(b)
}

/// Errors after which a PATCH may have reached the service and been applied: its answer was lost
/// or unreadable, or a gateway gave up waiting for it.
fn may_have_applied(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Timeout
            | ErrorKind::Network
            | ErrorKind::InvalidResponse
            | ErrorKind::ServiceUnavailable
    )
}

/// The reset was refused both ways: say so, keeping the DELETE answer's details.
fn both_refused(patch: &Error, delete: Error) -> Error {
    let mut err = Error::new(
        ErrorKind::Service,
        format!(
            "The policy could not be reset: the service refused both ways. PATCH: {} DELETE: {} \
             Nothing was changed.",
            patch.message(),
            delete.message()
        ),
    )
    .with_recommended_action(
        "Set the values explicitly instead (Set-PhotoUpdatePolicy -Source ... -AllowedRoles @()), \
         or try again later.",
    );
    if let Some(d) = delete.service() {
        err = err.with_service(d.clone());
    }
    err
}

/// Whether the service refused the method itself (400 Bad Request or 405 Method Not Allowed).
fn refused(e: &Error) -> bool {
    e.kind() == ErrorKind::Service
        && e.service()
            .is_some_and(|s| matches!(s.http_status, 400 | 405))
}

/// Why a connection cannot act in another tenant, and what to pass instead.
fn one_tenant_only(auth_mode: &str, connected: Option<&str>, tenant: &str) -> Error {
    let connected = connected
        .map(|t| format!("tenant '{t}'"))
        .unwrap_or_else(|| "its own tenant".to_string());
    let why = match auth_mode {
        "browser" | "deviceCode" => format!(
            "the connection is a user's sign-in to {connected}, and a user's token is valid in that tenant only"
        ),
        "managedIdentity" => format!(
            "the connection is a managed identity, which exists in {connected} only"
        ),
        _ => format!("the connection uses an access token, which is valid in {connected} only"),
    };
    Error::invalid_argument(format!(
        "Tenant '{tenant}' cannot be reached with this connection: {why}. Nothing was sent."
    ))
    .with_target(tenant.to_string())
    .with_recommended_action(
        "For several tenants, connect with an application consented in each (Connect-PhotoUpdatePolicy \
         -TenantId <home tenant> -ClientId <app id> with -CertificateThumbprint, -ClientSecret or \
         -FederatedToken), or pass each tenant's own access token (pipeline objects with TenantId \
         and AccessToken), or connect to that tenant first.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn client_is_send_and_sync() {
        assert_send_sync::<PolicyClient>();
        assert_send_sync::<CallContext>();
    }

    #[test]
    fn new_validates_without_network() {
        let secret = || Zeroizing::new(b"opaque".to_vec());
        let mut config = ClientConfig {
            graph_endpoint: Some("http://127.0.0.1:1".into()),
            ..Default::default()
        };
        let err = PolicyClient::new(config.clone(), secret()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.message().contains("http://127.0.0.1:1"));
        config.allow_insecure_loopback = true;
        let client = PolicyClient::new(config.clone(), secret()).unwrap();
        assert_eq!(
            client.config().graph_endpoint.as_deref(),
            Some("http://127.0.0.1:1")
        );
        assert!(!format!("{client:?}").contains("opaque"));

        let err = PolicyClient::new(config.clone(), Zeroizing::new(Vec::new())).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);

        config.auth = auth::AuthConfig::DeviceCode { client_id: None };
        // Either supported by now (auth engineer) or a clear "not supported yet".
        if let Err(e) = PolicyClient::new(config, secret()) {
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        }
    }
}
