//! How a client signs in, as configured: the `auth` object of the client configuration.
//!
//! Owned by the configuration (not by [`crate::auth`], which implements the sign-in) so that the
//! configuration sits below sign-in in the module layers.

use serde::{Deserialize, Serialize};

/// How the client gets its token. The `mode` tag is camelCase.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(tag = "mode", rename_all = "camelCase", deny_unknown_fields)]
pub enum AuthConfig {
    /// A ready access token, passed as the secret bytes (e.g. from `Get-AzAccessToken`).
    #[default]
    AccessToken,
    /// Client credentials with a client secret (the secret bytes).
    #[serde(rename_all = "camelCase")]
    ClientSecret {
        /// Application (client) ID.
        client_id: String,
    },
    /// Client credentials with a certificate. The secret bytes hold the private key (PKCS#8 PEM or
    /// DER); `certificate_pem` the public certificate, for the thumbprint.
    #[serde(rename_all = "camelCase")]
    Certificate {
        /// Application (client) ID.
        client_id: String,
        /// The certificate (PEM), public part only.
        certificate_pem: String,
        /// Use the older RS256 + `x5t` (SHA-1) assertion instead of PS256 + `x5t#S256`.
        #[serde(default)]
        legacy_rs256: bool,
    },
    /// Managed identity: system-assigned when no id is given, else user-assigned by one of them.
    #[serde(rename_all = "camelCase")]
    ManagedIdentity {
        /// User-assigned identity by client ID.
        #[serde(default)]
        client_id: Option<String>,
        /// User-assigned identity by object (principal) ID.
        #[serde(default)]
        object_id: Option<String>,
        /// User-assigned identity by Azure resource ID.
        #[serde(default)]
        resource_id: Option<String>,
        /// Forces the endpoint style (`appService`, `arc`, `imds`) instead of detecting it from
        /// the environment (`IDENTITY_ENDPOINT`, `IDENTITY_HEADER`, `IMDS_ENDPOINT`).
        #[serde(default)]
        style: Option<ManagedIdentityStyle>,
        /// Full token endpoint URL replacing `IDENTITY_ENDPOINT` or the IMDS address. Plain
        /// `http://` only on loopback or link-local addresses.
        #[serde(default)]
        endpoint: Option<String>,
        /// The Azure Arc agent's token folder, replacing the platform default.
        #[serde(default)]
        arc_token_dir: Option<String>,
    },
    /// Delegated sign-in with the device code flow.
    #[serde(rename_all = "camelCase")]
    DeviceCode {
        /// Public client ID; defaults to [`DEFAULT_PUBLIC_CLIENT_ID`].
        #[serde(default)]
        client_id: Option<String>,
    },
    /// Delegated sign-in in the system browser: authorization code with PKCE and a loopback
    /// redirect URI. The caller opens the browser when asked (an `OpenBrowser` event).
    #[serde(rename_all = "camelCase")]
    Browser {
        /// Public client ID; defaults to [`DEFAULT_PUBLIC_CLIENT_ID`].
        #[serde(default)]
        client_id: Option<String>,
    },
    /// Client credentials with a federated credential: a token from another identity provider
    /// (GitHub Actions, Kubernetes, Azure Pipelines) as the client assertion. The token is the
    /// secret bytes, or the contents of `token_file`, read again at each sign-in.
    #[serde(rename_all = "camelCase")]
    Federated {
        /// Application (client) ID.
        client_id: String,
        /// A file holding the external token (e.g. `AZURE_FEDERATED_TOKEN_FILE`).
        #[serde(default)]
        token_file: Option<String>,
    },
}

/// Public client used for delegated sign-in (browser, device code) when the caller names none:
/// Microsoft Graph Command Line Tools, the same first-party app `Connect-MgGraph` uses. Admins
/// already consent to it for Graph scopes; it asks for `PeopleSettings.ReadWrite.All`.
pub const DEFAULT_PUBLIC_CLIENT_ID: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

/// Which managed identity endpoint style to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ManagedIdentityStyle {
    /// App Service, Functions, Container Apps, Azure Automation (`IDENTITY_HEADER` secret).
    AppService,
    /// Azure Arc-enabled servers (challenge file in the agent's token folder).
    Arc,
    /// Azure VM / VM scale set Instance Metadata Service.
    Imds,
}

impl ManagedIdentityStyle {
    /// Human name for messages.
    pub fn display_name(self) -> &'static str {
        match self {
            ManagedIdentityStyle::AppService => "App Service / Functions / Automation",
            ManagedIdentityStyle::Arc => "Azure Arc",
            ManagedIdentityStyle::Imds => "Azure VM (IMDS)",
        }
    }
}

/// The `mode` tag of an auth config, as written in the config JSON.
pub fn auth_mode_name(auth: &AuthConfig) -> &'static str {
    match auth {
        AuthConfig::AccessToken => "accessToken",
        AuthConfig::ClientSecret { .. } => "clientSecret",
        AuthConfig::Certificate { .. } => "certificate",
        AuthConfig::ManagedIdentity { .. } => "managedIdentity",
        AuthConfig::DeviceCode { .. } => "deviceCode",
        AuthConfig::Browser { .. } => "browser",
        AuthConfig::Federated { .. } => "federated",
    }
}
