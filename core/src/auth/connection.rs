//! What a connection is, for `Get-…Connection`: tenant, cloud, how we signed in, who, until when,
//! and what the token grants. Never the token itself.

use serde::Serialize;

use super::claims::decode_claims;
use super::permissions::{can_change_policy, GLOBAL_READER, WRITE_ROLES};
use super::token::{AccessToken, SignInIdentity, TokenSource};
use crate::call_context::CallContext;
use crate::cloud::Cloud;
use crate::error::Result;

/// A directory role the signed-in user holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryRoleRef {
    /// Role template ID, as in the token's `wids`.
    pub id: String,
    /// Display name when the role is known (photo roles from the catalog, Global Reader).
    pub name: Option<String>,
}

/// The connection's facts, serialized camelCase for the C ABI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionInfo {
    /// Tenant ID from the token (`tid`).
    pub tenant_id: Option<String>,
    /// Cloud name (`Global`, `USGov`, `USGovDoD`, `China`).
    pub cloud: String,
    /// How the client signs in (the config's `mode` tag).
    pub auth_mode: String,
    /// Application (client) ID: the configured one, else the token's `appid`.
    pub client_id: Option<String>,
    /// Managed identity kind, certificate thumbprint, when relevant.
    pub identity: Option<String>,
    /// Signed-in user (`upn`) for delegated sign-in.
    pub account: Option<String>,
    /// When the current token expires, RFC 3339 UTC.
    pub token_expires_on: Option<String>,
    /// Delegated scopes (`scp`).
    pub scopes: Vec<String>,
    /// Application permissions (`roles`).
    pub roles: Vec<String>,
    /// Directory roles of the signed-in user (`wids`), with names where known.
    pub directory_roles: Vec<DirectoryRoleRef>,
    /// Whether the token shows it may change the policy (see
    /// [`super::permissions::can_change_policy`]): the write permission and, for a signed-in
    /// user whose token lists directory roles, one that may manage the policy. False for a token
    /// that cannot be read.
    pub can_change_policy: bool,
}

/// The name of a directory role template ID, when known.
pub fn directory_role_name(id: &str) -> Option<&'static str> {
    let id = id.trim();
    if let Some(info) = crate::roles::by_id(id) {
        return Some(info.name);
    }
    WRITE_ROLES
        .iter()
        .chain(std::iter::once(&GLOBAL_READER))
        .find(|(rid, _)| rid.eq_ignore_ascii_case(id))
        .map(|(_, name)| *name)
}

/// The cloud whose Graph a token's audience names.
fn cloud_from_audience(aud: &str) -> Option<Cloud> {
    let aud = aud.trim_end_matches('/');
    Cloud::ALL
        .into_iter()
        .find(|c| c.graph_host().eq_ignore_ascii_case(aud))
}

impl ConnectionInfo {
    /// Describes a connection from what the source knows and the token's claims. Opaque tokens
    /// give only what the source knows.
    pub fn from_token(identity: &SignInIdentity, token: &AccessToken) -> Self {
        let decoded = decode_claims(&token.token);
        let can_change_policy = can_change_policy(decoded.as_ref());
        let claims = decoded.unwrap_or_default();
        let cloud = identity
            .cloud
            .or_else(|| claims.aud.as_deref().and_then(cloud_from_audience))
            .unwrap_or_default();
        let expires = token.expires_at.or_else(|| {
            claims
                .exp
                .and_then(|s| u64::try_from(s).ok())
                .map(|s| std::time::UNIX_EPOCH + std::time::Duration::from_secs(s))
        });
        let auth_mode = if identity.auth_mode.is_empty() {
            "accessToken".to_string()
        } else {
            identity.auth_mode.clone()
        };
        Self {
            tenant_id: claims.tid.clone(),
            cloud: cloud.name().to_string(),
            auth_mode,
            client_id: identity.client_id.clone().or(claims.appid.clone()),
            identity: identity.identity.clone(),
            account: claims.upn.clone(),
            token_expires_on: expires.map(super::rfc3339::format_system_time),
            scopes: claims.scp.clone(),
            roles: claims.roles.clone(),
            directory_roles: claims
                .wids
                .iter()
                .flatten()
                .map(|id| DirectoryRoleRef {
                    id: id.clone(),
                    name: directory_role_name(id).map(str::to_string),
                })
                .collect(),
            can_change_policy,
        }
    }
}

/// Signs in if needed (or reuses the cached token) and describes the connection.
pub async fn connection_info(
    source: &dyn TokenSource,
    call: &CallContext,
) -> Result<ConnectionInfo> {
    let token = source.token(call).await?;
    Ok(ConnectionInfo::from_token(
        &source.sign_in_identity(),
        &token,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use zeroize::Zeroizing;

    fn jwt(payload: serde_json::Value) -> String {
        use base64::Engine as _;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.sig",
            e.encode(br#"{"alg":"RS256"}"#),
            e.encode(payload.to_string())
        )
    }

    #[test]
    fn delegated_connection_names_roles_and_never_holds_the_token() {
        let raw = jwt(json!({
            "tid": "tenant-1", "aud": "https://graph.microsoft.us", "exp": 1_700_000_000,
            "scp": "PeopleSettings.ReadWrite.All User.Read", "upn": "admin@contoso.us",
            "appid": "14d82eec-204b-4c2f-b7e8-296a70dab67e",
            "wids": ["024906de-61e5-49c8-8572-40335f1e0e10", "b79fbf4d-3ef9-4689-8143-76b194e85509"]
        }));
        let token = AccessToken {
            token: Zeroizing::new(raw.clone()),
            expires_at: None,
        };
        let info = ConnectionInfo::from_token(
            &SignInIdentity {
                auth_mode: "deviceCode".into(),
                ..Default::default()
            },
            &token,
        );
        assert_eq!(info.cloud, "USGov");
        assert_eq!(info.tenant_id.as_deref(), Some("tenant-1"));
        assert_eq!(info.account.as_deref(), Some("admin@contoso.us"));
        assert_eq!(
            info.token_expires_on.as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
        assert_eq!(
            info.directory_roles[0].name.as_deref(),
            Some("People Administrator")
        );
        assert_eq!(info.directory_roles[1].name, None);
        assert!(info.can_change_policy);
        let text = serde_json::to_string(&info).unwrap();
        assert!(text.contains("\"tokenExpiresOn\"") && text.contains("\"directoryRoles\""));
        assert!(text.contains("\"canChangePolicy\":true"), "{text}");
        assert!(!text.contains(&raw));
    }

    #[test]
    fn a_signed_in_user_without_a_managing_role_cannot_change_the_policy() {
        let info = |payload: serde_json::Value| {
            let token = AccessToken {
                token: Zeroizing::new(jwt(payload)),
                expires_at: None,
            };
            ConnectionInfo::from_token(&SignInIdentity::default(), &token)
        };
        let scp = "PeopleSettings.ReadWrite.All";
        // Helpdesk Administrator holds the scope's consent but may not manage the policy.
        let helpdesk = info(json!({"scp": scp, "wids": ["729827e3-9c14-49f7-bb1b-9608f156bbb8"]}));
        assert!(!helpdesk.can_change_policy);
        assert!(
            info(json!({"scp": scp, "wids": ["62e90394-69f5-4237-9190-012177145e10"]}))
                .can_change_policy
        );
        // Without a wids claim the role cannot be known: the scope decides here, the service later.
        assert!(info(json!({"scp": scp})).can_change_policy);
        assert!(!info(json!({"scp": "PeopleSettings.Read.All"})).can_change_policy);
        assert!(!info(json!({"roles": ["PeopleSettings.Read.All"]})).can_change_policy);
        assert!(info(json!({"roles": [scp]})).can_change_policy);
    }

    #[test]
    fn opaque_token_gives_the_source_view() {
        let token = AccessToken {
            token: Zeroizing::new("opaque".into()),
            expires_at: None,
        };
        let info = ConnectionInfo::from_token(&SignInIdentity::default(), &token);
        assert_eq!(info.auth_mode, "accessToken");
        assert_eq!(info.cloud, "Global");
        assert!(info.tenant_id.is_none() && info.token_expires_on.is_none());
        assert!(
            !info.can_change_policy,
            "nothing in an opaque token shows it may"
        );
    }
}
