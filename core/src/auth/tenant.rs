//! Which tenant a call acts on: always the token's (`tid`). Microsoft Graph ignores whatever
//! tenant the caller had in mind and answers for the token's tenant, so a token for tenant A used
//! with `tenantId` B would read and change A while the result, the backup and the export were
//! filed under B (and a restore of that backup would write A's policy into B).
//!
//! So before anything is sent: a configured tenant ID that differs from the token's is refused,
//! naming both. A configured domain name is resolved to its tenant ID through the authority's
//! OpenID metadata (`{authority}/{domain}/v2.0/.well-known/openid-configuration`, whose `issuer`
//! names the tenant ID), once per process, and compared the same way. Sign-in modes that asked
//! the authority for a token of the configured tenant (client secret, certificate, device code)
//! got that tenant by construction and need no look-up; an access token passed in and managed
//! identities (whose tenant is their own) are checked. Results then carry the token's tenant.

use std::collections::HashMap;
use std::sync::Mutex;

use once_cell::sync::Lazy;
use serde_json::Value;

use super::claims::decode_claims;
use super::context::SignInContext;
use super::token::AccessToken;
use crate::call_context::CallContext;
use crate::config::auth::AuthConfig;
use crate::config::ClientConfig;
use crate::error::{echo, Error, ErrorKind, Result};

/// Domain → tenant ID, per authority (`"{authority}\n{domain}"`), resolved once per process.
static RESOLVED: Lazy<Mutex<HashMap<String, String>>> = Lazy::new(|| Mutex::new(HashMap::new()));

/// The tenant the call acts on (the token's `tid`; the configured tenant when the token is
/// opaque; `None` when neither is known), or an [`ErrorKind::InvalidArgument`] error naming both
/// tenants when the configured one is another tenant. Nothing is sent to Graph before this.
pub async fn acting_tenant(
    config: &ClientConfig,
    token: &AccessToken,
    ctx: &CallContext,
) -> Result<Option<String>> {
    let tid = decode_claims(&token.token).and_then(|c| c.tid);
    let configured = config
        .tenant_id
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let (configured, tid) = match (configured, tid) {
        (None, tid) => return Ok(tid),
        (Some(c), None) => return Ok(Some(c.to_string())),
        (Some(c), Some(t)) => (c, t),
    };
    if uuid::Uuid::try_parse(configured).is_ok() {
        return if configured.eq_ignore_ascii_case(&tid) {
            Ok(Some(tid))
        } else {
            Err(mismatch(configured, None, &tid))
        };
    }
    // A domain name. Aliases such as "organizations" name no tenant: the token's stands.
    let checked_by_sign_in = !matches!(
        config.auth,
        AuthConfig::AccessToken | AuthConfig::ManagedIdentity { .. }
    );
    if checked_by_sign_in || !configured.contains('.') {
        return Ok(Some(tid));
    }
    let id = resolve_domain(config, configured, ctx).await?;
    if id.eq_ignore_ascii_case(&tid) {
        Ok(Some(tid))
    } else {
        Err(mismatch(configured, Some(&id), &tid))
    }
}

fn mismatch(configured: &str, resolved: Option<&str>, tid: &str) -> Error {
    let asked = match resolved {
        Some(id) => format!("{} (tenant ID {id})", echo(configured)),
        None => echo(configured),
    };
    Error::invalid_argument(format!(
        "The access token is for tenant {tid}, but the tenant asked for is {asked}. Microsoft \
         Graph acts on the token's tenant, so nothing was sent."
    ))
    .with_target("tenantId")
    .with_recommended_action(format!(
        "Use a token issued for {} (sign in to that tenant), or give the token's tenant ({tid}) \
         as the tenant.",
        echo(configured)
    ))
}

/// The tenant ID behind `domain`, from the authority's OpenID metadata (cached per process).
async fn resolve_domain(config: &ClientConfig, domain: &str, ctx: &CallContext) -> Result<String> {
    let signin = SignInContext::from_config(config, crate::runtime::try_http_client()?.clone())?;
    let key = format!("{}\n{}", signin.authority, domain.to_ascii_lowercase());
    if let Some(id) = RESOLVED.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(id.clone());
    }
    let url = format!(
        "{}/{domain}/v2.0/.well-known/openid-configuration",
        signin.authority
    );
    let unresolved = |why: String| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "The tenant {} could not be confirmed as the access token's tenant: {why}. \
                 Nothing was sent.",
                echo(domain)
            ),
        )
        .with_target("tenantId")
        .with_recommended_action(
            "Give the tenant ID (a GUID) instead of the domain name, or check the domain's spelling.",
        )
    };
    let http = signin.http.clone();
    let answer = super::http::send(&signin, "GET", &url, &|| http.get(&url), ctx)
        .await
        .map_err(|e| unresolved(format!("reading {url} failed ({})", e.message())))?;
    if !answer.is_success() {
        return Err(unresolved(format!(
            "{url} answered {} (the authority knows no tenant by that name)",
            answer.status
        )));
    }
    let id = serde_json::from_slice::<Value>(&answer.body)
        .ok()
        .and_then(|v| tenant_in_metadata(&v))
        .ok_or_else(|| unresolved(format!("{url} names no tenant in 'issuer'")))?;
    RESOLVED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, id.clone());
    Ok(id)
}

/// The tenant in the metadata: the first path segment of `issuer`
/// (`https://login.microsoftonline.com/{tenant}/v2.0`), else of `token_endpoint`.
fn tenant_in_metadata(metadata: &Value) -> Option<String> {
    ["issuer", "token_endpoint"].iter().find_map(|field| {
        let url = url::Url::parse(metadata.get(*field)?.as_str()?).ok()?;
        let first = url.path_segments()?.next()?.trim().to_string();
        (!first.is_empty()).then_some(first)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_tenant_is_read_from_the_issuer_or_the_token_endpoint() {
        let id = "8a4a5f2e-3f65-4f0a-9a52-6d0c1a2b3c4d";
        let issuer = json!({"issuer": format!("https://login.microsoftonline.com/{id}/v2.0")});
        assert_eq!(tenant_in_metadata(&issuer).as_deref(), Some(id));
        let endpoint = json!({"token_endpoint": format!("https://login.microsoftonline.us/{id}/oauth2/v2.0/token")});
        assert_eq!(tenant_in_metadata(&endpoint).as_deref(), Some(id));
        assert_eq!(tenant_in_metadata(&json!({"issuer": 3})), None);
        assert_eq!(tenant_in_metadata(&json!({})), None);
    }

    #[test]
    fn a_mismatch_names_both_tenants_and_escapes_the_input() {
        let e = mismatch("contoso\u{202e}.com", Some("t-b"), "t-a");
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("tenant t-a"), "{}", e.message());
        assert!(e.message().contains("(tenant ID t-b)"), "{}", e.message());
        assert!(
            e.message().contains("contoso\\u{202e}.com"),
            "{}",
            e.message()
        );
        assert!(e.message().contains("nothing was sent"), "{}", e.message());
    }
}
