//! Change planning: from the current policy and a [`ChangeRequest`], the minimal PATCH body (only
//! what changes), the policy it leads to, and a description an admin can read before confirming.
//!
//! Planning is pure (no I/O), so `-WhatIf` and the real write share one code path.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::cloud::Cloud;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{describe_roles, display_source, Policy, PolicyView, RoleView, Source};
use crate::roles::{self, ResolvedRole};

/// What the caller wants changed (the change-request JSON of docs/c-abi.md). Every field is
/// optional; at least one change is required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeRequest {
    /// `cloud`, `onPremises` or `notSet` (any casing). Kept as text so a wrong value gets an
    /// InvalidArgument naming it, not a JSON shape error.
    #[serde(default)]
    pub source: Option<String>,
    /// The complete list of allowed roles (names, aliases or template IDs); `[]` lifts the
    /// restriction. Cannot be combined with add/remove.
    #[serde(default)]
    pub allowed_roles: Option<Vec<String>>,
    /// Roles to add to the current list.
    #[serde(default)]
    pub add_allowed_roles: Option<Vec<String>>,
    /// Roles to remove from the current list (absent ones give a warning, not an error).
    #[serde(default)]
    pub remove_allowed_roles: Option<Vec<String>>,
    /// Let well-formed role template IDs outside the catalog through, with a warning.
    #[serde(default)]
    pub allow_unknown_role_ids: bool,
    /// Send roles the service refuses in `allowedRoles` (see [`roles::check_service_accepts`]),
    /// with a warning; without it they are refused before anything is sent.
    #[serde(default)]
    pub allow_service_refused_roles: bool,
    /// A file or folder where the policy before the change is written (an Export document)
    /// before anything is sent; if it cannot be written, nothing is sent. See [`crate::backup`].
    #[serde(default)]
    pub backup_path: Option<String>,
}

impl ChangeRequest {
    /// Parses the change-request JSON. Wrong shapes and unknown fields → [`ErrorKind::InvalidJson`]
    /// naming the problem.
    pub fn from_json(text: &str) -> Result<ChangeRequest> {
        let checked = crate::json_input::check_object(text).map_err(|e| e.to_string());
        checked
            .and_then(|()| serde_json::from_str(text).map_err(|e| e.to_string()))
            .map_err(|e| {
                Error::new(
                    ErrorKind::InvalidJson,
                    format!(
                    "The change request is not valid: {e}. Expected fields: source, allowedRoles, \
                     addAllowedRoles, removeAllowedRoles, allowUnknownRoleIds, \
                         allowServiceRefusedRoles, backupPath."
                ),
                )
            })
    }
}

/// A requested source, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceChange {
    /// Photos managed in the cloud.
    Cloud,
    /// Photos from on-premises Active Directory.
    OnPremises,
    /// Clear the setting (the tenant default).
    NotSet,
}

impl SourceChange {
    /// Parses `cloud`, `onPremises` or `notSet` in any casing (whitespace trimmed).
    pub fn parse(value: &str) -> Result<SourceChange> {
        let v = value.trim();
        if v.eq_ignore_ascii_case("cloud") {
            Ok(SourceChange::Cloud)
        } else if v.eq_ignore_ascii_case("onPremises") {
            Ok(SourceChange::OnPremises)
        } else if v.eq_ignore_ascii_case("notSet") {
            Ok(SourceChange::NotSet)
        } else {
            Err(Error::invalid_argument(format!(
                "Invalid source '{value}'. Allowed values: Cloud, OnPremises, NotSet (clears the setting)."
            ))
            .with_target(value.to_string()))
        }
    }

    /// The spelling users read: `Cloud`, `OnPremises`, `NotSet`.
    pub fn display(self) -> &'static str {
        match self {
            SourceChange::Cloud => "Cloud",
            SourceChange::OnPremises => "OnPremises",
            SourceChange::NotSet => "NotSet",
        }
    }

    fn target(self) -> Option<Source> {
        match self {
            SourceChange::Cloud => Some(Source::Cloud),
            SourceChange::OnPremises => Some(Source::OnPremises),
            SourceChange::NotSet => None,
        }
    }
}

/// One property that changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyChange {
    /// Wire name of the property (`source`, `allowedRoles`).
    pub property: String,
    /// The value now (wire form: `null`, a source value, or an array of role IDs).
    pub before: Value,
    /// The value after the change (wire form).
    pub after: Value,
}

/// The plan for one change request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// The policy now.
    pub before: PolicyView,
    /// The policy once the change is applied.
    pub after: PolicyView,
    /// Each property that changes.
    pub changes: Vec<PropertyChange>,
    /// The PATCH body: every property the request names (so two concurrent changes naming the
    /// same properties cannot leave a mix of both), sent only when something differs; `None`
    /// when nothing changes. `allowedRoles` is `null` when it is cleared on a source other than
    /// cloud (the service wants no roles section there).
    pub patch_body: Option<Value>,
    /// Whether anything changes.
    pub has_changes: bool,
    /// For people: `Source: NotSet → Cloud; Allowed roles: (everyone) → Global Administrator`.
    pub description: String,
    /// Deprecated roles, IDs outside the catalog, removals of roles that are not there.
    pub warnings: Vec<String>,
}

/// The result of an apply (`pup_policy_apply`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyOutcome {
    /// The plan that was applied.
    pub plan: Plan,
    /// Whether a write was sent (false when nothing had to change).
    pub applied: bool,
    /// What the write did, as read back: `Applied` (a failed or uncertain write is an error
    /// carrying its outcome instead); `None` when nothing had to change.
    pub outcome: Option<crate::error::WriteOutcome>,
    /// The policy before.
    pub previous: PolicyView,
    /// The policy after, as the service reports it.
    pub current: PolicyView,
    /// HTTP requests sent, retries included.
    pub requests: u32,
    /// The backup written before the change (see [`ChangeRequest::backup_path`]); `None` when
    /// none was asked for or nothing had to change.
    pub backup_path: Option<String>,
}

/// Options of a reset (`pup_policy_reset`'s options JSON); every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResetOptions {
    /// A file or folder where the policy before the reset is written before anything is sent.
    #[serde(default)]
    pub backup_path: Option<String>,
}

/// How a reset reached the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ResetMethod {
    /// `PATCH {"source":null,"allowedRoles":null}`.
    Patch,
    /// `DELETE` on the resource (fallback when the PATCH is refused or does not take).
    Delete,
    /// The policy was already at the defaults: nothing was written.
    AlreadyDefault,
}

/// The result of a reset (`pup_policy_reset`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetOutcome {
    /// The policy before.
    pub previous: PolicyView,
    /// The policy read back after the reset.
    pub current: PolicyView,
    /// How the defaults were reached.
    pub method: ResetMethod,
    /// Whether reading back proved the defaults (always true in a returned outcome: a reset that
    /// cannot be proven is an [`ErrorKind::ResetNotVerified`] error).
    pub verified: bool,
    /// HTTP requests sent, retries included.
    pub requests: u32,
    /// The backup written before the reset (see [`ResetOptions::backup_path`]); `None` when none
    /// was asked for or the policy was already at the defaults.
    pub backup_path: Option<String>,
}

/// A change request with its values checked and resolved once: the source parsed, every role
/// name, alias or ID looked up in the catalog, the combinations and the rules that do not depend
/// on the tenant checked. Planning it against a policy ([`plan_resolved`]) needs no more look-ups,
/// so a caller resolves first (before anything is sent) and plans against each read of the policy.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedChange {
    /// `Some(None)` clears the source; `None` leaves it.
    source: Option<Option<Source>>,
    roles: RoleChange,
    /// Deprecated roles, IDs outside the catalog, refused roles let through (found while
    /// resolving).
    warnings: Vec<String>,
    backup_path: Option<String>,
}

/// What a change does to the allowed roles.
#[derive(Debug, Clone, PartialEq)]
enum RoleChange {
    /// Leave them.
    Keep,
    /// Replace the list with these template IDs (no duplicates, in the order given).
    Replace(Vec<String>),
    /// Remove these roles, then add those.
    Modify {
        add: Vec<ResolvedRole>,
        remove: Vec<ResolvedRole>,
    },
}

impl ResolvedChange {
    /// Whether the change edits the current role list (`addAllowedRoles`/`removeAllowedRoles`):
    /// its result depends on what was read, so another writer in between can undo it.
    pub fn modifies_roles(&self) -> bool {
        matches!(self.roles, RoleChange::Modify { .. })
    }

    /// Where the policy before the change is saved first ([`ChangeRequest::backup_path`]).
    pub fn backup_path(&self) -> Option<&str> {
        self.backup_path.as_deref()
    }

    /// The same change, saving the policy before it to `backup_path` instead.
    pub fn with_backup_path(mut self, backup_path: Option<String>) -> ResolvedChange {
        self.backup_path = backup_path;
        self
    }
}

/// Checks `change` without the tenant's policy: everything that can be refused before anything
/// is sent. Errors are those of [`resolve_change`].
pub fn validate(change: &ChangeRequest) -> Result<()> {
    resolve_change(change).map(|_| ())
}

/// Checks and resolves `change` (see [`ResolvedChange`]); nothing is read or sent.
///
/// Errors ([`ErrorKind::InvalidArgument`]): an empty request; `allowedRoles` combined with
/// add/remove; a role both added and removed; an invalid source or role value; a role the
/// service refuses without `allowServiceRefusedRoles`; roles asked for with a source other than
/// cloud.
pub fn resolve_change(change: &ChangeRequest) -> Result<ResolvedChange> {
    let has_role_list = change.allowed_roles.is_some();
    let has_add_remove =
        change.add_allowed_roles.is_some() || change.remove_allowed_roles.is_some();
    if change.source.is_none() && !has_role_list && !has_add_remove {
        return Err(Error::invalid_argument(
            "The change request asks for no change. Give at least one of: source, allowedRoles, \
             addAllowedRoles, removeAllowedRoles.",
        ));
    }
    if has_role_list && has_add_remove {
        return Err(Error::invalid_argument(
            "allowedRoles replaces the whole list and cannot be combined with addAllowedRoles or \
             removeAllowedRoles. Use either the full list, or additions and removals.",
        ));
    }

    let mut warnings = Vec::new();
    let allow_unknown = change.allow_unknown_role_ids;
    // `granting`: roles that would be put into the list, which must be ones the service accepts
    // (a removal may name any role that is there).
    let mut resolve_all = |inputs: &[String], granting: bool| -> Result<Vec<ResolvedRole>> {
        let mut out: Vec<ResolvedRole> = Vec::new();
        for input in inputs {
            let role = roles::resolve_one(input, allow_unknown)?;
            let refused = if granting {
                roles::check_service_accepts(&role, change.allow_service_refused_roles)?
            } else {
                None
            };
            for w in refused.into_iter().chain(role.warning()) {
                if !warnings.contains(&w) {
                    warnings.push(w);
                }
            }
            // Duplicates are dropped; the first occurrence keeps its place.
            if !out.iter().any(|r| r.id == role.id) {
                out.push(role);
            }
        }
        Ok(out)
    };

    let source = match &change.source {
        Some(s) => Some(SourceChange::parse(s)?),
        None => None,
    };
    let (roles, granted) = if let Some(list) = &change.allowed_roles {
        let list = resolve_all(list, true)?;
        let granted: Vec<String> = list.iter().map(|r| r.label().to_string()).collect();
        (
            RoleChange::Replace(list.into_iter().map(|r| r.id).collect()),
            granted,
        )
    } else if has_add_remove {
        let add = resolve_all(
            change.add_allowed_roles.as_deref().unwrap_or_default(),
            true,
        )?;
        let remove = resolve_all(
            change.remove_allowed_roles.as_deref().unwrap_or_default(),
            false,
        )?;
        if let Some(both) = add.iter().find(|a| remove.iter().any(|r| r.id == a.id)) {
            return Err(Error::invalid_argument(format!(
                "Role '{}' is both added and removed; ask for one or the other.",
                both.label()
            ))
            .with_target(both.input.clone()));
        }
        let granted: Vec<String> = add.iter().map(|r| r.label().to_string()).collect();
        (RoleChange::Modify { add, remove }, granted)
    } else {
        (RoleChange::Keep, Vec::new())
    };

    // Roles only with source cloud: a request that sets another source and grants roles in the
    // same breath can never be right, whatever the tenant holds.
    if let Some(s @ (SourceChange::OnPremises | SourceChange::NotSet)) = source {
        if !granted.is_empty() {
            return Err(roles_need_cloud(
                s.display(),
                &granted.join(", "),
                "asks for",
            ));
        }
    }

    Ok(ResolvedChange {
        source: source.map(SourceChange::target),
        roles,
        warnings,
        backup_path: change.backup_path.clone(),
    })
}

/// The refusal of roles with a source other than cloud, naming the fix.
fn roles_need_cloud(source: &str, roles: &str, verb: &str) -> Error {
    Error::invalid_argument(format!(
        "Allowed roles can be set only when the source is Cloud: the service refuses roles for \
         any other source (\"Roles should be passed only for cloud photo update settings\"). \
         This change {verb} the source {source} with the allowed roles {roles}. Lift the role \
         restriction in the same call (-AllowedRoles @()), or set the source to Cloud \
         (-Source Cloud)."
    ))
    .with_target("allowedRoles")
    .with_recommended_action(
        "Set-PhotoUpdatePolicy -Source OnPremises -AllowedRoles @() changes both in one request; \
         Set-PhotoUpdatePolicy -Source Cloud -AllowedRoles 'People Administrator' restricts roles.",
    )
}

/// Computes the plan of `change` against `current`: [`resolve_change`], then [`plan_resolved`].
pub fn plan_change(
    current: &Policy,
    change: &ChangeRequest,
    tenant_id: Option<String>,
    cloud: Cloud,
) -> Result<Plan> {
    plan_resolved(current, &resolve_change(change)?, tenant_id, cloud)
}

/// Computes the plan of an already resolved `change` against `current` (pure, no look-ups).
///
/// Errors ([`ErrorKind::InvalidArgument`]): a change that would leave roles on a policy whose
/// source is not cloud.
pub fn plan_resolved(
    current: &Policy,
    change: &ResolvedChange,
    tenant_id: Option<String>,
    cloud: Cloud,
) -> Result<Plan> {
    let mut warnings = change.warnings.clone();
    let target_source = change.source.clone();

    // The current list, normalised (trimmed, lower-case GUIDs) and without duplicates, so
    // comparisons are about roles, not spelling.
    let mut current_ids: Vec<String> = Vec::new();
    for r in &current.allowed_roles {
        let id = roles::normalize_guid(r).unwrap_or_else(|| r.trim().to_string());
        if !current_ids.contains(&id) {
            current_ids.push(id);
        }
    }

    let target_roles: Option<Vec<String>> = match &change.roles {
        RoleChange::Keep => None,
        RoleChange::Replace(ids) => Some(ids.clone()),
        RoleChange::Modify { add, remove } => {
            let mut ids = current_ids.clone();
            for r in remove {
                if ids.contains(&r.id) {
                    ids.retain(|id| id != &r.id);
                } else {
                    warnings.push(format!(
                        "{} is not in the allowed roles; nothing to remove.",
                        r.label()
                    ));
                }
            }
            for a in add {
                if !ids.contains(&a.id) {
                    ids.push(a.id.clone());
                }
            }
            Some(ids)
        }
    };

    // Roles only with source cloud, judged on the policy the change leads to.
    let final_source = target_source
        .clone()
        .unwrap_or_else(|| current.source.clone());
    let final_roles = target_roles.as_ref().unwrap_or(&current_ids);
    let changes_source = target_source.as_ref().is_some_and(|t| t != &current.source);
    let changes_roles = target_roles
        .as_ref()
        .is_some_and(|t| !same_set(t, &current_ids));
    if final_source != Some(Source::Cloud)
        && !final_roles.is_empty()
        && (changes_source || changes_roles)
    {
        let names: Vec<String> = final_roles
            .iter()
            .map(|id| RoleView::from_id(id).label().to_string())
            .collect();
        return Err(roles_need_cloud(
            &display_source(final_source.as_ref()),
            &names.join(", "),
            "leaves",
        ));
    }

    let mut after = current.clone();
    let mut changes = Vec::new();
    let mut parts = Vec::new();

    if let Some(target) = &target_source {
        if changes_source {
            parts.push(format!(
                "Source: {} → {}",
                display_source(current.source.as_ref()),
                display_source(target.as_ref())
            ));
            changes.push(PropertyChange {
                property: "source".into(),
                before: source_value(current.source.as_ref()),
                after: source_value(target.as_ref()),
            });
            after.source = target.clone();
        }
    }

    // The roles as sent: `null` when cleared on a source other than cloud ("when the source is
    // set to onPremises the allowedRoles section must be null"); the full list otherwise (never
    // a delta, so the PATCH is idempotent).
    let roles_value = |ids: &[String]| -> Value {
        if ids.is_empty() && final_source != Some(Source::Cloud) {
            Value::Null
        } else {
            Value::Array(ids.iter().cloned().map(Value::String).collect())
        }
    };
    if let Some(target) = &target_roles {
        if changes_roles {
            let before_views: Vec<RoleView> =
                current_ids.iter().map(|id| RoleView::from_id(id)).collect();
            let after_views: Vec<RoleView> =
                target.iter().map(|id| RoleView::from_id(id)).collect();
            parts.push(format!(
                "Allowed roles: {} → {}",
                describe_roles(&before_views),
                describe_roles(&after_views)
            ));
            changes.push(PropertyChange {
                property: "allowedRoles".into(),
                before: Value::Array(
                    current
                        .allowed_roles
                        .iter()
                        .cloned()
                        .map(Value::String)
                        .collect(),
                ),
                after: roles_value(target),
            });
            after.allowed_roles = target.clone();
        }
    }

    let before_view = PolicyView::new(current, tenant_id.clone(), cloud);
    let has_changes = !changes.is_empty();
    // Something differs: send every property the caller named, so the request states the whole
    // intent (two concurrent changes naming both properties cannot interleave into a mix).
    let patch_body = has_changes.then(|| {
        let mut patch = Map::new();
        if let Some(target) = &target_source {
            patch.insert("source".into(), source_value(target.as_ref()));
        }
        if let Some(target) = &target_roles {
            patch.insert("allowedRoles".into(), roles_value(target));
        }
        Value::Object(patch)
    });
    let description = if has_changes {
        parts.join("; ")
    } else {
        format!(
            "No changes: the policy already matches ({}).",
            before_view.summary()
        )
    };
    Ok(Plan {
        after: PolicyView::new(&after, tenant_id, cloud),
        before: before_view,
        changes,
        patch_body,
        has_changes,
        description,
        warnings,
    })
}

/// The restriction is a set of roles: the same roles in another order are no change.
fn same_set(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().all(|id| b.contains(id))
}

fn source_value(source: Option<&Source>) -> Value {
    source.map_or(Value::Null, |s| Value::String(s.as_wire().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
    const UA: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
    const PA: &str = "024906de-61e5-49c8-8572-40335f1e0e10";

    fn policy(v: Value) -> Policy {
        Policy::from_json(&v).unwrap()
    }

    fn req(v: Value) -> ChangeRequest {
        ChangeRequest::from_json(&v.to_string()).unwrap()
    }

    fn plan(current: Value, change: Value) -> Result<Plan> {
        plan_change(&policy(current), &req(change), None, Cloud::Global)
    }

    #[test]
    fn set_source_and_roles_from_default() {
        let p = plan(
            json!({"source": null, "allowedRoles": null}),
            json!({"source": "cloud", "allowedRoles": ["Global Administrator", "UserAdmin"]}),
        )
        .unwrap();
        assert!(p.has_changes);
        assert_eq!(
            p.patch_body,
            Some(json!({"source": "cloud", "allowedRoles": [GA, UA]}))
        );
        assert_eq!(
            p.description,
            "Source: NotSet → Cloud; Allowed roles: (everyone) → Global Administrator, User Administrator"
        );
        assert_eq!(p.after.source.as_deref(), Some("cloud"));
        assert_eq!(p.after.allowed_roles.len(), 2);
        assert_eq!(p.before.source, None);
        assert_eq!(p.changes.len(), 2);
        assert_eq!(p.changes[0].property, "source");
        assert_eq!(p.changes[0].before, Value::Null);
        assert_eq!(p.changes[1].after, json!([GA, UA]));
    }

    #[test]
    fn a_change_sends_every_property_named_and_describes_what_differs() {
        // Only the roles differ, but the caller named both: both travel, so two concurrent Sets
        // naming both properties cannot leave a mix of the two.
        let p = plan(
            json!({"source": "cloud", "allowedRoles": [GA]}),
            json!({"source": "CLOUD", "allowedRoles": ["PeopleAdmin"]}),
        )
        .unwrap();
        assert_eq!(
            p.patch_body,
            Some(json!({"source": "cloud", "allowedRoles": [PA]}))
        );
        assert_eq!(
            p.description,
            "Allowed roles: Global Administrator → People Administrator"
        );
        assert_eq!(p.changes.len(), 1);
        // Only what is named travels.
        let p = plan(
            json!({"source": "cloud", "allowedRoles": [GA]}),
            json!({"addAllowedRoles": ["PeopleAdmin"]}),
        )
        .unwrap();
        assert_eq!(p.patch_body, Some(json!({"allowedRoles": [GA, PA]})));
        let p = plan(
            json!({"source": "onPremises", "allowedRoles": []}),
            json!({"source": "cloud"}),
        )
        .unwrap();
        assert_eq!(p.patch_body, Some(json!({"source": "cloud"})));
        assert_eq!(p.description, "Source: OnPremises → Cloud");
    }

    #[test]
    fn roles_with_a_source_other_than_cloud_are_refused_naming_the_fix() {
        for (current, change) in [
            // Switching away from cloud while roles are set.
            (
                json!({"source": "cloud", "allowedRoles": [GA]}),
                json!({"source": "onPremises"}),
            ),
            (
                json!({"source": "cloud", "allowedRoles": [GA]}),
                json!({"source": "notSet"}),
            ),
            (
                json!({"source": "cloud", "allowedRoles": [GA]}),
                json!({"source": "onPremises", "allowedRoles": ["GA"]}),
            ),
            // Restricting roles on an on-premises policy, or one whose source is not set.
            (
                json!({"source": "onPremises"}),
                json!({"allowedRoles": ["PeopleAdmin"]}),
            ),
            (
                json!({"source": null}),
                json!({"addAllowedRoles": ["PeopleAdmin"]}),
            ),
            (json!({}), json!({"allowedRoles": ["GA"]})),
        ] {
            let err = plan(current.clone(), change.clone()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{current} {change}");
            let m = err.message();
            assert!(m.contains("only when the source is Cloud"), "{m}");
            assert!(m.contains("-AllowedRoles @()"), "{m}");
            assert!(m.contains("-Source Cloud"), "{m}");
            assert!(!m.contains("not set") && !m.contains("onPremises"), "{m}");
        }
        // The same request refused before the policy is read, whatever the tenant holds.
        for change in [
            json!({"source": "onPremises", "allowedRoles": ["GA"]}),
            json!({"source": "notSet", "addAllowedRoles": ["PeopleAdmin"]}),
        ] {
            let err = validate(&req(change.clone())).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{change}");
            assert!(err.message().contains("-AllowedRoles @()"));
        }
        // Restricting roles is fine when the same call sets the source to cloud.
        let p = plan(
            json!({"source": "onPremises"}),
            json!({"source": "cloud", "allowedRoles": ["PeopleAdmin"]}),
        )
        .unwrap();
        assert_eq!(
            p.patch_body,
            Some(json!({"source": "cloud", "allowedRoles": [PA]}))
        );
        // A policy already inconsistent is not refused for a change that does not touch it.
        let p = plan(
            json!({"source": "onPremises", "allowedRoles": [GA]}),
            json!({"source": "onPremises"}),
        )
        .unwrap();
        assert!(!p.has_changes);
    }

    #[test]
    fn leaving_cloud_with_the_fix_sends_one_patch_with_roles_null() {
        for (source, wire) in [("onPremises", json!("onPremises")), ("notSet", Value::Null)] {
            let p = plan(
                json!({"source": "cloud", "allowedRoles": [GA, PA]}),
                json!({"source": source, "allowedRoles": []}),
            )
            .unwrap();
            assert_eq!(
                p.patch_body,
                Some(json!({"source": wire, "allowedRoles": null})),
                "{source}"
            );
            assert!(p.after.allowed_roles.is_empty());
        }
        // Clearing roles left on an on-premises policy: null too.
        let p = plan(
            json!({"source": "onPremises", "allowedRoles": [GA]}),
            json!({"allowedRoles": []}),
        )
        .unwrap();
        assert_eq!(p.patch_body, Some(json!({"allowedRoles": null})));
        let p = plan(
            json!({"source": "onPremises", "allowedRoles": [GA]}),
            json!({"removeAllowedRoles": ["GA"]}),
        )
        .unwrap();
        assert_eq!(p.patch_body, Some(json!({"allowedRoles": null})));
        // With source cloud, lifting the restriction sends [].
        let p = plan(
            json!({"source": "cloud", "allowedRoles": [GA]}),
            json!({"allowedRoles": []}),
        )
        .unwrap();
        assert_eq!(p.patch_body, Some(json!({"allowedRoles": []})));
    }

    #[test]
    fn roles_the_service_refuses_need_the_opt_in() {
        let err = plan(
            json!({"source": "cloud"}),
            json!({"allowedRoles": ["GA", "Directory Writers"]}),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err
            .message()
            .contains("Directory Writers holds the permission"));
        assert_eq!(err.target(), Some("Directory Writers"));
        assert!(validate(&req(json!({"addAllowedRoles": ["IntuneAdmin"]}))).is_err());
        // Removing one is always fine (it may be there from before).
        let p = plan(
            json!({"source": "cloud", "allowedRoles": [GA, "9360feb5-f418-4baa-8175-e2a00bac4301"]}),
            json!({"removeAllowedRoles": ["Directory Writers"]}),
        )
        .unwrap();
        assert_eq!(p.patch_body, Some(json!({"allowedRoles": [GA]})));
        // With the opt-in it is sent, with a warning.
        let p = plan(
            json!({"source": "cloud"}),
            json!({"allowedRoles": ["Directory Writers"], "allowServiceRefusedRoles": true}),
        )
        .unwrap();
        assert_eq!(
            p.patch_body,
            Some(json!({"allowedRoles": ["9360feb5-f418-4baa-8175-e2a00bac4301"]}))
        );
        assert!(
            p.warnings[0].contains("-AllowRefusedRole"),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn no_change_has_no_patch_body() {
        for (current, change) in [
            (json!({"source": "cloud"}), json!({"source": "Cloud"})),
            (json!({"allowedRoles": {}}), json!({"allowedRoles": []})),
            (json!({"allowedRoles": null}), json!({"source": "notSet"})),
            (
                json!({"allowedRoles": [UA, GA]}),
                json!({"allowedRoles": ["GA", "UA", "ga"]}),
            ),
            (
                json!({"allowedRoles": [GA]}),
                json!({"addAllowedRoles": ["GA"]}),
            ),
        ] {
            let p = plan(current.clone(), change.clone()).unwrap();
            assert!(!p.has_changes, "{current} {change}");
            assert_eq!(p.patch_body, None);
            assert!(p.changes.is_empty());
            assert!(p.description.starts_with("No changes"), "{}", p.description);
            assert_eq!(serde_json::to_value(&p).unwrap()["patchBody"], Value::Null);
        }
    }

    #[test]
    fn clear_source_and_clear_roles() {
        let p = plan(
            json!({"source": "onPremises", "allowedRoles": [GA]}),
            json!({"source": "notSet", "allowedRoles": []}),
        )
        .unwrap();
        assert_eq!(
            p.patch_body,
            Some(json!({"source": null, "allowedRoles": null}))
        );
        assert_eq!(
            p.description,
            "Source: OnPremises → NotSet; Allowed roles: Global Administrator → (everyone)"
        );
        assert!(p.after.is_default());
    }

    #[test]
    fn add_and_remove_keep_order_and_drop_duplicates() {
        let p = plan(
            json!({"source": "cloud", "allowedRoles": [GA, UA]}),
            json!({"addAllowedRoles": ["PeopleAdmin", "GA", "people administrator"], "removeAllowedRoles": ["UserAdmin"]}),
        )
        .unwrap();
        assert_eq!(p.patch_body, Some(json!({"allowedRoles": [GA, PA]})));
        assert!(p.warnings.is_empty());
    }

    #[test]
    fn removing_an_absent_role_warns() {
        let p = plan(
            json!({"allowedRoles": [GA]}),
            json!({"removeAllowedRoles": ["People Administrator"]}),
        )
        .unwrap();
        assert!(!p.has_changes);
        assert_eq!(p.warnings.len(), 1);
        assert!(p.warnings[0].contains("People Administrator is not in the allowed roles"));
    }

    #[test]
    fn duplicates_in_a_full_list_are_removed() {
        let p = plan(
            json!({"source": "cloud"}),
            json!({"allowedRoles": ["UA", "GA", UA, "{FE930BE7-5E62-47DB-91AF-98C3A49A38B1}"]}),
        )
        .unwrap();
        assert_eq!(p.patch_body, Some(json!({"allowedRoles": [UA, GA]})));
    }

    #[test]
    fn invalid_requests_are_invalid_argument() {
        for change in [
            json!({}),
            json!({"allowUnknownRoleIds": true}),
            json!({"allowedRoles": ["GA"], "addAllowedRoles": ["UA"]}),
            json!({"allowedRoles": [], "removeAllowedRoles": ["UA"]}),
            json!({"addAllowedRoles": ["GA"], "removeAllowedRoles": ["GlobalAdmin"]}),
            json!({"source": "hybrid"}),
            json!({"allowedRoles": ["Nobody"]}),
        ] {
            let err = plan(json!({}), change.clone()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{change}");
        }
        let err = plan(json!({}), json!({"source": "hybrid"})).unwrap_err();
        assert!(err.message().contains("'hybrid'"));
        assert!(err.message().contains("Cloud, OnPremises, NotSet"));
    }

    #[test]
    fn unknown_fields_are_invalid_json() {
        let err = ChangeRequest::from_json(r#"{"sources":"cloud"}"#).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidJson);
        assert!(err.message().contains("sources"));
        let err = ChangeRequest::from_json(r#"{"allowedRoles":"GA"}"#).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidJson);
    }

    #[test]
    fn deprecated_and_unknown_roles_warn() {
        let p = plan(
            json!({"source": "cloud"}),
            json!({"allowedRoles": ["PartnerTier2", "11111111-2222-3333-4444-555555555555"], "allowUnknownRoleIds": true, "allowServiceRefusedRoles": true}),
        )
        .unwrap();
        assert_eq!(p.warnings.len(), 3);
        assert!(p.warnings[0].contains("Partner Tier2 Support is sent because -AllowRefusedRole"));
        assert!(p.warnings[1].contains("Partner Tier2 Support is a deprecated role"));
        assert!(p.warnings[2].contains("11111111-2222-3333-4444-555555555555"));
        assert!(p.warnings[2].contains("-AllowUnknownRoleId"));
        assert_eq!(
            p.description,
            "Allowed roles: (everyone) → Partner Tier2 Support, 11111111-2222-3333-4444-555555555555"
        );
    }

    #[test]
    fn additional_properties_survive_into_the_after_view() {
        let p = plan(
            json!({"source": "cloud", "futureThing": true}),
            json!({"source": "onPremises"}),
        )
        .unwrap();
        assert_eq!(p.after.additional_properties["futureThing"], json!(true));
        assert_eq!(p.patch_body, Some(json!({"source": "onPremises"})));
    }

    #[test]
    fn unknown_current_source_is_replaced_and_described() {
        let p = plan(
            json!({"source": "unknownFutureValue"}),
            json!({"source": "cloud"}),
        )
        .unwrap();
        assert_eq!(p.description, "Source: unknownFutureValue → Cloud");
    }

    #[test]
    fn plan_json_has_the_c_abi_shape() {
        let p = plan(json!({"source": "cloud"}), json!({"source": "onPremises"})).unwrap();
        let v = serde_json::to_value(&p).unwrap();
        for key in [
            "before",
            "after",
            "changes",
            "patchBody",
            "hasChanges",
            "description",
            "warnings",
        ] {
            assert!(v.get(key).is_some(), "{key}");
        }
        assert_eq!(
            v["changes"][0],
            json!({"property": "source", "before": "cloud", "after": "onPremises"})
        );
        assert_eq!(
            serde_json::to_value(ResetMethod::AlreadyDefault).unwrap(),
            json!("alreadyDefault")
        );
    }
}
