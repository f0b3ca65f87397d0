//! Who may change profile photos under the policy, and which apps will break
//! (Get-PhotoUpdateAccess, Test-PhotoUpdateAccess, and the impact shown before a change).
//!
//! The policy names roles; admins think in people and apps. This module reads the policy, then
//! the directory behind it through Microsoft Graph ([`reader`]: active and eligible role
//! assignments of the roles that matter, members of role-assignable groups, Microsoft Graph's
//! application permissions granted to apps), and applies the service's rules ([`rules`]) to say,
//! for each user, group and service principal, whether it may change photos, through what, where,
//! why, and what to do. A read the caller has no permission for degrades only its own part, with a
//! warning naming the permission.
//!
//! - [`get`]: every principal that holds a role that matters, or a photo-writing permission.
//! - [`check`]: one user or service principal (the signed-in one by default), with the service's
//!   own answer for the signed-in user (`getAllowedOperations`).
//! - [`impact`]: who gains and who loses the ability with a planned change.
//! - [`get_many`]: [`get`] for many tenants at once (fleet runs).

pub mod reader;
pub mod rules;

use std::collections::BTreeMap;
use std::time::Instant;

use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};

use crate::call_context::CallContext;
use crate::client::PolicyClient;
use crate::error::{Error, ErrorKind, Result};
use crate::graph::RequestCounter;
use crate::model::{Policy, RoleView};
use crate::plan::{ChangeRequest, Plan};
use crate::roles;

use reader::{Reader, ROLE_ASSIGNMENTS_PERMISSION};
use rules::{
    AssignmentState, Observed, ObservedAssignment, PolicyRoles, PrincipalAccess, PrincipalRef,
    PrincipalType, ResolveOptions,
};

/// What Get-PhotoUpdateAccess asks (`pup_access_get`):
/// `{"expandGroups":false,"allowedRoles":null,"concurrency":10}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessRequest {
    /// Also list each member of a role-holding group as a principal of its own.
    #[serde(default)]
    pub expand_groups: bool,
    /// Judge these roles (names or template IDs) instead of the policy's, e.g. to see a policy
    /// before setting it; `[]` = no restriction. The tenant's policy is still read.
    #[serde(default)]
    pub allowed_roles: Option<Vec<String>>,
    /// Tenants in flight at once when many are asked ([`get_many`]); default 10.
    #[serde(default)]
    pub concurrency: Option<usize>,
}

/// The answer of [`get`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessReport {
    /// The tenant (configured, else the token's).
    pub tenant_id: Option<String>,
    /// The policy's source as the service wrote it (`None`: not set).
    pub source: Option<String>,
    /// The roles judged (the policy's, or the request's).
    pub allowed_roles: Vec<RoleView>,
    /// Whether `allowedRoles` restricts who may change photos.
    pub restricted: bool,
    /// Every user may change their own photo (no restriction).
    pub everyone_can_change_own_photo: bool,
    /// The least privileged role that lets a principal change photos under this policy.
    pub least_privileged_role: Option<RoleView>,
    /// One line for people.
    pub summary: String,
    /// One entry per principal.
    pub principals: Vec<PrincipalAccess>,
    /// Principals that may change others' photos.
    pub can_change_count: usize,
    /// Apps whose photo writes the service will refuse.
    pub will_be_refused_count: usize,
    /// Parts that could not be read, in words.
    pub warnings: Vec<String>,
    /// The permissions that would have shown them.
    pub missing_permissions: Vec<String>,
    /// Whether every part was read.
    pub complete: bool,
    /// HTTP requests sent, retries included.
    pub requests: u32,
}

/// Reads the policy and resolves it into principals (see the module docs).
pub async fn get(
    client: &PolicyClient,
    request: &AccessRequest,
    ctx: &CallContext,
) -> Result<AccessReport> {
    let counter = RequestCounter::new(0);
    let (policy, tenant) = client.read_policy(ctx, &counter).await?;
    let judged = match &request.allowed_roles {
        Some(given) => resolve_role_inputs(given)?,
        None => policy.allowed_roles.clone(),
    };
    let policy_roles = PolicyRoles::new(&judged);
    let reader = Reader::new(client, ctx, &counter).await?;
    let observed = observe(
        &reader,
        &policy_roles.roles_to_read(),
        request.expand_groups,
    )
    .await?;
    let mut principals = rules::resolve(
        &policy_roles,
        &observed,
        ResolveOptions {
            expand_groups: request.expand_groups,
        },
    );
    if !policy_roles.restricted() {
        principals.insert(0, rules::all_users());
    }
    let (warnings, missing) = reader.take_findings();
    Ok(report(
        tenant,
        &policy,
        &policy_roles,
        principals,
        warnings,
        missing,
        reader.requests(),
    ))
}

fn report(
    tenant_id: Option<String>,
    policy: &Policy,
    policy_roles: &PolicyRoles,
    principals: Vec<PrincipalAccess>,
    warnings: Vec<String>,
    missing: Vec<String>,
    requests: u32,
) -> AccessReport {
    let restricted = policy_roles.restricted();
    let can = principals
        .iter()
        .filter(|p| p.can_change_others_photos && p.principal_type != PrincipalType::Group)
        .count();
    let refused = principals.iter().filter(|p| p.will_be_refused).count();
    let role_names: Vec<String> = policy_roles
        .allowed
        .iter()
        .map(|r| rules::role_name(r))
        .collect();
    let mut summary = if restricted {
        format!(
            "Only holders of {} (active, at tenant scope) may change photos, their own included: \
             {can} principal{} may change others' photos",
            role_names.join(", "),
            plural(can)
        )
    } else {
        format!(
            "No restriction: every user may change their own photo; {can} principal{} may change \
             others' photos",
            plural(can)
        )
    };
    if refused > 0 {
        summary.push_str(&format!(
            "; {refused} app{} will be refused (403 ForbiddenByAdminEditPolicy)",
            plural(refused)
        ));
    }
    summary.push('.');
    if policy
        .source
        .as_ref()
        .is_some_and(|s| s.as_wire().eq_ignore_ascii_case("onPremises"))
    {
        summary.push_str(
            " Source is on-premises: photos of synchronised users come from on-premises Active \
             Directory.",
        );
    }
    if !missing.is_empty() {
        summary.push_str(&format!(" Incomplete: needs {}.", missing.join(", ")));
    }
    AccessReport {
        tenant_id,
        source: policy.source.as_ref().map(|s| s.as_wire().to_string()),
        allowed_roles: policy_roles
            .allowed
            .iter()
            .map(|r| RoleView::from_id(r))
            .collect(),
        restricted,
        everyone_can_change_own_photo: !restricted,
        least_privileged_role: policy_roles
            .least_privileged()
            .map(|r| RoleView::from_id(&r)),
        summary,
        can_change_count: can,
        will_be_refused_count: refused,
        complete: missing.is_empty(),
        principals,
        warnings,
        missing_permissions: missing,
        requests,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Role names or IDs as the caller typed them, as template IDs (unknown IDs allowed: the
/// service decides; unknown names refused with the closest match).
fn resolve_role_inputs(given: &[String]) -> Result<Vec<String>> {
    given
        .iter()
        .map(|r| roles::resolve_one(r, true).map(|resolved| resolved.id))
        .collect()
}

/// Active and eligible assignments of each of `roles`, read concurrently; `None` for a list the
/// caller may not read.
async fn read_assignments(
    reader: &Reader<'_>,
    roles: &[String],
) -> Result<Vec<Option<Vec<ObservedAssignment>>>> {
    futures::future::try_join_all(roles.iter().flat_map(|r| {
        [AssignmentState::Active, AssignmentState::Eligible]
            .into_iter()
            .map(move |state| reader.role_assignments(r, state))
    }))
    .await
}

/// Reads what the rules need: assignments (active and eligible) of `roles`, Microsoft Graph's
/// photo-writing application permissions, and the members of role-holding groups when the groups
/// are expanded or some app could hold a role through one.
async fn observe(reader: &Reader<'_>, roles: &[String], expand_groups: bool) -> Result<Observed> {
    // The first role's lists go first: when the caller lacks a permission, its 403 is then met
    // once, and the other roles' reads of that list are skipped instead of each being refused.
    let (first, rest) = roles.split_at(roles.len().min(1));
    let (first_assignments, app_grants) =
        futures::future::try_join(read_assignments(reader, first), reader.photo_app_grants())
            .await?;
    let rest_assignments = read_assignments(reader, rest).await?;
    let assignments: Vec<_> = first_assignments
        .into_iter()
        .chain(rest_assignments)
        .flatten()
        .flatten()
        .collect();
    let mut observed = Observed {
        assignments,
        group_members: BTreeMap::new(),
        app_grants,
    };
    let apps_may_be_members = observed.app_grants.as_ref().is_some_and(|g| !g.is_empty());
    if expand_groups || apps_may_be_members {
        let mut groups: Vec<String> = observed
            .assignments
            .iter()
            .filter(|a| a.principal_type == PrincipalType::Group)
            .map(|a| a.principal.id.to_ascii_lowercase())
            .collect();
        groups.sort();
        groups.dedup();
        let members =
            futures::future::try_join_all(groups.iter().map(|g| reader.group_members(g))).await?;
        for (g, m) in groups.into_iter().zip(members) {
            if let Some(m) = m {
                observed.group_members.insert(g, m);
            }
        }
    }
    Ok(observed)
}

/// What Test-PhotoUpdateAccess asks (`pup_access_check`): `{"userId":…}` or
/// `{"servicePrincipalId":…}`; neither = the signed-in user or app.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckRequest {
    /// A user's object ID or user principal name.
    #[serde(default)]
    pub user_id: Option<String>,
    /// A service principal's object ID or application ID.
    #[serde(default)]
    pub service_principal_id: Option<String>,
}

/// The answer of [`check`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessCheck {
    /// The tenant.
    pub tenant_id: Option<String>,
    /// The principal and its answer.
    pub principal: PrincipalAccess,
    /// Whether the principal is the one signed in (the token's).
    pub signed_in: bool,
    /// For the signed-in user: what the service answers itself
    /// (`getAllowedOperations`: `update,delete` or empty); `None` when not asked or not readable.
    pub service_allowed_operations: Option<String>,
    /// Whether the service's own answer agrees with the prediction for the user's own photo.
    pub service_agrees: Option<bool>,
    /// The roles judged.
    pub allowed_roles: Vec<RoleView>,
    /// Whether the policy restricts who may change photos.
    pub restricted: bool,
    /// One sentence: can it, and if not why and what to do.
    pub summary: String,
    /// Parts that could not be read.
    pub warnings: Vec<String>,
    /// The permissions that would have shown them.
    pub missing_permissions: Vec<String>,
    /// Whether every part was read.
    pub complete: bool,
    /// HTTP requests sent, retries included.
    pub requests: u32,
}

/// Answers for one principal: can it change photos now, and if not why and what to do.
pub async fn check(
    client: &PolicyClient,
    request: &CheckRequest,
    ctx: &CallContext,
) -> Result<AccessCheck> {
    let user_id = request
        .user_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let sp_id = request
        .service_principal_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if user_id.is_some() && sp_id.is_some() {
        return Err(Error::invalid_argument(
            "Give a user or a service principal, not both (userId and servicePrincipalId).",
        ));
    }
    for (name, value) in [("userId", user_id), ("servicePrincipalId", sp_id)] {
        if let Some(v) = value {
            if v.len() > 320
                || v.chars()
                    .any(|c| c.is_control() || c == '/' || c == '?' || c == '#')
            {
                return Err(Error::invalid_argument(format!(
                    "{name} '{}' is not an object ID, user principal name or application ID.",
                    v.chars().take(80).collect::<String>()
                ))
                .with_target(name));
            }
        }
    }
    let counter = RequestCounter::new(0);
    let (policy, tenant) = client.read_policy(ctx, &counter).await?;
    let policy_roles = PolicyRoles::new(&policy.allowed_roles);
    let reader = Reader::new(client, ctx, &counter).await?;
    let claims = reader.claims();
    let delegated = claims.as_ref().is_some_and(|c| c.is_delegated());
    let own_oid = claims.as_ref().and_then(|c| c.oid.clone());

    let (principal_type, principal) = match (user_id, sp_id) {
        (Some(u), _) => (PrincipalType::User, reader.user(u).await?),
        (_, Some(s)) => (
            PrincipalType::ServicePrincipal,
            reader.service_principal(s).await?,
        ),
        (None, None) => {
            let Some(oid) = own_oid.clone() else {
                return Err(Error::invalid_argument(
                    "The signed-in principal cannot be read from this token: give a user \
                     (userId) or a service principal (servicePrincipalId).",
                ));
            };
            if delegated {
                let fallback = PrincipalRef {
                    id: oid.clone(),
                    user_principal_name: claims.as_ref().and_then(|c| c.upn.clone()),
                    ..PrincipalRef::default()
                };
                let found = reader.user(&oid).await.unwrap_or(fallback);
                (PrincipalType::User, found)
            } else {
                let fallback = PrincipalRef {
                    id: oid.clone(),
                    app_id: claims.as_ref().and_then(|c| c.appid.clone()),
                    ..PrincipalRef::default()
                };
                let found = reader.service_principal(&oid).await.unwrap_or(fallback);
                (PrincipalType::ServicePrincipal, found)
            }
        }
    };
    let signed_in = own_oid
        .as_deref()
        .is_some_and(|o| o.eq_ignore_ascii_case(&principal.id));

    let observed = observe(&reader, &policy_roles.roles_to_read(), true).await?;
    let apps_known = observed.app_grants.is_some();
    let all = rules::resolve(
        &policy_roles,
        &observed,
        ResolveOptions {
            expand_groups: true,
        },
    );
    let mut answer = all
        .into_iter()
        .find(|p| p.id.eq_ignore_ascii_case(&principal.id))
        .unwrap_or_else(|| {
            rules::judge_unlisted(
                &policy_roles,
                principal_type,
                principal.clone(),
                Vec::new(),
                apps_known,
            )
        });
    // The directory's names win over what a grant listing gave.
    if answer.display_name.is_none() {
        answer.display_name = principal.display_name.clone();
    }
    if answer.user_principal_name.is_none() {
        answer.user_principal_name = principal.user_principal_name.clone();
    }
    if answer.app_id.is_none() {
        answer.app_id = principal.app_id.clone();
    }

    let service_allowed_operations = if signed_in && delegated {
        reader.allowed_operations().await?
    } else {
        None
    };
    let service_agrees = match (&service_allowed_operations, answer.can_change_own_photo) {
        (Some(ops), Some(own)) => Some(
            ops.split(',')
                .any(|o| o.trim().eq_ignore_ascii_case("update"))
                == own,
        ),
        _ => None,
    };
    let who = answer
        .display_name
        .clone()
        .or(answer.user_principal_name.clone())
        .unwrap_or_else(|| answer.id.clone());
    let mut summary = if answer.can_change_others_photos {
        format!("{who} can change users' photos now. {}", answer.reason)
    } else if answer.can_change_own_photo == Some(true) {
        format!(
            "{who} can change their own photo but not other users' photos. {}",
            answer.reason
        )
    } else {
        format!("{who} cannot change photos now. {}", answer.reason)
    };
    if let Some(fix) = &answer.fix {
        summary.push_str(&format!(" To fix: {fix}"));
    }
    if service_agrees == Some(false) {
        summary.push_str(&format!(
            " The service itself answers allowedOperations '{}', which differs: role changes and \
             policy changes can take up to 24 hours to apply.",
            service_allowed_operations.as_deref().unwrap_or("")
        ));
    }
    let (warnings, missing) = reader.take_findings();
    Ok(AccessCheck {
        tenant_id: tenant,
        principal: answer,
        signed_in,
        service_allowed_operations,
        service_agrees,
        allowed_roles: policy_roles
            .allowed
            .iter()
            .map(|r| RoleView::from_id(r))
            .collect(),
        restricted: policy_roles.restricted(),
        summary,
        complete: missing.is_empty(),
        warnings,
        missing_permissions: missing,
        requests: reader.requests(),
    })
}

/// A principal named in an impact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImpactPrincipal {
    /// User, group or service principal.
    pub principal_type: PrincipalType,
    /// Object ID.
    pub id: String,
    /// Name to show.
    pub name: String,
}

/// The answer of [`impact`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessImpact {
    /// Whether the planned change touches the allowed roles at all.
    pub roles_change: bool,
    /// Whether gains and losses could be worked out (role assignments were readable).
    pub known: bool,
    /// Principals that may change others' photos after the change and not before.
    pub gains: Vec<ImpactPrincipal>,
    /// Principals that may before and not after.
    pub loses: Vec<ImpactPrincipal>,
    /// The change for every user's own photo, in words, when it changes.
    pub own_photos: Option<String>,
    /// Lines for people (the -WhatIf text).
    pub lines: Vec<String>,
    /// Parts that could not be read.
    pub warnings: Vec<String>,
    /// The permissions that would have shown them.
    pub missing_permissions: Vec<String>,
    /// HTTP requests sent, retries included.
    pub requests: u32,
}

/// What an impact says when the allowed roles stay empty (a reset of a policy without roles).
const NO_RESTRICTION: &str = "There is no role restriction: every user may change their own photo.";

/// How an impact starts the line for a change that lifts the role restriction.
const NO_RESTRICTION_AFTER: &str = "No role restriction after the change";

/// How many names a line shows before "and N more".
const NAMES_SHOWN: usize = 5;

fn named(list: &[ImpactPrincipal]) -> String {
    let names: Vec<&str> = list
        .iter()
        .take(NAMES_SHOWN)
        .map(|p| p.name.as_str())
        .collect();
    let more = list.len().saturating_sub(NAMES_SHOWN);
    let mut text = names.join(", ");
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

/// Who gains and who loses the ability to change photos if `change` is applied (nothing is
/// written). Reads the policy (the plan), then the directory once for both sides.
pub async fn impact(
    client: &PolicyClient,
    change: &ChangeRequest,
    ctx: &CallContext,
) -> Result<AccessImpact> {
    let plan = client.plan(change, ctx).await?;
    impact_of_plan(client, &plan, ctx).await
}

/// [`impact`] of a change already planned against the policy as read (a Set's or a reset's
/// plan, before the caller confirms it): the policy is not read again, only the directory.
pub async fn impact_of_plan(
    client: &PolicyClient,
    plan: &Plan,
    ctx: &CallContext,
) -> Result<AccessImpact> {
    let ids = |roles: &[RoleView]| roles.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    let before = PolicyRoles::new(&ids(&plan.before.allowed_roles));
    let after = PolicyRoles::new(&ids(&plan.after.allowed_roles));
    impact_between(client, &before, &after, ctx).await
}

/// [`impact`] between two sets of allowed roles.
pub async fn impact_between(
    client: &PolicyClient,
    before: &PolicyRoles,
    after: &PolicyRoles,
    ctx: &CallContext,
) -> Result<AccessImpact> {
    let sorted = |r: &PolicyRoles| {
        let mut v = r.allowed.clone();
        v.sort();
        v
    };
    let roles_change = sorted(before) != sorted(after);
    let counter = RequestCounter::new(0);
    if !roles_change {
        let mut lines =
            vec!["Who may change photos does not change (the allowed roles stay the same).".into()];
        if !after.restricted() {
            lines.push(NO_RESTRICTION.to_string());
        }
        return Ok(AccessImpact {
            roles_change: false,
            known: true,
            gains: Vec::new(),
            loses: Vec::new(),
            own_photos: None,
            lines,
            warnings: Vec::new(),
            missing_permissions: Vec::new(),
            requests: 0,
        });
    }
    let reader = Reader::new(client, ctx, &counter).await?;
    let mut to_read = before.roles_to_read();
    for r in after.roles_to_read() {
        if !to_read.contains(&r) {
            to_read.push(r);
        }
    }
    let observed = observe(&reader, &to_read, true).await?;
    let (warnings, missing) = reader.take_findings();
    let own_photos = match (before.restricted(), after.restricted()) {
        (false, true) => Some(
            "Every user without one of the allowed roles (active, at tenant scope) loses the \
             ability to change their own photo."
                .to_string(),
        ),
        (true, false) => Some(format!(
            "{NO_RESTRICTION_AFTER}: every user regains the ability to change their own photo."
        )),
        _ => None,
    };
    let known = !missing.iter().any(|m| m == ROLE_ASSIGNMENTS_PERMISSION);
    let mut lines = Vec::new();
    let (mut gains, mut loses) = (Vec::new(), Vec::new());
    if known {
        let options = ResolveOptions {
            expand_groups: true,
        };
        let side = |p: &PolicyRoles| -> BTreeMap<String, PrincipalAccess> {
            rules::resolve(p, &observed, options)
                .into_iter()
                .filter(|x| x.principal_type != PrincipalType::Group)
                .map(|x| (x.id.to_ascii_lowercase(), x))
                .collect()
        };
        let (b, a) = (side(before), side(after));
        let brief = |p: &PrincipalAccess| ImpactPrincipal {
            principal_type: p.principal_type,
            id: p.id.clone(),
            name: p
                .display_name
                .clone()
                .or(p.user_principal_name.clone())
                .unwrap_or_else(|| p.id.clone()),
        };
        for (id, p) in &a {
            if p.can_change_others_photos && !b.get(id).is_some_and(|x| x.can_change_others_photos)
            {
                gains.push(brief(p));
            }
        }
        for (id, p) in &b {
            if p.can_change_others_photos && !a.get(id).is_some_and(|x| x.can_change_others_photos)
            {
                loses.push(brief(p));
            }
        }
        gains.sort_by_key(|x| x.name.to_lowercase());
        loses.sort_by_key(|x| x.name.to_lowercase());
        lines.push(if gains.is_empty() {
            "Nobody gains the ability to change others' photos.".to_string()
        } else {
            format!(
                "{} gain{} the ability to change others' photos: {}.",
                gains.len(),
                if gains.len() == 1 { "s" } else { "" },
                named(&gains)
            )
        });
        lines.push(if loses.is_empty() {
            "Nobody loses the ability to change others' photos.".to_string()
        } else {
            format!(
                "{} lose{} the ability to change others' photos: {}.",
                loses.len(),
                if loses.len() == 1 { "s" } else { "" },
                named(&loses)
            )
        });
    } else {
        lines.push(format!(
            "Who gains or loses the ability to change photos is not shown: reading role \
             assignments needs {ROLE_ASSIGNMENTS_PERMISSION}."
        ));
    }
    if let Some(o) = &own_photos {
        lines.push(o.clone());
    }
    Ok(AccessImpact {
        roles_change: true,
        known,
        gains,
        loses,
        own_photos,
        lines,
        warnings,
        missing_permissions: missing,
        requests: reader.requests(),
    })
}

/// One tenant's entry of [`get_many`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantAccess {
    /// Position of the tenant's client in the request.
    pub index: usize,
    /// The tenant (configured, else the report's).
    pub tenant_id: Option<String>,
    /// The answer; `None` when the tenant failed.
    pub report: Option<AccessReport>,
    /// Time spent on this tenant, milliseconds.
    pub elapsed_ms: u64,
    /// Why the tenant failed (the ffi layer writes it as the error JSON of docs/c-abi.md).
    #[serde(skip)]
    pub error: Option<Error>,
}

/// [`get`] for many tenants (one client each), at most `concurrency` at a time. One tenant's
/// failure is recorded in its entry and never stops the others; cancelling stops all.
pub async fn get_many(
    clients: &[&PolicyClient],
    request: &AccessRequest,
    concurrency: usize,
    ctx: &CallContext,
) -> Result<Vec<TenantAccess>> {
    if concurrency == 0 || concurrency > crate::fleet::MAX_CONCURRENCY {
        return Err(Error::invalid_argument(format!(
            "Invalid concurrency {concurrency}: give 1 to {} tenants at a time.",
            crate::fleet::MAX_CONCURRENCY
        ))
        .with_target("concurrency"));
    }
    let mut results: Vec<Option<TenantAccess>> = (0..clients.len()).map(|_| None).collect();
    let mut finished = stream::iter(clients.iter().enumerate())
        .map(|(index, client)| async move {
            let started = Instant::now();
            let outcome = get(client, request, ctx).await;
            let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            let configured = client.config().tenant_id.clone();
            match outcome {
                Ok(report) => TenantAccess {
                    index,
                    tenant_id: configured.or(report.tenant_id.clone()),
                    report: Some(report),
                    elapsed_ms,
                    error: None,
                },
                Err(e) => TenantAccess {
                    index,
                    tenant_id: configured,
                    report: None,
                    elapsed_ms,
                    error: Some(e),
                },
            }
        })
        .buffer_unordered(concurrency);
    loop {
        let next = tokio::select! {
            biased;
            _ = ctx.cancel.cancelled() => return Err(Error::cancelled()),
            n = finished.next() => n,
        };
        let Some(entry) = next else { break };
        if entry
            .error
            .as_ref()
            .is_some_and(|e| e.kind() == ErrorKind::Cancelled)
            && ctx.cancel.is_cancelled()
        {
            return Err(Error::cancelled());
        }
        let i = entry.index;
        results[i] = Some(entry);
    }
    Ok(results.into_iter().flatten().collect())
}
