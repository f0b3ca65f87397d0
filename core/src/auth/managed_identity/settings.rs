//! What a managed identity source is built from: the host's environment variables (and the
//! style they indicate), the configured options, which identity, and the endpoint rule.

use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::auth::context::is_local_identity_host;
pub use crate::config::auth::ManagedIdentityStyle;
use crate::error::{Error, Result};

/// The environment variables managed identity detection reads. Injected so tests never change
/// the process environment; production uses [`ManagedIdentityEnv::from_process`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ManagedIdentityEnv {
    /// `IDENTITY_ENDPOINT`.
    pub identity_endpoint: Option<String>,
    /// `IDENTITY_HEADER` (a secret: never printed).
    pub identity_header: Option<Zeroizing<String>>,
    /// `IMDS_ENDPOINT` (set by the Arc agent).
    pub imds_endpoint: Option<String>,
    /// `ProgramData` (Windows: locates the Arc agent's token folder).
    pub program_data: Option<String>,
}

impl std::fmt::Debug for ManagedIdentityEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagedIdentityEnv")
            .field("identity_endpoint", &self.identity_endpoint)
            .field(
                "identity_header",
                &self.identity_header.as_ref().map(|_| "<redacted>"),
            )
            .field("imds_endpoint", &self.imds_endpoint)
            .field("program_data", &self.program_data)
            .finish()
    }
}

impl ManagedIdentityEnv {
    /// Reads the variables from this process's environment (empty values count as unset).
    pub fn from_process() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Self {
            identity_endpoint: var("IDENTITY_ENDPOINT"),
            identity_header: var("IDENTITY_HEADER").map(Zeroizing::new),
            imds_endpoint: var("IMDS_ENDPOINT"),
            program_data: var("ProgramData").or_else(|| var("PROGRAMDATA")),
        }
    }

    /// The style the environment indicates: App Service when `IDENTITY_ENDPOINT` and
    /// `IDENTITY_HEADER` are set, Arc when `IDENTITY_ENDPOINT` and `IMDS_ENDPOINT` are, else IMDS.
    pub fn detect(&self) -> ManagedIdentityStyle {
        match (
            &self.identity_endpoint,
            &self.identity_header,
            &self.imds_endpoint,
        ) {
            (Some(_), Some(_), _) => ManagedIdentityStyle::AppService,
            (Some(_), None, Some(_)) => ManagedIdentityStyle::Arc,
            _ => ManagedIdentityStyle::Imds,
        }
    }
}

/// Which identity to use: system-assigned, or one user-assigned identity named one way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum UserAssigned {
    /// The resource's system-assigned identity.
    #[default]
    None,
    /// By client (application) ID.
    ClientId(String),
    /// By object (principal) ID.
    ObjectId(String),
    /// By Azure resource ID.
    ResourceId(String),
}

impl UserAssigned {
    /// From the config's three optional fields; more than one is an error.
    pub fn from_fields(
        client_id: Option<&str>,
        object_id: Option<&str>,
        resource_id: Option<&str>,
    ) -> Result<Self> {
        let clean = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let set: Vec<UserAssigned> = [
            clean(client_id).map(UserAssigned::ClientId),
            clean(object_id).map(UserAssigned::ObjectId),
            clean(resource_id).map(UserAssigned::ResourceId),
        ]
        .into_iter()
        .flatten()
        .collect();
        match set.len() {
            0 => Ok(UserAssigned::None),
            1 => Ok(set.into_iter().next().unwrap_or_default()),
            _ => Err(Error::invalid_argument(
                "Name a user-assigned managed identity by only one of clientId, objectId or resourceId \
                 (or none for the system-assigned identity).",
            )
            .with_target("ManagedIdentity")),
        }
    }

    /// How messages name the identity (`user-assigned (client ID …)`).
    pub fn describe(&self) -> String {
        match self {
            UserAssigned::None => "system-assigned".into(),
            UserAssigned::ClientId(v) => format!("user-assigned (client ID {v})"),
            UserAssigned::ObjectId(v) => format!("user-assigned (object ID {v})"),
            UserAssigned::ResourceId(v) => format!("user-assigned (resource ID {v})"),
        }
    }
}

/// Options beyond the environment: forced style, endpoint override (tests and unusual hosts),
/// Arc token folder override.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManagedIdentityOptions {
    /// Which identity.
    pub identity: UserAssigned,
    /// Forces a style instead of detecting it from the environment.
    pub style: Option<ManagedIdentityStyle>,
    /// Full token endpoint URL, replacing `IDENTITY_ENDPOINT` or the IMDS address.
    pub endpoint: Option<String>,
    /// The Arc agent's token folder, replacing the platform default.
    pub arc_token_dir: Option<PathBuf>,
}

/// Checks a managed identity endpoint: HTTPS anywhere, plain HTTP only on loopback or
/// link-local addresses (the tokens must not cross a network in clear text).
pub(super) fn check_identity_endpoint(text: &str) -> Result<url::Url> {
    let url = url::Url::parse(text).map_err(|e| {
        Error::invalid_argument(format!(
            "Managed identity endpoint '{text}' is not a valid URL ({e})."
        ))
        .with_target(text.to_string())
    })?;
    let ok = match url.scheme() {
        "https" => url.host().is_some(),
        "http" => url.host().as_ref().is_some_and(is_local_identity_host),
        _ => false,
    };
    if !ok {
        return Err(Error::invalid_argument(format!(
            "Managed identity endpoint '{text}' is not allowed: plain http:// is accepted only on \
             loopback (127.0.0.1, localhost, ::1) or link-local (169.254.x.x) addresses; use https:// \
             otherwise."
        ))
        .with_target(text.to_string()));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn env(endpoint: Option<&str>, header: Option<&str>, imds: Option<&str>) -> ManagedIdentityEnv {
        ManagedIdentityEnv {
            identity_endpoint: endpoint.map(str::to_string),
            identity_header: header.map(|h| Zeroizing::new(h.to_string())),
            imds_endpoint: imds.map(str::to_string),
            program_data: None,
        }
    }

    #[test]
    fn detection_order() {
        assert_eq!(
            env(Some("http://127.0.0.1:1/msi/token"), Some("h"), None).detect(),
            ManagedIdentityStyle::AppService
        );
        assert_eq!(
            env(
                Some("http://localhost:40342/x"),
                None,
                Some("http://localhost:40342")
            )
            .detect(),
            ManagedIdentityStyle::Arc
        );
        assert_eq!(env(None, None, None).detect(), ManagedIdentityStyle::Imds);
        assert_eq!(
            env(Some("http://127.0.0.1:1/x"), None, None).detect(),
            ManagedIdentityStyle::Imds
        );
    }

    #[test]
    fn debug_hides_identity_header() {
        let text = format!(
            "{:?}",
            env(
                Some("http://127.0.0.1:1/x"),
                Some("super-secret-header"),
                None
            )
        );
        assert!(!text.contains("super-secret-header"));
    }

    #[test]
    fn endpoint_rules() {
        assert!(
            check_identity_endpoint("http://169.254.169.254/metadata/identity/oauth2/token")
                .is_ok()
        );
        assert!(check_identity_endpoint("http://127.0.0.1:41741/msi/token").is_ok());
        assert!(
            check_identity_endpoint("http://localhost:40342/metadata/identity/oauth2/token")
                .is_ok()
        );
        assert!(check_identity_endpoint("https://identity.example.net/token").is_ok());
        let e = check_identity_endpoint("http://10.1.2.3/msi/token").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("10.1.2.3"));
        assert!(check_identity_endpoint("ftp://127.0.0.1/x").is_err());
    }

    #[test]
    fn user_assigned_allows_one_id() {
        assert_eq!(
            UserAssigned::from_fields(None, None, None).unwrap(),
            UserAssigned::None
        );
        assert_eq!(
            UserAssigned::from_fields(Some(" abc "), None, Some("")).unwrap(),
            UserAssigned::ClientId("abc".into())
        );
        assert!(UserAssigned::from_fields(Some("a"), Some("b"), None).is_err());
    }
}
