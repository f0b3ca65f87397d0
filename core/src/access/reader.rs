//! The directory reads behind Get-PhotoUpdateAccess, each through the policy client's Graph
//! client (same host, same retries, throttling, timeouts and cancellation), paged through
//! `@odata.nextLink` to the end.
//!
//! A read the caller has no permission for (403) degrades only its own part: it is recorded as a
//! warning naming the least privileged permission that would show it, and the answer goes on
//! without it. Any other failure (throttled beyond the retry budget, outage, cancellation) fails
//! the call, as it does for the policy.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::Mutex;

use serde_json::Value;

use crate::auth::AccessToken;
use crate::call_context::CallContext;
use crate::client::PolicyClient;
use crate::error::{Error, ErrorKind, Result};
use crate::events;
use crate::graph::RequestCounter;

use super::rules::{
    photo_write_permission, AssignmentState, ObservedAppGrant, ObservedAssignment, ObservedMember,
    PrincipalRef, PrincipalType,
};

/// Application ID of Microsoft Graph's service principal (the same in every tenant and cloud).
pub const MICROSOFT_GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// Permission that shows active role assignments.
pub const ROLE_ASSIGNMENTS_PERMISSION: &str = "RoleManagement.Read.Directory";
/// Permission that shows eligible (PIM) role assignments.
pub const ROLE_ELIGIBILITY_PERMISSION: &str = "RoleEligibilitySchedule.Read.Directory";
/// Permission that shows group members.
pub const GROUP_MEMBERS_PERMISSION: &str = "GroupMember.Read.All";
/// Permission that shows the apps' Microsoft Graph application permissions.
pub const APP_PERMISSIONS_PERMISSION: &str = "Application.Read.All";
/// Permission that looks users up.
pub const USER_READ_PERMISSION: &str = "User.Read.All";

/// The most pages one list may take (a guard against a service that never stops paging).
const MAX_PAGES: usize = 10_000;

/// Page size asked of Graph (its maximum for these lists).
const PAGE_SIZE: &str = "999";

/// Reads the directory for one call; collects the parts that could not be read.
pub(crate) struct Reader<'a> {
    client: &'a PolicyClient,
    token: AccessToken,
    ctx: &'a CallContext,
    counter: &'a RequestCounter,
    warnings: Mutex<Vec<String>>,
    missing: Mutex<BTreeSet<String>>,
}

/// Percent-encodes a query value (spaces as `%20`, as Graph's own examples do).
fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

impl<'a> Reader<'a> {
    /// Signs in (or reuses the token) for the reads of one call.
    pub(crate) async fn new(
        client: &'a PolicyClient,
        ctx: &'a CallContext,
        counter: &'a RequestCounter,
    ) -> Result<Reader<'a>> {
        let token = client.directory_token(ctx).await?;
        Ok(Reader {
            client,
            token,
            ctx,
            counter,
            warnings: Mutex::new(Vec::new()),
            missing: Mutex::new(BTreeSet::new()),
        })
    }

    /// The token's claims (who is calling), when the token is a readable JWT.
    pub(crate) fn claims(&self) -> Option<crate::auth::claims::TokenClaims> {
        crate::auth::claims::decode_claims(&self.token.token)
    }

    /// Requests sent so far.
    pub(crate) fn requests(&self) -> u32 {
        self.counter.load(Ordering::Relaxed)
    }

    /// The warnings and missing permissions collected so far.
    pub(crate) fn take_findings(&self) -> (Vec<String>, Vec<String>) {
        let w = std::mem::take(&mut *self.warnings.lock().unwrap_or_else(|p| p.into_inner()));
        let m = std::mem::take(&mut *self.missing.lock().unwrap_or_else(|p| p.into_inner()));
        (w, m.into_iter().collect())
    }

    /// Whether a read needing `permission` was already refused in this call.
    fn is_missing(&self, permission: &str) -> bool {
        self.missing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(permission)
    }

    /// Records a part that could not be read for lack of `permission` (each permission once).
    fn degrade(&self, permission: &str, what: &str, error: &Error) {
        let first = self
            .missing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(permission.to_string());
        if first {
            let said = error
                .service()
                .and_then(|s| s.code.clone())
                .unwrap_or_else(|| "403".into());
            let text = format!(
                "{what} could not be read: Microsoft Graph refused it ({said}). Grant \
                 {permission} (or a permission that includes it) to show them; the rest of the \
                 answer does not include them."
            );
            events::verbose(&self.ctx.events, text.clone());
            self.warnings
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(text);
        }
    }

    /// Every item of a Graph list, following `@odata.nextLink` to the end.
    pub(crate) async fn list(
        &self,
        path_and_query: &str,
        headers: &[(&str, &str)],
    ) -> Result<Vec<Value>> {
        let graph = self.client.graph();
        let mut url = graph.url_for(path_and_query)?;
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let resp = graph
                .get(&url, headers, &self.token.token, self.ctx, self.counter)
                .await?;
            let body = resp.body.unwrap_or(Value::Null);
            match body.get("value") {
                Some(Value::Array(page)) => items.extend(page.iter().cloned()),
                _ => {
                    return Err(Error::new(
                        ErrorKind::InvalidResponse,
                        format!(
                            "Microsoft Graph answered GET {} without a 'value' list.",
                            url.path()
                        ),
                    ))
                }
            }
            match body.get("@odata.nextLink").and_then(Value::as_str) {
                Some(next) => {
                    url = url::Url::parse(next).map_err(|e| {
                        Error::new(
                            ErrorKind::InvalidResponse,
                            format!("Microsoft Graph answered an unreadable @odata.nextLink: {e}."),
                        )
                    })?;
                }
                None => return Ok(items),
            }
        }
        Err(Error::new(
            ErrorKind::InvalidResponse,
            format!("Microsoft Graph kept paging past {MAX_PAGES} pages; the list was abandoned."),
        ))
    }

    /// One Graph object.
    async fn object(&self, path_and_query: &str) -> Result<Value> {
        let graph = self.client.graph();
        let url = graph.url_for(path_and_query)?;
        let resp = graph
            .get(&url, &[], &self.token.token, self.ctx, self.counter)
            .await?;
        Ok(resp.body.unwrap_or(Value::Null))
    }

    /// Active or eligible assignments of `role_id`, with their principals; `None` when the
    /// caller may not read them (recorded).
    pub(crate) async fn role_assignments(
        &self,
        role_id: &str,
        state: AssignmentState,
    ) -> Result<Option<Vec<ObservedAssignment>>> {
        let (collection, permission, what) = match state {
            AssignmentState::Active => (
                "roleAssignments",
                ROLE_ASSIGNMENTS_PERMISSION,
                "Active role assignments",
            ),
            AssignmentState::Eligible => (
                "roleEligibilityScheduleInstances",
                ROLE_ELIGIBILITY_PERMISSION,
                "Eligible (PIM) role assignments",
            ),
        };
        if self.is_missing(permission) {
            // Already refused for another role in this call: the answer would be the same 403.
            return Ok(None);
        }
        let path = format!(
            "v1.0/roleManagement/directory/{collection}?$filter={}&$expand=principal",
            encode(&format!("roleDefinitionId eq '{role_id}'"))
        );
        let items = match self.list(&path, &[]).await {
            Ok(items) => items,
            Err(e) if e.kind() == ErrorKind::PermissionDenied => {
                self.degrade(permission, what, &e);
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        Ok(Some(
            items
                .iter()
                .filter_map(|a| {
                    let principal_id = a.get("principalId")?.as_str()?.to_string();
                    let p = a.get("principal").filter(|p| p.is_object());
                    Some(ObservedAssignment {
                        principal_type: PrincipalType::from_odata_type(
                            p.and_then(|p| p.get("@odata.type")).and_then(Value::as_str),
                        ),
                        principal: principal_ref(p, &principal_id),
                        role_id: a
                            .get("roleDefinitionId")
                            .and_then(Value::as_str)
                            .unwrap_or(role_id)
                            .to_ascii_lowercase(),
                        state,
                        scope: a
                            .get("directoryScopeId")
                            .and_then(Value::as_str)
                            .unwrap_or("/")
                            .to_string(),
                    })
                })
                .collect(),
        ))
    }

    /// Every member of a group, nested groups included (`transitiveMembers`, with
    /// `ConsistencyLevel: eventual` for the count Graph gives with it); `None` when the caller
    /// may not read them (recorded).
    pub(crate) async fn group_members(
        &self,
        group_id: &str,
    ) -> Result<Option<Vec<ObservedMember>>> {
        let path = format!(
            "v1.0/groups/{}/transitiveMembers?$count=true&$top={PAGE_SIZE}&$select=id,displayName,userPrincipalName,appId",
            encode(group_id)
        );
        let items = match self.list(&path, &[("ConsistencyLevel", "eventual")]).await {
            Ok(items) => items,
            Err(e) if e.kind() == ErrorKind::PermissionDenied => {
                self.degrade(
                    GROUP_MEMBERS_PERMISSION,
                    "Members of role-assignable groups",
                    &e,
                );
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        Ok(Some(
            items
                .iter()
                .filter_map(|m| {
                    let id = m.get("id")?.as_str()?.to_string();
                    let t = PrincipalType::from_odata_type(
                        m.get("@odata.type").and_then(Value::as_str),
                    );
                    // Groups inside groups are expanded by transitiveMembers already.
                    (t != PrincipalType::Group).then(|| ObservedMember {
                        principal: principal_ref(Some(m), &id),
                        principal_type: t,
                    })
                })
                .collect(),
        ))
    }

    /// Service principals holding a Microsoft Graph application permission that writes photos
    /// (from Microsoft Graph's `appRoleAssignedTo`); `None` when the caller may not read them.
    pub(crate) async fn photo_app_grants(&self) -> Result<Option<Vec<ObservedAppGrant>>> {
        let path = format!(
            "v1.0/servicePrincipals(appId='{MICROSOFT_GRAPH_APP_ID}')/appRoleAssignedTo?$top={PAGE_SIZE}"
        );
        let items = match self.list(&path, &[]).await {
            Ok(items) => items,
            Err(e) if e.kind() == ErrorKind::PermissionDenied => {
                self.degrade(
                    APP_PERMISSIONS_PERMISSION,
                    "Apps' Microsoft Graph application permissions",
                    &e,
                );
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        Ok(Some(
            items
                .iter()
                .filter(|a| {
                    a.get("principalType")
                        .and_then(Value::as_str)
                        .is_none_or(|t| t.eq_ignore_ascii_case("ServicePrincipal"))
                })
                .filter_map(|a| {
                    let permission = photo_write_permission(a.get("appRoleId")?.as_str()?)?;
                    let id = a.get("principalId")?.as_str()?.to_string();
                    Some(ObservedAppGrant {
                        principal: PrincipalRef {
                            id,
                            display_name: a
                                .get("principalDisplayName")
                                .and_then(Value::as_str)
                                .map(str::to_string),
                            user_principal_name: None,
                            app_id: None,
                        },
                        permission: permission.to_string(),
                    })
                })
                .collect(),
        ))
    }

    /// A user by object ID or UPN.
    pub(crate) async fn user(&self, key: &str) -> Result<PrincipalRef> {
        let v = self
            .object(&format!(
                "v1.0/users/{}?$select=id,displayName,userPrincipalName",
                encode(key)
            ))
            .await
            .map_err(|e| explain_lookup(e, "user", key, USER_READ_PERMISSION))?;
        let id = v
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or(key)
            .to_string();
        Ok(principal_ref(Some(&v), &id))
    }

    /// A service principal by object ID or application ID.
    pub(crate) async fn service_principal(&self, key: &str) -> Result<PrincipalRef> {
        let by_id = self
            .object(&format!(
                "v1.0/servicePrincipals/{}?$select=id,displayName,appId",
                encode(key)
            ))
            .await;
        let v = match by_id {
            Ok(v) => v,
            Err(e) if e.kind() == ErrorKind::NotFound => self
                .object(&format!(
                    "v1.0/servicePrincipals(appId='{}')?$select=id,displayName,appId",
                    encode(key)
                ))
                .await
                .map_err(|e| {
                    explain_lookup(e, "service principal", key, APP_PERMISSIONS_PERMISSION)
                })?,
            Err(e) => {
                return Err(explain_lookup(
                    e,
                    "service principal",
                    key,
                    APP_PERMISSIONS_PERMISSION,
                ))
            }
        };
        let id = v
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or(key)
            .to_string();
        Ok(principal_ref(Some(&v), &id))
    }

    /// What the service says the signed-in user may do with their own photo
    /// (`GET /beta/me/photo/getAllowedOperations`): `update,delete` or empty. `None` when it
    /// could not be asked (recorded as a warning, never failing the answer).
    pub(crate) async fn allowed_operations(&self) -> Result<Option<String>> {
        match self.object("beta/me/photo/getAllowedOperations").await {
            Ok(v) => Ok(Some(
                v.get("allowedOperations")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            )),
            Err(e) if matches!(e.kind(), ErrorKind::Cancelled | ErrorKind::Timeout) => Err(e),
            Err(e) => {
                let text = format!(
                    "The service's own answer (GET /beta/me/photo/getAllowedOperations) could not \
                     be read: {}",
                    e.message()
                );
                self.warnings
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(text);
                Ok(None)
            }
        }
    }
}

fn principal_ref(v: Option<&Value>, id: &str) -> PrincipalRef {
    let field = |k: &str| {
        v.and_then(|v| v.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    PrincipalRef {
        id: id.to_string(),
        display_name: field("displayName"),
        user_principal_name: field("userPrincipalName"),
        app_id: field("appId"),
    }
}

fn explain_lookup(e: Error, what: &str, key: &str, permission: &str) -> Error {
    match e.kind() {
        ErrorKind::NotFound => Error::new(
            ErrorKind::NotFound,
            format!("No {what} '{key}' was found in the tenant."),
        )
        .with_recommended_action(format!(
            "Check the {what}'s object ID{}.",
            if what == "user" {
                " or user principal name"
            } else {
                " or application ID"
            }
        ))
        .with_target(key),
        ErrorKind::PermissionDenied => Error::new(
            ErrorKind::PermissionDenied,
            format!("The {what} '{key}' could not be looked up: {}", e.message()),
        )
        .with_recommended_action(format!("Grant {permission} to the app (admin consent)."))
        .with_target(key),
        _ => e,
    }
}
