//! The resolution rules: from what the directory shows (role assignments and eligibilities,
//! group members, Microsoft Graph application permissions) and the policy's allowed roles, who
//! may change photos, why, and what to do about it. Pure: no I/O, so every rule is tested on its
//! own (core/tests/access.rs runs them against the emulator's enforcement too).
//!
//! The rules, as graph-photo-policy.md describes the service:
//! - No restriction (`allowedRoles` empty): every user may change their own photo; changing
//!   someone else's needs a role that holds the photo permission (the catalog's roles), active,
//!   at tenant scope; an app needs a Graph application permission that writes photos.
//! - Restricted: only holders of an allowed role, **active** (an eligible PIM assignment counts
//!   only once activated), directly or through a role-assignable group, at **tenant scope** `/`
//!   may change photos (their own included). A holder scoped to an administrative unit is refused
//!   with 403 `ForbiddenByPolicy` (`invalid_role`); anyone else with 403
//!   `ForbiddenByAdminEditPolicy` — apps with a photo-writing permission included.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::roles;

/// Template ID of People Administrator, the least privileged role that manages photos.
pub const PEOPLE_ADMINISTRATOR: &str = "024906de-61e5-49c8-8572-40335f1e0e10";
/// Template ID of User Administrator.
pub const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
/// Template ID of Global Administrator.
pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";

/// Microsoft Graph application permissions that write profile photos: (name, app role ID), from
/// Microsoft Graph's permissions reference.
pub const PHOTO_WRITE_APP_PERMISSIONS: [(&str, &str); 3] = [
    (
        "ProfilePhoto.ReadWrite.All",
        "27baa7f6-5dfb-4ba8-b1d3-1e812c143013",
    ),
    ("User.ReadWrite.All", "741f803b-c850-494e-b5df-cde7c675a1ca"),
    (
        "Directory.ReadWrite.All",
        "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
    ),
];

/// What kind of directory object holds a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PrincipalType {
    /// A user.
    User,
    /// A (role-assignable) group: its members hold the role.
    Group,
    /// A service principal: an app or a managed identity.
    ServicePrincipal,
    /// Every user of the tenant (the entry that says, with no restriction, that everyone may
    /// change their own photo).
    AllUsers,
}

impl PrincipalType {
    /// From Graph's `@odata.type` (`#microsoft.graph.user`, …); users when unknown.
    pub fn from_odata_type(t: Option<&str>) -> PrincipalType {
        match t.map(|t| t.trim_start_matches('#').to_ascii_lowercase()) {
            Some(t) if t == "microsoft.graph.group" => PrincipalType::Group,
            Some(t) if t == "microsoft.graph.serviceprincipal" => PrincipalType::ServicePrincipal,
            _ => PrincipalType::User,
        }
    }
}

/// Whether a role is held now or only claimable through PIM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssignmentState {
    /// An active assignment (`roleAssignments`).
    Active,
    /// An eligible assignment (`roleEligibilityScheduleInstances`): usable after activation.
    Eligible,
}

/// A user, group or service principal as the directory showed it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrincipalRef {
    /// Object ID.
    pub id: String,
    /// Display name, when the directory gave one.
    pub display_name: Option<String>,
    /// Sign-in name (users).
    pub user_principal_name: Option<String>,
    /// Application (client) ID (service principals).
    pub app_id: Option<String>,
}

impl PrincipalRef {
    /// The name to show: display name, else UPN, else the ID.
    pub fn label(&self) -> &str {
        self.display_name
            .as_deref()
            .or(self.user_principal_name.as_deref())
            .unwrap_or(&self.id)
    }
}

/// One role assignment or eligibility as read, with its principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedAssignment {
    /// Who holds the role.
    pub principal: PrincipalRef,
    /// What kind of object that is.
    pub principal_type: PrincipalType,
    /// The role's template ID (lower case).
    pub role_id: String,
    /// Active or eligible.
    pub state: AssignmentState,
    /// `/` or `/administrativeUnits/{id}`.
    pub scope: String,
}

/// A member of a group that holds a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedMember {
    /// The member.
    pub principal: PrincipalRef,
    /// Its kind (users and service principals; nested groups are expanded by Graph).
    pub principal_type: PrincipalType,
}

/// A Microsoft Graph application permission granted to a service principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedAppGrant {
    /// The service principal.
    pub principal: PrincipalRef,
    /// The permission's name (e.g. `User.ReadWrite.All`).
    pub permission: String,
}

/// Everything read from the directory for one tenant.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// Active and eligible assignments of the roles read.
    pub assignments: Vec<ObservedAssignment>,
    /// Members of the groups read (group ID lower case → members).
    pub group_members: BTreeMap<String, Vec<ObservedMember>>,
    /// Photo-writing application permissions; `None` when they could not be read.
    pub app_grants: Option<Vec<ObservedAppGrant>>,
}

/// One way a principal holds a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleHolding {
    /// Role template ID.
    pub role_id: String,
    /// Role name (catalog), or the ID when unknown.
    pub role_name: String,
    /// Active or eligible.
    pub state: AssignmentState,
    /// `/` or `/administrativeUnits/{id}`.
    pub directory_scope_id: String,
    /// The role-assignable group it comes through; `None` when assigned directly.
    pub through_group: Option<PrincipalRef>,
    /// Whether this role lets its holders change photos under the policy (allowed, or with no
    /// restriction a role holding the photo permission).
    pub counts: bool,
}

impl RoleHolding {
    /// `People Administrator (Active, through group 'Photo Admins', administrative unit …)`.
    pub fn describe(&self) -> String {
        let state = match self.state {
            AssignmentState::Active => "Active",
            AssignmentState::Eligible => "Eligible (PIM)",
        };
        let how = match &self.through_group {
            Some(g) => format!("through group '{}'", g.label()),
            None => "direct".to_string(),
        };
        let scope = if self.directory_scope_id == "/" {
            "tenant".to_string()
        } else {
            format!("administrative unit {}", au_id(&self.directory_scope_id))
        };
        format!("{} ({state}, {how}, {scope})", self.role_name)
    }
}

fn au_id(scope: &str) -> &str {
    scope.rsplit('/').next().unwrap_or(scope)
}

/// Where a principal's ability applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessScope {
    /// The whole tenant.
    Tenant,
    /// Only an administrative unit (which the photo policy refuses).
    AdministrativeUnit,
    /// No role that counts.
    None,
}

/// One principal's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrincipalAccess {
    /// User, group or service principal.
    pub principal_type: PrincipalType,
    /// Object ID.
    pub id: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Sign-in name (users).
    pub user_principal_name: Option<String>,
    /// Application ID (service principals).
    pub app_id: Option<String>,
    /// May change other users' photos now (for a group: its members may).
    pub can_change_others_photos: bool,
    /// Users: may change their own photo now. `None` for groups and service principals.
    pub can_change_own_photo: Option<bool>,
    /// Service principals with a photo-writing permission that the service will refuse (403
    /// `ForbiddenByAdminEditPolicy`) because they hold none of the allowed roles at tenant scope.
    pub will_be_refused: bool,
    /// Where the ability applies.
    pub scope: AccessScope,
    /// The administrative units of scoped holdings (`/administrativeUnits/{id}`).
    pub scope_ids: Vec<String>,
    /// Each holding in words (role, Active or Eligible (PIM), direct or through which group, scope).
    pub via: Vec<String>,
    /// The holdings themselves.
    pub holdings: Vec<RoleHolding>,
    /// Photo-writing Microsoft Graph application permissions (service principals).
    pub app_permissions: Vec<String>,
    /// Why, in words.
    pub reason: String,
    /// What to do, when something can be done.
    pub fix: Option<String>,
    /// The error code the service answers a photo change with, when it refuses one
    /// (`ForbiddenByAdminEditPolicy`, `ForbiddenByPolicy`).
    pub expected_error: Option<String>,
}

/// How the rules read the policy.
#[derive(Debug, Clone)]
pub struct PolicyRoles {
    /// Allowed role template IDs, lower case; empty = no restriction.
    pub allowed: Vec<String>,
}

impl PolicyRoles {
    /// From the policy's `allowedRoles` (any case; blanks dropped).
    pub fn new(allowed: &[String]) -> PolicyRoles {
        let mut ids: Vec<String> = allowed
            .iter()
            .map(|r| roles::normalize_guid(r).unwrap_or_else(|| r.trim().to_ascii_lowercase()))
            .filter(|r| !r.is_empty())
            .collect();
        ids.dedup();
        PolicyRoles { allowed: ids }
    }

    /// Whether `allowedRoles` restricts who may change photos.
    pub fn restricted(&self) -> bool {
        !self.allowed.is_empty()
    }

    /// Whether holding `role_id` lets its holders change photos under this policy.
    pub fn counts(&self, role_id: &str) -> bool {
        if self.restricted() {
            self.allowed.iter().any(|a| a.eq_ignore_ascii_case(role_id))
        } else {
            photo_role(role_id)
        }
    }

    /// The least privileged role of those that count: People Administrator, then User, then
    /// Global Administrator, then the first other allowed role.
    pub fn least_privileged(&self) -> Option<String> {
        let preference = [
            PEOPLE_ADMINISTRATOR,
            USER_ADMINISTRATOR,
            GLOBAL_ADMINISTRATOR,
        ];
        if !self.restricted() {
            return Some(PEOPLE_ADMINISTRATOR.to_string());
        }
        preference
            .iter()
            .find(|p| self.counts(p))
            .map(|p| p.to_string())
            .or_else(|| self.allowed.first().cloned())
    }

    /// Every role whose holders matter: the allowed ones and the catalog's photo roles (holders of
    /// a photo role that is not allowed lose the ability, and are listed saying so).
    pub fn roles_to_read(&self) -> Vec<String> {
        let mut out: Vec<String> = self.allowed.clone();
        for r in roles::catalog() {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(r.id)) {
                out.push(r.id.to_string());
            }
        }
        out
    }
}

/// Whether a role holds the photo permission (`microsoft.directory/users/photo/update`): the
/// roles of the catalog.
pub fn photo_role(role_id: &str) -> bool {
    roles::by_id(role_id).is_some()
}

/// A role's display name: the catalog's, else the ID.
pub fn role_name(role_id: &str) -> String {
    roles::by_id(role_id)
        .map(|r| r.name.to_string())
        .unwrap_or_else(|| role_id.to_string())
}

/// The name of a photo-writing application permission from its app role ID.
pub fn photo_write_permission(app_role_id: &str) -> Option<&'static str> {
    PHOTO_WRITE_APP_PERMISSIONS
        .iter()
        .find(|(_, id)| id.eq_ignore_ascii_case(app_role_id.trim()))
        .map(|(name, _)| *name)
}

/// What the rules are asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResolveOptions {
    /// List the members of role-holding groups as principals of their own (their holdings say
    /// through which group).
    pub expand_groups: bool,
}

struct Entry {
    principal_type: PrincipalType,
    principal: PrincipalRef,
    holdings: Vec<RoleHolding>,
    app_permissions: Vec<String>,
    /// Reached only as a group member (listed only when groups are expanded, or as an app).
    member_only: bool,
}

/// Resolves who may change photos under `policy`, one entry per principal, sorted by type then
/// name. Users reached only through a group are listed when `options.expand_groups`; service
/// principals with a photo-writing permission always are.
pub fn resolve(
    policy: &PolicyRoles,
    observed: &Observed,
    options: ResolveOptions,
) -> Vec<PrincipalAccess> {
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    for a in &observed.assignments {
        let holding = RoleHolding {
            role_id: a.role_id.clone(),
            role_name: role_name(&a.role_id),
            state: a.state,
            directory_scope_id: a.scope.clone(),
            through_group: None,
            counts: policy.counts(&a.role_id),
        };
        upsert(&mut entries, a.principal_type, &a.principal, false).add(holding.clone());
        if a.principal_type != PrincipalType::Group {
            continue;
        }
        let key = a.principal.id.to_ascii_lowercase();
        for m in observed.group_members.get(&key).into_iter().flatten() {
            let mut h = holding.clone();
            h.through_group = Some(a.principal.clone());
            upsert(&mut entries, m.principal_type, &m.principal, true).add(h);
        }
    }
    for g in observed.app_grants.iter().flatten() {
        let e = upsert(
            &mut entries,
            PrincipalType::ServicePrincipal,
            &g.principal,
            false,
        );
        if !e.app_permissions.contains(&g.permission) {
            e.app_permissions.push(g.permission.clone());
        }
    }
    let apps_known = observed.app_grants.is_some();
    let mut out: Vec<PrincipalAccess> = entries
        .into_values()
        .filter(|e| !e.member_only || options.expand_groups)
        .map(|e| judge(policy, e, apps_known))
        .collect();
    out.sort_by(|a, b| {
        (
            a.principal_type,
            a.display_name.as_deref().unwrap_or(&a.id).to_lowercase(),
        )
            .cmp(&(
                b.principal_type,
                b.display_name.as_deref().unwrap_or(&b.id).to_lowercase(),
            ))
    });
    out
}

/// The entry of `principal`, created on first sight. `member_only` stays true only while the
/// principal was seen as a group member and nothing else.
fn upsert<'m>(
    entries: &'m mut BTreeMap<String, Entry>,
    principal_type: PrincipalType,
    principal: &PrincipalRef,
    member_only: bool,
) -> &'m mut Entry {
    let e = entries
        .entry(principal.id.to_ascii_lowercase())
        .or_insert_with(|| Entry {
            principal_type,
            principal: principal.clone(),
            holdings: Vec::new(),
            app_permissions: Vec::new(),
            member_only,
        });
    e.member_only &= member_only;
    merge_names(&mut e.principal, principal);
    e
}

impl Entry {
    fn add(&mut self, holding: RoleHolding) {
        if !self.holdings.contains(&holding) {
            self.holdings.push(holding);
        }
    }
}

fn merge_names(into: &mut PrincipalRef, from: &PrincipalRef) {
    if into.display_name.is_none() {
        into.display_name = from.display_name.clone();
    }
    if into.user_principal_name.is_none() {
        into.user_principal_name = from.user_principal_name.clone();
    }
    if into.app_id.is_none() {
        into.app_id = from.app_id.clone();
    }
}

/// The entry for every user of the tenant: with no restriction each may change their own photo.
pub fn all_users() -> PrincipalAccess {
    PrincipalAccess {
        principal_type: PrincipalType::AllUsers,
        id: "*".into(),
        display_name: Some("All users".into()),
        user_principal_name: None,
        app_id: None,
        can_change_others_photos: false,
        can_change_own_photo: Some(true),
        will_be_refused: false,
        scope: AccessScope::Tenant,
        scope_ids: Vec::new(),
        via: Vec::new(),
        holdings: Vec::new(),
        app_permissions: Vec::new(),
        reason: "No restriction (allowedRoles is empty): every user may change their own photo. \
                 Changing other users' photos needs a role with the photo permission, listed \
                 below."
            .into(),
        fix: None,
        expected_error: None,
    }
}

/// Judges one principal with no holdings at all (e.g. a user Test-PhotoUpdateAccess asks about
/// who holds no role): the same rules as [`resolve`].
pub fn judge_unlisted(
    policy: &PolicyRoles,
    principal_type: PrincipalType,
    principal: PrincipalRef,
    app_permissions: Vec<String>,
    apps_known: bool,
) -> PrincipalAccess {
    judge(
        policy,
        Entry {
            principal_type,
            principal,
            holdings: Vec::new(),
            app_permissions,
            member_only: false,
        },
        apps_known,
    )
}

fn names(holdings: &[&RoleHolding]) -> String {
    let mut n: Vec<String> = holdings.iter().map(|h| h.role_name.clone()).collect();
    n.sort();
    n.dedup();
    n.join(", ")
}

fn through(holdings: &[&RoleHolding]) -> String {
    let groups: Vec<String> = holdings
        .iter()
        .filter_map(|h| h.through_group.as_ref())
        .map(|g| format!("'{}'", g.label()))
        .collect();
    if groups.is_empty() || groups.len() < holdings.len() {
        String::new()
    } else {
        format!(" through group {}", groups.join(", "))
    }
}

fn judge(policy: &PolicyRoles, e: Entry, apps_known: bool) -> PrincipalAccess {
    let restricted = policy.restricted();
    let counting: Vec<&RoleHolding> = e.holdings.iter().filter(|h| h.counts).collect();
    let tenant: Vec<&RoleHolding> = counting
        .iter()
        .copied()
        .filter(|h| h.state == AssignmentState::Active && h.directory_scope_id == "/")
        .collect();
    let scoped: Vec<&RoleHolding> = counting
        .iter()
        .copied()
        .filter(|h| h.state == AssignmentState::Active && h.directory_scope_id != "/")
        .collect();
    let eligible: Vec<&RoleHolding> = counting
        .iter()
        .copied()
        .filter(|h| h.state == AssignmentState::Eligible)
        .collect();
    let other: Vec<&RoleHolding> = e.holdings.iter().filter(|h| !h.counts).collect();
    let least = policy.least_privileged().unwrap_or_default();
    let least_name = role_name(&least);
    let holds_tenant = !tenant.is_empty();
    let is_app = e.principal_type == PrincipalType::ServicePrincipal;
    let has_write_permission = !e.app_permissions.is_empty();
    let label = e.principal.label().to_string();

    let can_others = match e.principal_type {
        PrincipalType::ServicePrincipal => {
            // An app calls the photo API with a Graph application permission; the policy then
            // decides whether its directory roles let it through.
            let permitted = has_write_permission || !apps_known;
            permitted && (holds_tenant || (!restricted && has_write_permission))
        }
        _ => holds_tenant,
    };
    let will_be_refused = is_app && has_write_permission && restricted && !holds_tenant;

    let mut fix = None;
    let reason = if can_others {
        let roles_text = names(&tenant);
        match (e.principal_type, restricted, holds_tenant) {
            (PrincipalType::ServicePrincipal, false, false) => format!(
                "No restriction: its Microsoft Graph application permission {} lets it change \
                 photos.",
                e.app_permissions.join(", ")
            ),
            (PrincipalType::Group, true, _) => format!(
                "The group holds {roles_text}, one of the allowed roles, active at tenant scope: \
                 its members may change any user's photo."
            ),
            (PrincipalType::Group, false, _) => format!(
                "The group holds {roles_text} at tenant scope, which has the photo permission: its \
                 members may change others' photos."
            ),
            (_, true, _) => format!(
                "Holds {roles_text}{}, one of the allowed roles, active at tenant scope: may \
                 change any user's photo.",
                through(&tenant)
            ),
            (_, false, _) => format!(
                "No restriction: every user may change their own photo; holds {roles_text}{} at \
                 tenant scope, which has the photo permission, so may change others' photos too.",
                through(&tenant)
            ),
        }
    } else if is_app && apps_known && !has_write_permission && holds_tenant {
        fix = Some(
            "Grant the app the Microsoft Graph application permission ProfilePhoto.ReadWrite.All \
             (admin consent) if it should change photos."
                .to_string(),
        );
        format!(
            "Holds {} at tenant scope but no Microsoft Graph application permission that writes \
             photos (ProfilePhoto.ReadWrite.All, User.ReadWrite.All or Directory.ReadWrite.All).",
            names(&tenant)
        )
    } else if !scoped.is_empty() {
        let units: Vec<&str> = scoped
            .iter()
            .map(|h| au_id(&h.directory_scope_id))
            .collect();
        fix = Some(format!(
            "Assign {} at tenant scope (directoryScopeId '/') instead of the administrative unit.",
            names(&scoped)
        ));
        format!(
            "Holds {}{} only scoped to administrative unit {}: the service refuses photo changes \
             by scoped administrators (403 ForbiddenByPolicy, invalid_role).",
            names(&scoped),
            through(&scoped),
            units.join(", ")
        )
    } else if !eligible.is_empty() {
        fix = Some(format!(
            "Activate {} in Privileged Identity Management before changing photos, or make the \
             assignment active.",
            names(&eligible)
        ));
        format!(
            "Holds {}{} only as eligible (PIM): may change photos once the role is activated.",
            names(&eligible),
            through(&eligible)
        )
    } else if will_be_refused {
        fix = Some(format!(
            "Assign {least_name} (the least privileged of the allowed roles) to the service \
             principal '{label}' at tenant scope: Entra admin center > Roles and administrators, \
             or POST /roleManagement/directory/roleAssignments with principalId '{}', \
             roleDefinitionId '{least}' and directoryScopeId '/'.",
            e.principal.id
        ));
        format!(
            "Holds the Microsoft Graph application permission {} but none of the allowed roles at \
             tenant scope: its photo writes will be refused with 403 ForbiddenByAdminEditPolicy.",
            e.app_permissions.join(", ")
        )
    } else if restricted && !other.is_empty() {
        fix = Some(format!(
            "Assign one of the allowed roles ({least_name} is the least privileged), or add {} to \
             the policy (Set-PhotoUpdatePolicy -AddAllowedRole).",
            names(&other)
        ));
        format!(
            "Holds {}, which has the photo permission but is not among the allowed roles: the \
             service refuses its photo changes (403 ForbiddenByAdminEditPolicy).",
            names(&other)
        )
    } else if restricted {
        fix = Some(format!(
            "Assign one of the allowed roles ({least_name} is the least privileged) at tenant \
             scope."
        ));
        "Holds none of the allowed roles: the service refuses its photo changes, its own \
         included (403 ForbiddenByAdminEditPolicy)."
            .to_string()
    } else if is_app {
        "No Microsoft Graph application permission that writes photos was found.".to_string()
    } else {
        "No restriction: may change their own photo; changing others' photos needs a role with \
         the photo permission (People Administrator is the least privileged)."
            .to_string()
    };

    let scope = if holds_tenant {
        AccessScope::Tenant
    } else if !scoped.is_empty() {
        AccessScope::AdministrativeUnit
    } else {
        AccessScope::None
    };
    let scope_ids = if holds_tenant {
        Vec::new()
    } else {
        let mut ids: Vec<String> = scoped
            .iter()
            .map(|h| h.directory_scope_id.clone())
            .collect();
        ids.dedup();
        ids
    };
    let expected_error = if can_others || !restricted {
        None
    } else if !scoped.is_empty() {
        Some("ForbiddenByPolicy".to_string())
    } else if is_app && apps_known && !has_write_permission {
        None
    } else {
        Some("ForbiddenByAdminEditPolicy".to_string())
    };
    PrincipalAccess {
        principal_type: e.principal_type,
        id: e.principal.id.clone(),
        display_name: e.principal.display_name.clone(),
        user_principal_name: e.principal.user_principal_name.clone(),
        app_id: e.principal.app_id.clone(),
        can_change_others_photos: can_others,
        can_change_own_photo: (e.principal_type == PrincipalType::User)
            .then_some(!restricted || holds_tenant),
        will_be_refused,
        scope,
        scope_ids,
        via: e.holdings.iter().map(RoleHolding::describe).collect(),
        holdings: e.holdings,
        app_permissions: e.app_permissions,
        reason,
        fix,
        expected_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> PrincipalRef {
        PrincipalRef {
            id: id.into(),
            display_name: Some(id.to_uppercase()),
            ..Default::default()
        }
    }

    fn held(id: &str, role: &str, state: AssignmentState, scope: &str) -> ObservedAssignment {
        ObservedAssignment {
            principal: user(id),
            principal_type: PrincipalType::User,
            role_id: role.into(),
            state,
            scope: scope.into(),
        }
    }

    #[test]
    fn least_privileged_prefers_people_then_user_then_global() {
        let p = |ids: &[&str]| {
            PolicyRoles::new(&ids.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .least_privileged()
        };
        assert_eq!(
            p(&[GLOBAL_ADMINISTRATOR, PEOPLE_ADMINISTRATOR]).as_deref(),
            Some(PEOPLE_ADMINISTRATOR)
        );
        assert_eq!(
            p(&[GLOBAL_ADMINISTRATOR, USER_ADMINISTRATOR]).as_deref(),
            Some(USER_ADMINISTRATOR)
        );
        assert_eq!(
            p(&[GLOBAL_ADMINISTRATOR]).as_deref(),
            Some(GLOBAL_ADMINISTRATOR)
        );
        assert_eq!(p(&[]).as_deref(), Some(PEOPLE_ADMINISTRATOR));
        // Upper case and braces read as the ID.
        let upper = PolicyRoles::new(&[format!("{{{}}}", PEOPLE_ADMINISTRATOR.to_uppercase())]);
        assert!(upper.counts(PEOPLE_ADMINISTRATOR));
    }

    #[test]
    fn only_active_tenant_wide_holdings_of_allowed_roles_count() {
        let policy = PolicyRoles::new(&[PEOPLE_ADMINISTRATOR.to_string()]);
        let observed = Observed {
            assignments: vec![
                held("a", PEOPLE_ADMINISTRATOR, AssignmentState::Active, "/"),
                held("b", PEOPLE_ADMINISTRATOR, AssignmentState::Eligible, "/"),
                held(
                    "c",
                    PEOPLE_ADMINISTRATOR,
                    AssignmentState::Active,
                    "/administrativeUnits/x",
                ),
                held("d", GLOBAL_ADMINISTRATOR, AssignmentState::Active, "/"),
                // Scoped and tenant-wide: tenant-wide wins.
                held(
                    "e",
                    PEOPLE_ADMINISTRATOR,
                    AssignmentState::Active,
                    "/administrativeUnits/x",
                ),
                held("e", PEOPLE_ADMINISTRATOR, AssignmentState::Active, "/"),
            ],
            ..Default::default()
        };
        let out = resolve(&policy, &observed, ResolveOptions::default());
        let get = |id: &str| out.iter().find(|p| p.id == id).unwrap();
        assert!(get("a").can_change_others_photos && get("a").can_change_own_photo == Some(true));
        assert!(!get("b").can_change_others_photos);
        assert_eq!(get("c").scope, AccessScope::AdministrativeUnit);
        assert_eq!(
            get("c").expected_error.as_deref(),
            Some("ForbiddenByPolicy")
        );
        assert!(
            !get("d").can_change_others_photos,
            "Global Administrator is not allowed here"
        );
        assert_eq!(
            get("d").expected_error.as_deref(),
            Some("ForbiddenByAdminEditPolicy")
        );
        assert_eq!(get("e").scope, AccessScope::Tenant);
        assert!(get("e").scope_ids.is_empty());
    }

    #[test]
    fn apps_are_judged_by_permission_and_role() {
        let sp = |id: &str| PrincipalRef {
            id: id.into(),
            ..Default::default()
        };
        let grant = |id: &str| ObservedAppGrant {
            principal: sp(id),
            permission: "User.ReadWrite.All".into(),
        };
        let observed = Observed {
            assignments: vec![ObservedAssignment {
                principal: sp("with-role"),
                principal_type: PrincipalType::ServicePrincipal,
                role_id: PEOPLE_ADMINISTRATOR.into(),
                state: AssignmentState::Active,
                scope: "/".into(),
            }],
            app_grants: Some(vec![grant("with-role"), grant("bare")]),
            ..Default::default()
        };
        let restricted = PolicyRoles::new(&[PEOPLE_ADMINISTRATOR.to_string()]);
        let out = resolve(&restricted, &observed, ResolveOptions::default());
        assert!(
            out.iter()
                .find(|p| p.id == "with-role")
                .unwrap()
                .can_change_others_photos
        );
        let bare = out.iter().find(|p| p.id == "bare").unwrap();
        assert!(bare.will_be_refused && bare.can_change_own_photo.is_none());
        let open = resolve(&PolicyRoles::new(&[]), &observed, ResolveOptions::default());
        assert!(open
            .iter()
            .all(|p| p.can_change_others_photos && !p.will_be_refused));
        assert_eq!(
            photo_write_permission("27BAA7F6-5DFB-4BA8-B1D3-1E812C143013"),
            Some("ProfilePhoto.ReadWrite.All")
        );
        assert_eq!(
            photo_write_permission("df021288-bdef-4463-88db-98f22de89214"),
            None
        );
    }
}
