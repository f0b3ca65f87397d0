//! Where sign-in requests go and how they are sent: the cloud (for the Graph scope), the sign-in
//! authority (possibly the emulator), the tenant, the shared HTTP client, timeouts and retries.
//!
//! Built once per client from [`ClientConfig`]; every token source holds a copy.

use std::net::IpAddr;
use std::time::Duration;

use crate::cloud::Cloud;
use crate::config::{ClientConfig, RetryPolicy, Timeouts};
use crate::error::{Error, Result};

/// Everything a token source needs to reach the sign-in service.
#[derive(Debug, Clone)]
pub struct SignInContext {
    /// Shared HTTP client (the process-wide one in production, so connections stay warm).
    pub http: reqwest::Client,
    /// The cloud; the token's scope/resource always follows it, even when the authority is
    /// overridden (the emulator plays every cloud).
    pub cloud: Cloud,
    /// Sign-in authority base URL, scheme + host [+ port], no trailing slash.
    pub authority: String,
    /// Tenant ID or verified domain, already checked to be safe in a URL path.
    pub tenant: Option<String>,
    /// Per-request timeouts.
    pub timeouts: Timeouts,
    /// Retry policy for throttled and transient sign-in answers.
    pub retry: RetryPolicy,
}

impl SignInContext {
    /// Builds the context from a client config. Fails with `InvalidArgument` when the authority
    /// override is not a valid endpoint for the cloud or the tenant is not a GUID or domain name.
    pub fn from_config(config: &ClientConfig, http: reqwest::Client) -> Result<Self> {
        // The shared endpoint rules: the cloud's authority over HTTPS, or loopback when allowed.
        let authority = crate::endpoint::authority_base_url(config)?
            .as_str()
            .trim_end_matches('/')
            .to_string();
        let tenant = match &config.tenant_id {
            Some(t) => Some(validate_tenant(t)?),
            None => None,
        };
        Ok(Self {
            http,
            cloud: config.cloud,
            authority,
            tenant,
            timeouts: config.timeouts,
            retry: config.retry,
        })
    }

    /// A context for tests and tools that pass an authority they trust: the authority is not
    /// validated (the tenant is). Production code uses [`Self::from_config`].
    pub fn new(
        http: reqwest::Client,
        cloud: Cloud,
        authority: &str,
        tenant: Option<&str>,
    ) -> Result<Self> {
        let tenant = tenant.map(validate_tenant).transpose()?;
        Ok(Self {
            http,
            cloud,
            authority: authority.trim().trim_end_matches('/').to_string(),
            tenant,
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
        })
    }

    /// This context for another tenant (checked like a configured one): the same authority,
    /// cloud, HTTP client, timeouts and retries.
    pub fn for_tenant(&self, tenant: &str) -> Result<Self> {
        Ok(Self {
            tenant: Some(validate_tenant(tenant)?),
            ..self.clone()
        })
    }

    /// The tenant, or an `InvalidArgument` error saying that `mode` needs one.
    pub fn require_tenant(&self, mode: &str) -> Result<&str> {
        self.tenant.as_deref().ok_or_else(|| {
            Error::invalid_argument(format!(
                "Sign-in with {mode} needs a tenant: set tenantId to the tenant ID (GUID) or a verified \
                 domain such as contoso.onmicrosoft.com."
            ))
            .with_target("tenantId")
        })
    }

    /// `{authority}/{tenant}/oauth2/v2.0/token`.
    pub fn token_url(&self, tenant: &str) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.authority, tenant)
    }

    /// Whole-request timeout for one sign-in exchange.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.timeouts.total_ms.max(1))
    }
}

/// Checks a tenant ID or domain and returns it trimmed. It goes into a URL path, so only GUIDs,
/// DNS names and the well-known `organizations` / `common` / `consumers` are accepted.
pub fn validate_tenant(tenant: &str) -> Result<String> {
    let t = tenant.trim();
    let ok = !t.is_empty()
        && t.len() <= 253
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && !t.starts_with('.')
        && !t.ends_with('.')
        && !t.contains("..");
    if ok {
        Ok(t.to_string())
    } else {
        Err(Error::invalid_argument(format!(
            "Tenant '{t}' is not valid: use the tenant ID (a GUID such as \
             72f988bf-86f1-41af-91ab-2d7cd011db47) or a verified domain such as contoso.onmicrosoft.com."
        ))
        .with_target(t.to_string()))
    }
}

/// Checks an application (client) ID: a GUID, any case, optional braces. Returns it lower-case.
pub fn validate_client_id(client_id: &str) -> Result<String> {
    let t = client_id
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}');
    match uuid::Uuid::parse_str(t) {
        Ok(u) if t.len() == 36 => Ok(u.hyphenated().to_string()),
        _ => Err(Error::invalid_argument(format!(
            "Client ID '{}' is not valid: pass the application (client) ID, a GUID such as \
             14d82eec-204b-4c2f-b7e8-296a70dab67e, from the app registration's Overview page.",
            client_id.trim()
        ))
        .with_target(client_id.trim().to_string())),
    }
}

/// True for addresses a managed identity endpoint may use over plain HTTP: loopback, and
/// link-local 169.254.0.0/16 (the VM IMDS address 169.254.169.254, and the link-local addresses
/// App Service on Linux uses). Both are unreachable from outside the host.
pub(crate) fn is_local_identity_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback() || ip.is_link_local(),
        url::Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_accepts_guid_and_domain_and_rejects_path_tricks() {
        assert!(validate_tenant("72f988bf-86f1-41af-91ab-2d7cd011db47").is_ok());
        assert_eq!(
            validate_tenant(" contoso.onmicrosoft.com ").unwrap(),
            "contoso.onmicrosoft.com"
        );
        for bad in ["", "a/b", "..", "x?y=1", "contoso..com", "tenant name"] {
            let e = validate_tenant(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument, "{bad}");
        }
    }

    #[test]
    fn from_config_uses_the_cloud_authority_or_an_allowed_override() {
        let http = crate::runtime::http_client().clone();
        let mut config = ClientConfig {
            cloud: Cloud::China,
            tenant_id: Some("contoso.partner.onmschina.cn".into()),
            ..Default::default()
        };
        let ctx = SignInContext::from_config(&config, http.clone()).unwrap();
        assert_eq!(ctx.authority, "https://login.chinacloudapi.cn");
        assert_eq!(
            ctx.token_url("t"),
            "https://login.chinacloudapi.cn/t/oauth2/v2.0/token"
        );
        config.authority_endpoint = Some("http://127.0.0.1:5099".into());
        assert!(SignInContext::from_config(&config, http.clone()).is_err());
        config.allow_insecure_loopback = true;
        let ctx = SignInContext::from_config(&config, http.clone()).unwrap();
        assert_eq!(ctx.authority, "http://127.0.0.1:5099");
        // The scope still follows the cloud, not the overridden authority.
        assert_eq!(
            ctx.cloud.graph_scope(),
            "https://microsoftgraph.chinacloudapi.cn/.default"
        );
        config.tenant_id = Some("../evil".into());
        assert!(SignInContext::from_config(&config, http).is_err());
    }

    #[test]
    fn identity_hosts() {
        let local = |s: &str| is_local_identity_host(&url::Url::parse(s).unwrap().host().unwrap());
        assert!(local("http://169.254.169.254/metadata"));
        assert!(local("http://127.0.0.1:41741/msi/token"));
        assert!(local("http://localhost:40342/x"));
        assert!(local("http://[::1]:1/x"));
        assert!(!local("http://10.0.0.4/x"));
        assert!(!local("http://example.com/x"));
    }
}
