//! The directory behind the photo policy: who holds which role, who is in which group, which app
//! holds which Microsoft Graph application permission — and the photo writes the policy governs.
//!
//! Seeded per tenant through the control API (`PUT /_emulator/tenants/{tid}/directory`, see
//! docs/emulator.md) or [`crate::Emulator::set_directory`]. Graph's side, under `/v1.0` and
//! `/beta`:
//! - `GET roleManagement/directory/roleDefinitions` (`$filter` on `id` or `templateId`);
//! - `GET roleManagement/directory/roleAssignments` and `roleEligibilityScheduleInstances`
//!   (`$filter` on `roleDefinitionId` and/or `principalId`, `$expand=principal`);
//! - `GET groups/{id}/transitiveMembers` (`$count=true` needs `ConsistencyLevel: eventual`);
//! - `GET servicePrincipals(appId='…')/appRoleAssignedTo` and `servicePrincipals/{id}/…`;
//! - `GET users/{id|upn}`, `GET servicePrincipals/{id}`, `GET servicePrincipals(appId='…')`;
//! - `PUT users/{id|upn}/photo/$value` and `me/photo/$value`, enforced under the tenant's policy;
//! - `GET me/photo/getAllowedOperations`.
//!
//! Every list pages with `@odata.nextLink` (`$skiptoken`), `pageSize` items a page (or `$top`).
//! Each route checks the token's application permissions (`roles`) or scopes (`scp`) and answers
//! 403 `Authorization_RequestDenied` when none of the accepted ones is there.
//!
//! The photo write enforcement is the emulator's own reading of the service (graph-photo-policy.md),
//! written independently of the client's prediction so that one can be tested against the other:
//! with `allowedRoles` set, the caller (the token's `oid`) must hold one of those roles, active,
//! directly or through a group, at tenant scope `/`; holding it only scoped to an administrative
//! unit answers 403 `ForbiddenByPolicy` (`invalid_role`), not holding it 403
//! `ForbiddenByAdminEditPolicy`.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::clouds;
use crate::errors::{graph_error, graph_unauthorized, RequestIds};
use crate::graph::{DOCUMENTED_ROLES, UNCONFIRMED_ROLES};
use crate::state::State;
use crate::tokens::Claims;

/// Object ID the emulator gives the Microsoft Graph service principal in every tenant
/// (`resourceId` of application permission assignments).
pub const GRAPH_SERVICE_PRINCIPAL_ID: &str = "8f3e2c1a-0000-4000-8000-00000000a0a0";

/// App role ID of the application permission `ProfilePhoto.ReadWrite.All`.
pub const PROFILE_PHOTO_READ_WRITE_ALL: &str = "27baa7f6-5dfb-4ba8-b1d3-1e812c143013";
/// App role ID of the application permission `User.ReadWrite.All`.
pub const USER_READ_WRITE_ALL: &str = "741f803b-c850-494e-b5df-cde7c675a1ca";
/// App role ID of the application permission `Directory.ReadWrite.All`.
pub const DIRECTORY_READ_WRITE_ALL: &str = "19dbc75e-c2e2-444c-a770-ec69d8559fc7";

/// Application permissions (name, app role ID) the emulator knows by name: the ones that write
/// photos, and a read-only one for contrast.
pub const GRAPH_APP_ROLES: [(&str, &str); 4] = [
    ("ProfilePhoto.ReadWrite.All", PROFILE_PHOTO_READ_WRITE_ALL),
    ("User.ReadWrite.All", USER_READ_WRITE_ALL),
    ("Directory.ReadWrite.All", DIRECTORY_READ_WRITE_ALL),
    ("User.Read.All", "df021288-bdef-4463-88db-98f22de89214"),
];

/// Page size when the directory does not set one (Graph's usual default for these lists).
pub const DEFAULT_PAGE_SIZE: usize = 100;

/// The largest `$top` Graph accepts on these lists.
const MAX_TOP: usize = 999;

const ROLE_READ: &[&str] = &[
    "RoleManagement.Read.Directory",
    "RoleManagement.Read.All",
    "RoleManagement.ReadWrite.Directory",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const ELIGIBILITY_READ: &[&str] = &[
    "RoleEligibilitySchedule.Read.Directory",
    "RoleEligibilitySchedule.ReadWrite.Directory",
    "RoleManagement.Read.Directory",
    "RoleManagement.Read.All",
    "RoleManagement.ReadWrite.Directory",
];
const MEMBER_READ: &[&str] = &[
    "GroupMember.Read.All",
    "GroupMember.ReadWrite.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const APP_READ: &[&str] = &[
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const USER_READ: &[&str] = &[
    "User.Read.All",
    "User.ReadBasic.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const PHOTO_WRITE: &[&str] = &[
    "ProfilePhoto.ReadWrite.All",
    "User.ReadWrite.All",
    "Directory.ReadWrite.All",
    "Directory.AccessAsUser.All",
];

/// A user.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DirUser {
    /// Object ID.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Sign-in name.
    #[serde(default)]
    pub user_principal_name: Option<String>,
}

/// A group; `members` are object IDs of users, service principals or groups.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DirGroup {
    /// Object ID.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Whether directory roles may be assigned to it (role-assignable group).
    #[serde(default)]
    pub is_assignable_to_role: bool,
    /// Direct members' object IDs.
    #[serde(default)]
    pub members: Vec<String>,
}

/// A service principal (an app or a managed identity in this tenant).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DirServicePrincipal {
    /// Object ID (the `oid` of its app-only tokens).
    pub id: String,
    /// Application (client) ID.
    #[serde(default)]
    pub app_id: Option<String>,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
}

/// A custom role definition (the built-in ones are always there).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DirRoleDefinition {
    /// Definition ID.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Template ID; the ID when omitted.
    #[serde(default)]
    pub template_id: Option<String>,
}

/// A role assignment (active) or eligibility (PIM), to a user, group or service principal.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DirRoleAssignment {
    /// Assignment ID; made up when omitted.
    #[serde(default)]
    pub id: Option<String>,
    /// Who holds the role.
    pub principal_id: String,
    /// The role (template ID for built-in roles).
    pub role_definition_id: String,
    /// `/` for the whole tenant, `/administrativeUnits/{id}` for an administrative unit.
    #[serde(default = "tenant_scope")]
    pub directory_scope_id: String,
}

fn tenant_scope() -> String {
    "/".into()
}

/// An application permission of Microsoft Graph granted to a service principal.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DirAppRoleAssignment {
    /// Assignment ID; made up when omitted.
    #[serde(default)]
    pub id: Option<String>,
    /// The service principal granted the permission.
    pub principal_id: String,
    /// The permission's app role ID, or its name (e.g. `User.ReadWrite.All`) for the known ones.
    pub app_role_id: String,
}

/// One tenant's directory (`PUT /_emulator/tenants/{tid}/directory`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Directory {
    /// Items per page of every list (default [`DEFAULT_PAGE_SIZE`]); `$top` may ask for fewer.
    #[serde(default)]
    pub page_size: Option<usize>,
    /// Users.
    #[serde(default)]
    pub users: Vec<DirUser>,
    /// Groups.
    #[serde(default)]
    pub groups: Vec<DirGroup>,
    /// Service principals.
    #[serde(default)]
    pub service_principals: Vec<DirServicePrincipal>,
    /// Custom role definitions, in addition to the built-in ones.
    #[serde(default)]
    pub role_definitions: Vec<DirRoleDefinition>,
    /// Active role assignments.
    #[serde(default)]
    pub role_assignments: Vec<DirRoleAssignment>,
    /// Eligible role assignments (PIM), not active until activated.
    #[serde(default)]
    pub role_eligibilities: Vec<DirRoleAssignment>,
    /// Microsoft Graph application permissions granted to service principals.
    #[serde(default)]
    pub app_role_assignments: Vec<DirAppRoleAssignment>,
}

impl Directory {
    /// Checks and completes a seeded directory: page size, role and permission IDs, made-up
    /// assignment IDs. The error names what is wrong.
    pub fn normalize(mut self) -> Result<Directory, String> {
        if self.page_size == Some(0) {
            return Err("pageSize must be at least 1.".into());
        }
        for (i, a) in self
            .role_assignments
            .iter_mut()
            .chain(self.role_eligibilities.iter_mut())
            .enumerate()
        {
            if a.principal_id.trim().is_empty() || a.role_definition_id.trim().is_empty() {
                return Err(format!(
                    "Role assignment #{i} needs a principalId and a roleDefinitionId."
                ));
            }
            if a.directory_scope_id != "/"
                && !a.directory_scope_id.starts_with("/administrativeUnits/")
            {
                return Err(format!(
                    "directoryScopeId '{}' is not supported: use '/' or '/administrativeUnits/{{id}}'.",
                    a.directory_scope_id
                ));
            }
            a.id.get_or_insert_with(|| uuid::Uuid::new_v4().to_string());
        }
        for a in &mut self.app_role_assignments {
            if let Some((_, id)) = GRAPH_APP_ROLES
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(&a.app_role_id))
            {
                a.app_role_id = (*id).to_string();
            }
            a.id.get_or_insert_with(|| uuid::Uuid::new_v4().to_string());
        }
        Ok(self)
    }

    fn page_size(&self) -> usize {
        self.page_size.unwrap_or(DEFAULT_PAGE_SIZE)
    }

    /// The directory object with this ID as Graph shows it (with `@odata.type`).
    fn object(&self, id: &str) -> Option<Value> {
        if let Some(u) = self.users.iter().find(|u| u.id.eq_ignore_ascii_case(id)) {
            return Some(json!({
                "@odata.type": "#microsoft.graph.user",
                "id": u.id,
                "displayName": u.display_name,
                "userPrincipalName": u.user_principal_name,
            }));
        }
        if let Some(g) = self.groups.iter().find(|g| g.id.eq_ignore_ascii_case(id)) {
            return Some(json!({
                "@odata.type": "#microsoft.graph.group",
                "id": g.id,
                "displayName": g.display_name,
                "isAssignableToRole": g.is_assignable_to_role,
            }));
        }
        self.service_principals
            .iter()
            .find(|s| s.id.eq_ignore_ascii_case(id))
            .map(|s| {
                json!({
                    "@odata.type": "#microsoft.graph.servicePrincipal",
                    "id": s.id,
                    "appId": s.app_id,
                    "displayName": s.display_name,
                })
            })
    }

    /// Every member of a group, nested groups expanded (each once).
    fn transitive_members(&self, group_id: &str) -> Vec<String> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        let mut stack = vec![group_id.to_ascii_lowercase()];
        while let Some(g) = stack.pop() {
            let Some(group) = self.groups.iter().find(|x| x.id.eq_ignore_ascii_case(&g)) else {
                continue;
            };
            for m in &group.members {
                if seen.insert(m.to_ascii_lowercase()) {
                    out.push(m.clone());
                    stack.push(m.to_ascii_lowercase());
                }
            }
        }
        out
    }

    /// The groups `principal` belongs to, directly or through nested groups.
    fn groups_of(&self, principal: &str) -> BTreeSet<String> {
        self.groups
            .iter()
            .filter(|g| {
                self.transitive_members(&g.id)
                    .iter()
                    .any(|m| m.eq_ignore_ascii_case(principal))
            })
            .map(|g| g.id.to_ascii_lowercase())
            .collect()
    }

    /// Scopes at which `principal` holds any of `roles` actively (directly or through a group).
    fn active_scopes(&self, principal: &str, roles: &[String]) -> BTreeSet<String> {
        let mut holders = self.groups_of(principal);
        holders.insert(principal.to_ascii_lowercase());
        self.role_assignments
            .iter()
            .filter(|a| holders.contains(&a.principal_id.to_ascii_lowercase()))
            .filter(|a| {
                roles
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(&a.role_definition_id))
            })
            .map(|a| a.directory_scope_id.clone())
            .collect()
    }

    fn find_user(&self, key: &str) -> Option<&DirUser> {
        self.users.iter().find(|u| {
            u.id.eq_ignore_ascii_case(key)
                || u.user_principal_name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(key))
        })
    }
}

/// Built-in role definitions (template ID = ID), the ones the photo policy is about and a few
/// without the photo permission.
const BUILT_IN_ROLES: [(&str, &str); 9] = [
    (
        "62e90394-69f5-4237-9190-012177145e10",
        "Global Administrator",
    ),
    ("fe930be7-5e62-47db-91af-98c3a49a38b1", "User Administrator"),
    (
        "024906de-61e5-49c8-8572-40335f1e0e10",
        "People Administrator",
    ),
    ("9360feb5-f418-4baa-8175-e2a00bac4301", "Directory Writers"),
    (
        "3a2c62db-5318-420d-8d74-23affee5d9d5",
        "Intune Administrator",
    ),
    (
        "4ba39ca4-527c-499a-b93d-d9b492c50246",
        "Partner Tier1 Support",
    ),
    (
        "e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8",
        "Partner Tier2 Support",
    ),
    ("f2ef992c-3afb-46b9-b7cf-a126ee74c451", "Global Reader"),
    (
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        "Helpdesk Administrator",
    ),
];

/// What the caller of a request is: its claims and what it was granted.
struct Caller {
    claims: Claims,
}

impl Caller {
    fn delegated(&self) -> bool {
        self.claims.scp.is_some()
    }

    fn has_any(&self, permissions: &[&str]) -> bool {
        let scopes = self.claims.scp.as_deref().unwrap_or("");
        let roles = self.claims.roles.as_deref().unwrap_or(&[]);
        permissions.iter().any(|p| {
            scopes.split_whitespace().any(|s| s.eq_ignore_ascii_case(p))
                || roles.iter().any(|r| r.eq_ignore_ascii_case(p))
        })
    }
}

fn authenticate(
    state: &State,
    headers: &HeaderMap,
    ids: &RequestIds,
) -> Result<Caller, Box<Response>> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = match auth.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => "",
    };
    let expected_host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(clouds::graph_host_of_header);
    state
        .keys
        .verify(token, expected_host)
        .map(|claims| Caller { claims })
        .map_err(|r| Box::new(graph_unauthorized(r.message(), ids)))
}

fn denied(ids: &RequestIds) -> Response {
    graph_error(
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
        ids,
    )
}

fn bad_request(message: &str, ids: &RequestIds) -> Response {
    graph_error(StatusCode::BAD_REQUEST, "Request_BadRequest", message, ids)
}

fn not_found(what: &str, ids: &RequestIds) -> Response {
    graph_error(
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        &format!("Resource '{what}' does not exist or one of its queried reference-property objects are not present."),
        ids,
    )
}

/// Percent-decodes a path segment (`%27` → `'`, `%24` → `$`).
fn decode_segment(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The query as (name, value) pairs, names lower-cased (Graph's system query options are
/// case-insensitive).
fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect()
}

fn query<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `$filter` clauses of the form `prop eq 'value'` joined with `and`: (prop, value) pairs.
fn parse_filter(filter: &str, allowed: &[&str]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for clause in filter.split(" and ") {
        let clause = clause.trim();
        let mut parts = clause.splitn(3, ' ');
        let (Some(prop), Some(op), Some(value)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("Invalid filter clause '{clause}'."));
        };
        if !op.eq_ignore_ascii_case("eq") {
            return Err(format!(
                "Unsupported operator '{op}' in filter clause '{clause}'."
            ));
        }
        let Some(prop) = allowed.iter().find(|a| a.eq_ignore_ascii_case(prop)) else {
            return Err(format!(
                "Unsupported or invalid query filter clause specified for property '{prop}'."
            ));
        };
        let value = value.trim();
        if !(value.len() >= 2 && value.starts_with('\'') && value.ends_with('\'')) {
            return Err(format!(
                "Invalid filter clause '{clause}': quote the value."
            ));
        }
        out.push((prop.to_string(), value[1..value.len() - 1].to_string()));
    }
    Ok(out)
}

/// One page of `items` with `@odata.nextLink` when more follow.
fn page(
    items: Vec<Value>,
    dir_page_size: usize,
    uri: &Uri,
    headers: &HeaderMap,
    context: &str,
    ids: &RequestIds,
) -> Response {
    let pairs = query_pairs(uri);
    let skip = match query(&pairs, "$skiptoken").map(str::parse::<usize>) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return bad_request("Invalid $skiptoken.", ids),
    };
    // Server-driven paging: a page never holds more than the directory's page size, whatever
    // `$top` asks (Graph may answer fewer items than `$top`, with a nextLink).
    let size = match query(&pairs, "$top").map(str::parse::<usize>) {
        None => dir_page_size,
        Some(Ok(n)) if (1..=MAX_TOP).contains(&n) => n.min(dir_page_size),
        Some(_) => {
            return bad_request(
                &format!("Invalid page size specified: '$top' must be between 1 and {MAX_TOP}."),
                ids,
            )
        }
    };
    let total = items.len();
    let value: Vec<Value> = items.into_iter().skip(skip).take(size).collect();
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        Value::String(format!(
            "https://graph.microsoft.com/v1.0/$metadata#{context}"
        )),
    );
    if query(&pairs, "$count").is_some_and(|c| c.eq_ignore_ascii_case("true")) {
        body.insert("@odata.count".into(), json!(total));
    }
    if skip + size < total {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("graph.microsoft.com");
        let scheme = if clouds::graph_host_of_header(host).is_some() {
            "https"
        } else {
            "http"
        };
        let mut next: Vec<(String, String)> = pairs
            .iter()
            .filter(|(k, _)| k != "$skiptoken")
            .cloned()
            .collect();
        next.push(("$skiptoken".into(), (skip + size).to_string()));
        let q = serde_urlencoded::to_string(&next).unwrap_or_default();
        body.insert(
            "@odata.nextLink".into(),
            Value::String(format!("{scheme}://{host}{}?{q}", uri.path())),
        );
    }
    body.insert("value".into(), Value::Array(value));
    (StatusCode::OK, axum::Json(Value::Object(body))).into_response()
}

/// The directory of a tenant (empty when never seeded).
fn directory_of(state: &State, tenant: &str) -> Directory {
    state
        .lock()
        .directories
        .get(tenant)
        .cloned()
        .unwrap_or_default()
}

/// Role IDs in the stored policy's `allowedRoles` (array, GUID-keyed object or null), read
/// case-insensitively as the service binds names.
fn allowed_roles(policy: &Value) -> Vec<String> {
    let Some(obj) = policy.as_object() else {
        return Vec::new();
    };
    let roles = obj
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("allowedRoles"))
        .map(|(_, v)| v);
    match roles {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.trim().to_ascii_lowercase())
            .collect(),
        Some(Value::Object(map)) => map.keys().map(|k| k.trim().to_ascii_lowercase()).collect(),
        _ => Vec::new(),
    }
}

/// Handles every Graph path the policy routes do not: the directory routes above, and Graph's
/// unknown-segment answer for anything else.
pub async fn graph_route(
    AxState(state): AxState<Arc<State>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    let (version, rest) = if let Some(r) = path.strip_prefix("/v1.0/") {
        ("v1.0", r)
    } else if let Some(r) = path.strip_prefix("/beta/") {
        ("beta", r)
    } else {
        return crate::graph::unknown_segment(uri, headers).await;
    };
    let segments: Vec<String> = rest
        .trim_end_matches('/')
        .split('/')
        .map(decode_segment)
        .collect();
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let ids = RequestIds::from_headers(&headers);
    let known = matches!(
        seg.as_slice(),
        ["roleManagement", "directory", _]
            | ["groups", _, "transitiveMembers", ..]
            | [_, "appRoleAssignedTo"]
            | ["servicePrincipals", _, "appRoleAssignedTo"]
            | ["users", _]
            | ["servicePrincipals", _]
            | ["users", _, "photo", "$value"]
            | ["me", "photo", "$value"]
            | ["me", "photo", _]
    ) || seg
        .first()
        .is_some_and(|s| s.starts_with("servicePrincipals("));
    if !known {
        return crate::graph::unknown_segment(uri, headers).await;
    }
    let caller = match authenticate(&state, &headers, &ids) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let tenant = caller.claims.tid.clone();
    let dir = directory_of(&state, &tenant);
    let mut resp = match (method.clone(), seg.as_slice()) {
        (Method::GET, ["roleManagement", "directory", "roleDefinitions"]) => {
            role_definitions(&caller, &dir, &uri, &headers, &ids)
        }
        (Method::GET, ["roleManagement", "directory", "roleAssignments"]) => {
            role_assignments(&caller, &dir, &uri, &headers, &ids, false)
        }
        (Method::GET, ["roleManagement", "directory", "roleEligibilityScheduleInstances"]) => {
            role_assignments(&caller, &dir, &uri, &headers, &ids, true)
        }
        (Method::GET, ["groups", id, "transitiveMembers", rest @ ..]) if rest.len() <= 1 => {
            transitive_members(
                &caller,
                &dir,
                id,
                rest.first().copied(),
                &uri,
                &headers,
                &ids,
            )
        }
        (Method::GET, [sp, "appRoleAssignedTo"]) => {
            app_role_assigned_to(&caller, &dir, sp, &uri, &headers, &ids)
        }
        (Method::GET, ["servicePrincipals", id, "appRoleAssignedTo"]) => {
            app_role_assigned_to(&caller, &dir, id, &uri, &headers, &ids)
        }
        (Method::GET, ["users", key]) => get_user(&caller, &dir, key, &ids),
        (Method::GET, [sp]) => get_service_principal(&caller, &dir, sp, &ids),
        (Method::GET, ["servicePrincipals", id]) => get_service_principal(&caller, &dir, id, &ids),
        (Method::PUT, ["users", key, "photo", "$value"]) => {
            put_photo(&state, &caller, &dir, Some(key), &headers, &body, &ids)
        }
        (Method::PUT, ["me", "photo", "$value"]) => {
            put_photo(&state, &caller, &dir, None, &headers, &body, &ids)
        }
        (Method::GET, ["me", "photo", op])
            if op
                .trim_end_matches("()")
                .eq_ignore_ascii_case("getAllowedOperations")
                && version == "beta" =>
        {
            allowed_operations(&state, &caller, &dir, &ids)
        }
        _ => graph_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target.",
            &ids,
        ),
    };
    ids.stamp(&mut resp);
    resp
}

fn role_definitions(
    caller: &Caller,
    dir: &Directory,
    uri: &Uri,
    headers: &HeaderMap,
    ids: &RequestIds,
) -> Response {
    if !caller.has_any(ROLE_READ) {
        return denied(ids);
    }
    let pairs = query_pairs(uri);
    let filter = match query(&pairs, "$filter").map(|f| parse_filter(f, &["id", "templateId"])) {
        None => Vec::new(),
        Some(Ok(f)) => f,
        Some(Err(e)) => return bad_request(&e, ids),
    };
    let mut all: Vec<Value> = BUILT_IN_ROLES
        .iter()
        .map(|(id, name)| {
            json!({"id": id, "templateId": id, "displayName": name, "isBuiltIn": true, "isEnabled": true})
        })
        .collect();
    all.extend(dir.role_definitions.iter().map(|d| {
        json!({"id": d.id, "templateId": d.template_id.clone().unwrap_or_else(|| d.id.clone()),
               "displayName": d.display_name, "isBuiltIn": false, "isEnabled": true})
    }));
    let items = all
        .into_iter()
        .filter(|d| {
            filter.iter().all(|(p, v)| {
                d.get(p)
                    .and_then(Value::as_str)
                    .is_some_and(|x| x.eq_ignore_ascii_case(v))
            })
        })
        .collect();
    page(
        items,
        dir.page_size(),
        uri,
        headers,
        "roleManagement/directory/roleDefinitions",
        ids,
    )
}

fn role_assignments(
    caller: &Caller,
    dir: &Directory,
    uri: &Uri,
    headers: &HeaderMap,
    ids: &RequestIds,
    eligible: bool,
) -> Response {
    if !caller.has_any(if eligible {
        ELIGIBILITY_READ
    } else {
        ROLE_READ
    }) {
        return denied(ids);
    }
    let pairs = query_pairs(uri);
    let filter = match query(&pairs, "$filter")
        .map(|f| parse_filter(f, &["roleDefinitionId", "principalId", "directoryScopeId"]))
    {
        None => Vec::new(),
        Some(Ok(f)) => f,
        Some(Err(e)) => return bad_request(&e, ids),
    };
    let expand = match query(&pairs, "$expand") {
        None => false,
        Some(e) if e.trim().eq_ignore_ascii_case("principal") => true,
        Some(e) => {
            return bad_request(
                &format!("Could not find a property named '{e}' to expand."),
                ids,
            )
        }
    };
    let source = if eligible {
        &dir.role_eligibilities
    } else {
        &dir.role_assignments
    };
    let items = source
        .iter()
        .filter(|a| {
            filter.iter().all(|(p, v)| {
                let field = match p.as_str() {
                    "roleDefinitionId" => &a.role_definition_id,
                    "principalId" => &a.principal_id,
                    _ => &a.directory_scope_id,
                };
                field.eq_ignore_ascii_case(v)
            })
        })
        .map(|a| {
            let mut v = json!({
                "id": a.id,
                "principalId": a.principal_id,
                "roleDefinitionId": a.role_definition_id,
                "directoryScopeId": a.directory_scope_id,
                "appScopeId": null,
            });
            if eligible {
                v["memberType"] = json!("Direct");
                v["startDateTime"] = json!("2026-01-01T00:00:00Z");
                v["endDateTime"] = Value::Null;
                v["roleEligibilityScheduleId"] = json!(a.id);
            }
            if expand {
                v["principal"] = dir.object(&a.principal_id).unwrap_or(Value::Null);
            }
            v
        })
        .collect();
    let context = if eligible {
        "roleManagement/directory/roleEligibilityScheduleInstances"
    } else {
        "roleManagement/directory/roleAssignments"
    };
    page(items, dir.page_size(), uri, headers, context, ids)
}

fn transitive_members(
    caller: &Caller,
    dir: &Directory,
    group_id: &str,
    cast: Option<&str>,
    uri: &Uri,
    headers: &HeaderMap,
    ids: &RequestIds,
) -> Response {
    if !caller.has_any(MEMBER_READ) {
        return denied(ids);
    }
    if !dir
        .groups
        .iter()
        .any(|g| g.id.eq_ignore_ascii_case(group_id))
    {
        return not_found(group_id, ids);
    }
    let pairs = query_pairs(uri);
    let counting = query(&pairs, "$count").is_some_and(|c| c.eq_ignore_ascii_case("true"));
    let eventual = headers
        .get("consistencylevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("eventual"));
    // Graph's advanced queries ($count, casts with $count) need the eventual consistency header.
    if counting && !eventual {
        return bad_request(
            "$count is not currently supported without the header 'ConsistencyLevel: eventual'.",
            ids,
        );
    }
    let wanted_type = match cast {
        None => None,
        Some(c) => match c.strip_prefix("microsoft.graph.") {
            Some(t @ ("user" | "group" | "servicePrincipal")) => {
                Some(format!("#microsoft.graph.{t}"))
            }
            _ => return bad_request(&format!("Invalid type cast '{c}'."), ids),
        },
    };
    let items = dir
        .transitive_members(group_id)
        .iter()
        .filter_map(|m| dir.object(m))
        .filter(|o| {
            wanted_type
                .as_deref()
                .is_none_or(|t| o["@odata.type"].as_str() == Some(t))
        })
        .collect();
    page(
        items,
        dir.page_size(),
        uri,
        headers,
        "directoryObjects",
        ids,
    )
}

fn is_graph_service_principal(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k == GRAPH_SERVICE_PRINCIPAL_ID
        || k == format!("serviceprincipals(appid='{}')", clouds::GRAPH_APP_ID)
}

fn app_role_assigned_to(
    caller: &Caller,
    dir: &Directory,
    sp_key: &str,
    uri: &Uri,
    headers: &HeaderMap,
    ids: &RequestIds,
) -> Response {
    if !caller.has_any(APP_READ) {
        return denied(ids);
    }
    if !is_graph_service_principal(sp_key) {
        // Only Microsoft Graph's permissions are modelled; any other resource has none granted.
        if sp_key.starts_with("servicePrincipals(") || dir.object(sp_key).is_none() {
            return not_found(sp_key, ids);
        }
        return page(
            Vec::new(),
            dir.page_size(),
            uri,
            headers,
            "appRoleAssignments",
            ids,
        );
    }
    let items = dir
        .app_role_assignments
        .iter()
        .map(|a| {
            let sp = dir
                .service_principals
                .iter()
                .find(|s| s.id.eq_ignore_ascii_case(&a.principal_id));
            json!({
                "id": a.id,
                "appRoleId": a.app_role_id,
                "principalId": a.principal_id,
                "principalType": "ServicePrincipal",
                "principalDisplayName": sp.and_then(|s| s.display_name.clone()),
                "resourceId": GRAPH_SERVICE_PRINCIPAL_ID,
                "resourceDisplayName": "Microsoft Graph",
                "createdDateTime": "2026-01-01T00:00:00Z",
            })
        })
        .collect();
    page(
        items,
        dir.page_size(),
        uri,
        headers,
        "appRoleAssignments",
        ids,
    )
}

fn get_user(caller: &Caller, dir: &Directory, key: &str, ids: &RequestIds) -> Response {
    if !caller.has_any(USER_READ) {
        return denied(ids);
    }
    match dir.find_user(key).and_then(|u| dir.object(&u.id)) {
        Some(v) => (StatusCode::OK, axum::Json(v)).into_response(),
        None => not_found(key, ids),
    }
}

fn get_service_principal(
    caller: &Caller,
    dir: &Directory,
    key: &str,
    ids: &RequestIds,
) -> Response {
    if !caller.has_any(APP_READ) {
        return denied(ids);
    }
    let found = if let Some(app_id) = key
        .strip_prefix("servicePrincipals(appId='")
        .and_then(|r| r.strip_suffix("')"))
    {
        dir.service_principals.iter().find(|s| {
            s.app_id
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case(app_id))
        })
    } else {
        dir.service_principals
            .iter()
            .find(|s| s.id.eq_ignore_ascii_case(key))
    };
    match found.and_then(|s| dir.object(&s.id)) {
        Some(v) => (StatusCode::OK, axum::Json(v)).into_response(),
        None => not_found(key, ids),
    }
}

/// What the policy lets the caller do with photos, in the emulator's reading of the service.
enum PhotoVerdict {
    Allowed,
    /// Holds an allowed role only scoped to an administrative unit.
    ScopedRole,
    /// Holds none of the allowed roles.
    NotAllowedRole,
    /// Unrestricted, but changing another user's photo needs a role with the photo permission.
    NoPhotoRole,
}

fn photo_verdict(state: &State, caller: &Caller, dir: &Directory, own: bool) -> PhotoVerdict {
    let policy = state.policy(&caller.claims.tid);
    let allowed = allowed_roles(&policy);
    let oid = caller.claims.oid.as_str();
    let judge = |roles: &[String]| {
        let scopes = dir.active_scopes(oid, roles);
        if scopes.contains("/") {
            Some(PhotoVerdict::Allowed)
        } else if !scopes.is_empty() {
            Some(PhotoVerdict::ScopedRole)
        } else {
            None
        }
    };
    if !allowed.is_empty() {
        return judge(&allowed).unwrap_or(PhotoVerdict::NotAllowedRole);
    }
    // No restriction: everyone may change their own photo, and an app its granted permission
    // covers; another user's photo needs a role that holds the photo permission.
    if own || !caller.delegated() {
        return PhotoVerdict::Allowed;
    }
    let photo_roles: Vec<String> = DOCUMENTED_ROLES
        .iter()
        .chain(UNCONFIRMED_ROLES.iter())
        .map(|r| r.to_string())
        .collect();
    judge(&photo_roles).unwrap_or(PhotoVerdict::NoPhotoRole)
}

fn put_photo(
    state: &State,
    caller: &Caller,
    dir: &Directory,
    target: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
    ids: &RequestIds,
) -> Response {
    let own_scope = caller.delegated() && target.is_none() && caller.has_any(&["User.ReadWrite"]);
    if !caller.has_any(PHOTO_WRITE) && !own_scope {
        return denied(ids);
    }
    if target.is_none() && !caller.delegated() {
        return bad_request(
            "/me request is only valid with delegated authentication flow.",
            ids,
        );
    }
    let target_id = match target {
        None => caller.claims.oid.clone(),
        Some(key) => match dir.find_user(key) {
            Some(u) => u.id.clone(),
            None => return not_found(key, ids),
        },
    };
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !media.to_ascii_lowercase().starts_with("image/") || body.is_empty() {
        return bad_request(
            "A photo must be sent as an image (Content-Type: image/jpeg or image/png) with a body.",
            ids,
        );
    }
    let own = caller.delegated() && target_id.eq_ignore_ascii_case(&caller.claims.oid);
    match photo_verdict(state, caller, dir, own) {
        PhotoVerdict::Allowed => {
            state
                .lock()
                .photo_writes
                .push((caller.claims.tid.clone(), target_id.to_ascii_lowercase()));
            StatusCode::OK.into_response()
        }
        PhotoVerdict::ScopedRole => graph_error(
            StatusCode::FORBIDDEN,
            "ForbiddenByPolicy",
            "invalid_role",
            ids,
        ),
        PhotoVerdict::NotAllowedRole => graph_error(
            StatusCode::FORBIDDEN,
            "ForbiddenByAdminEditPolicy",
            "The operation is forbidden by the admin edit policy.",
            ids,
        ),
        PhotoVerdict::NoPhotoRole => denied(ids),
    }
}

fn allowed_operations(
    state: &State,
    caller: &Caller,
    dir: &Directory,
    ids: &RequestIds,
) -> Response {
    if !caller.delegated() {
        return bad_request(
            "/me request is only valid with delegated authentication flow.",
            ids,
        );
    }
    let ops = match photo_verdict(state, caller, dir, true) {
        PhotoVerdict::Allowed => "update,delete",
        _ => "",
    };
    (
        StatusCode::OK,
        axum::Json(json!({
            "@odata.context": "https://graph.microsoft.com/beta/$metadata#microsoft.graph.photoAllowedOperations",
            "allowedOperations": ops,
        })),
    )
        .into_response()
}

/// Stores a tenant's directory (replacing the previous one). The error says what is wrong.
pub fn set_directory(state: &State, tenant: &str, value: Value) -> Result<(), String> {
    if tenant.trim().is_empty() {
        return Err("The tenant ID must not be empty.".into());
    }
    let dir: Directory =
        serde_json::from_value(value).map_err(|e| format!("The directory is not valid: {e}."))?;
    let dir = dir.normalize()?;
    state.lock().directories.insert(tenant.to_string(), dir);
    Ok(())
}

/// A tenant's directory as stored (IDs filled in), or an empty one.
pub fn directory_json(state: &State, tenant: &str) -> Value {
    serde_json::to_value(directory_of(state, tenant)).unwrap_or(Value::Null)
}

/// Photo writes the emulator accepted, as (tenant, user ID) pairs, oldest first.
pub fn photo_writes(state: &State) -> Vec<(String, String)> {
    state.lock().photo_writes.clone()
}

/// Keeps the map type in one place for `state.rs`.
pub type Directories = HashMap<String, Directory>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_and_refuse_what_graph_refuses() {
        assert_eq!(
            parse_filter(
                "roleDefinitionId eq 'abc' and principalId eq 'x'",
                &["roleDefinitionId", "principalId"]
            )
            .unwrap(),
            vec![
                ("roleDefinitionId".to_string(), "abc".to_string()),
                ("principalId".to_string(), "x".to_string())
            ]
        );
        assert!(parse_filter("displayName eq 'x'", &["roleDefinitionId"]).is_err());
        assert!(parse_filter("roleDefinitionId ne 'x'", &["roleDefinitionId"]).is_err());
        assert!(parse_filter("roleDefinitionId eq x", &["roleDefinitionId"]).is_err());
    }

    #[test]
    fn nested_groups_expand_once_and_roles_follow_membership() {
        let dir = Directory {
            groups: vec![
                DirGroup {
                    id: "g1".into(),
                    members: vec!["u1".into(), "g2".into()],
                    ..Default::default()
                },
                DirGroup {
                    id: "g2".into(),
                    members: vec!["u2".into(), "g1".into()],
                    ..Default::default()
                },
            ],
            role_assignments: vec![DirRoleAssignment {
                id: Some("a".into()),
                principal_id: "g2".into(),
                role_definition_id: "r".into(),
                directory_scope_id: "/".into(),
            }],
            ..Default::default()
        };
        let mut m = dir.transitive_members("g1");
        m.sort();
        assert_eq!(m, ["g1", "g2", "u1", "u2"]);
        assert!(dir.active_scopes("u1", &["r".into()]).contains("/"));
        assert!(dir.active_scopes("u3", &["r".into()]).is_empty());
        assert_eq!(
            decode_segment("servicePrincipals(appId=%27x%27)"),
            "servicePrincipals(appId='x')"
        );
        assert_eq!(decode_segment("%24value"), "$value");
    }
}
