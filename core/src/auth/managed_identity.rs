//! Managed identity: a token for the Azure resource this code runs on, from a local endpoint.
//!
//! Three hosts, detected from the environment (or forced by config):
//! - **App Service / Functions / Automation**: `IDENTITY_ENDPOINT` + `IDENTITY_HEADER`;
//!   `GET $IDENTITY_ENDPOINT?api-version=2019-08-01&resource=…` with `X-IDENTITY-HEADER`.
//! - **Azure Arc**: `IDENTITY_ENDPOINT` + `IMDS_ENDPOINT`; the first call answers 401 with
//!   `WWW-Authenticate: Basic realm=<path of a .key file>`; only the agent's token folder is trusted.
//! - **Azure VM (IMDS)**: `GET http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=…`.
//!
//! These endpoints are plain HTTP by design; we allow that only for loopback and link-local hosts.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::answer::parse_token_answer;
use super::cache::{Clock, TokenCache, TokenFuture};
use super::context::{is_local_identity_host, SignInContext};
use super::http::{send, Answer};
use super::signin_error::signin_error;
use super::token::{AccessToken, SignInIdentity, TokenSource};
use crate::call_context::CallContext;
pub use crate::config::auth::ManagedIdentityStyle;
use crate::error::{Error, ErrorKind, Result};
use crate::events;

/// The VM Instance Metadata Service token endpoint.
pub const IMDS_TOKEN_URL: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

/// Largest Arc challenge key file accepted, bytes (the agent writes a short random secret).
pub const ARC_MAX_KEY_BYTES: u64 = 4096;

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

    fn describe(&self) -> String {
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

/// Signs in as the managed identity of the Azure resource this process runs on.
pub struct ManagedIdentitySource {
    ctx: SignInContext,
    style: ManagedIdentityStyle,
    endpoint: url::Url,
    identity: UserAssigned,
    identity_header: Option<Zeroizing<String>>,
    arc_token_dir: Option<PathBuf>,
    cache: TokenCache,
}

impl std::fmt::Debug for ManagedIdentitySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagedIdentitySource")
            .field("style", &self.style)
            .field("endpoint", &self.endpoint.as_str())
            .field("identity", &self.identity)
            .field("arc_token_dir", &self.arc_token_dir)
            .finish_non_exhaustive()
    }
}

impl ManagedIdentitySource {
    /// Resolves the style and endpoint from `options` and `env` and checks them; nothing is sent.
    /// Plain `http://` endpoints must be on loopback or link-local addresses.
    pub fn new(
        ctx: SignInContext,
        options: ManagedIdentityOptions,
        env: ManagedIdentityEnv,
    ) -> Result<Self> {
        let style = options.style.unwrap_or_else(|| env.detect());
        let endpoint_text = match (&options.endpoint, style) {
            (Some(e), _) => e.trim().to_string(),
            (None, ManagedIdentityStyle::Imds) => IMDS_TOKEN_URL.to_string(),
            (None, _) => env.identity_endpoint.clone().ok_or_else(|| {
                Error::invalid_argument(format!(
                    "Managed identity style {} needs the IDENTITY_ENDPOINT environment variable, which \
                     is not set: this process does not seem to run on that kind of Azure host.",
                    style.display_name()
                ))
            })?,
        };
        let endpoint = check_identity_endpoint(&endpoint_text)?;
        let identity_header = match style {
            ManagedIdentityStyle::AppService => Some(env.identity_header.clone().ok_or_else(|| {
                Error::invalid_argument(
                    "Managed identity on App Service / Functions / Automation needs the IDENTITY_HEADER \
                     environment variable, which is not set.",
                )
            })?),
            _ => None,
        };
        if style == ManagedIdentityStyle::Arc && options.identity != UserAssigned::None {
            return Err(Error::invalid_argument(
                "Azure Arc-enabled servers have only a system-assigned managed identity: remove \
                 clientId/objectId/resourceId.",
            )
            .with_target("ManagedIdentity"));
        }
        let arc_token_dir = match style {
            ManagedIdentityStyle::Arc => Some(match options.arc_token_dir {
                Some(dir) => dir,
                None => default_arc_token_dir(&env)?,
            }),
            _ => None,
        };
        Ok(Self {
            ctx,
            style,
            endpoint,
            identity: options.identity,
            identity_header,
            arc_token_dir,
            cache: TokenCache::default(),
        })
    }

    /// Replaces the cache's clock (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.cache = TokenCache::new(clock);
        self
    }

    /// The style in use.
    pub fn style(&self) -> ManagedIdentityStyle {
        self.style
    }

    /// The request URL with its query (resource, api-version, user-assigned id). No secrets.
    pub fn request_url(&self) -> url::Url {
        let mut url = self.endpoint.clone();
        let resource = self.ctx.cloud.graph_host();
        let (api_version, id_param) = match self.style {
            ManagedIdentityStyle::AppService => {
                ("2019-08-01", ["client_id", "principal_id", "mi_res_id"])
            }
            ManagedIdentityStyle::Arc => ("2019-11-01", ["client_id", "object_id", "msi_res_id"]),
            ManagedIdentityStyle::Imds => ("2018-02-01", ["client_id", "object_id", "msi_res_id"]),
        };
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("api-version", api_version);
            q.append_pair("resource", resource);
            match &self.identity {
                UserAssigned::None => {}
                UserAssigned::ClientId(v) => {
                    q.append_pair(id_param[0], v);
                }
                UserAssigned::ObjectId(v) => {
                    q.append_pair(id_param[1], v);
                }
                UserAssigned::ResourceId(v) => {
                    q.append_pair(id_param[2], v);
                }
            }
        }
        url
    }

    fn what(&self) -> String {
        format!(
            "Managed identity sign-in ({}, {})",
            self.style.display_name(),
            self.identity.describe()
        )
    }

    async fn fetch(&self, call: &CallContext) -> Result<AccessToken> {
        let url = self.request_url();
        let shown = url.as_str().to_string();
        let answer = match self.style {
            ManagedIdentityStyle::AppService => {
                let header = self
                    .identity_header
                    .as_ref()
                    .map(|h| h.as_str())
                    .unwrap_or_default();
                let build = || {
                    self.ctx
                        .http
                        .get(url.clone())
                        .header("X-IDENTITY-HEADER", header)
                        .header("Metadata", "True")
                };
                send(&self.ctx, "GET", &shown, &build, call).await?
            }
            ManagedIdentityStyle::Imds => {
                let build = || self.ctx.http.get(url.clone()).header("Metadata", "true");
                send(&self.ctx, "GET", &shown, &build, call).await?
            }
            ManagedIdentityStyle::Arc => self.arc_exchange(&url, &shown, call).await?,
        };
        if !answer.is_success() {
            let mut err = signin_error(&self.what(), answer.status, &answer.body);
            if err.recommended_action().is_none() && err.kind() == ErrorKind::Authentication {
                err = err.with_recommended_action(
                    "Check that the managed identity is enabled on this Azure resource and, for a \
                     user-assigned identity, that the ID is right and the identity is attached to it.",
                );
            }
            return Err(err);
        }
        Ok(parse_token_answer(&answer.body, self.cache.now(), "managed identity endpoint")?.token)
    }

    /// Arc: challenge, check and read the key file, answer the challenge.
    async fn arc_exchange(
        &self,
        url: &url::Url,
        shown: &str,
        call: &CallContext,
    ) -> Result<Answer> {
        let build = || self.ctx.http.get(url.clone()).header("Metadata", "true");
        let first = send(&self.ctx, "GET", shown, &build, call).await?;
        if first.status != 401 {
            if first.is_success() {
                return Err(Error::new(
                    ErrorKind::InvalidResponse,
                    format!(
                        "{}: the endpoint answered without the expected 401 challenge; refusing a \
                         token from an endpoint that does not behave like the Arc agent.",
                        self.what()
                    ),
                ));
            }
            return Ok(first);
        }
        let realm = first
            .headers
            .get(reqwest::header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_basic_realm)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidResponse,
                    format!(
                        "{}: the 401 answer has no 'WWW-Authenticate: Basic realm=<key file>' challenge.",
                        self.what()
                    ),
                )
            })?;
        let dir = self
            .arc_token_dir
            .as_deref()
            .ok_or_else(|| Error::internal("Arc token folder missing"))?;
        let secret = read_arc_key(Path::new(&realm), dir)?;
        events::debug(
            &call.events,
            format!("Answering the Azure Arc challenge with key file {realm}"),
        );
        let authorization = Zeroizing::new(format!("Basic {}", secret.as_str()));
        let build = || {
            self.ctx
                .http
                .get(url.clone())
                .header("Metadata", "true")
                .header(reqwest::header::AUTHORIZATION, authorization.as_str())
        };
        send(&self.ctx, "GET", shown, &build, call).await
    }
}

impl TokenSource for ManagedIdentitySource {
    fn token<'a>(&'a self, call: &'a CallContext) -> TokenFuture<'a> {
        self.cache
            .get_or_fetch_boxed(&call.cancel, move || self.fetch(call))
    }

    fn sign_in_identity(&self) -> SignInIdentity {
        let client_id = match &self.identity {
            UserAssigned::ClientId(v) => Some(v.clone()),
            _ => None,
        };
        SignInIdentity {
            auth_mode: "managedIdentity".into(),
            cloud: Some(self.ctx.cloud),
            client_id,
            identity: Some(format!(
                "{} ({})",
                self.identity.describe(),
                self.style.display_name()
            )),
        }
    }
}

/// Checks a managed identity endpoint: HTTPS anywhere, plain HTTP only on loopback or
/// link-local addresses (the tokens must not cross a network in clear text).
fn check_identity_endpoint(text: &str) -> Result<url::Url> {
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

/// The Arc agent's token folder for this platform.
fn default_arc_token_dir(env: &ManagedIdentityEnv) -> Result<PathBuf> {
    if cfg!(windows) {
        let base = env
            .program_data
            .clone()
            .unwrap_or_else(|| r"C:\ProgramData".to_string());
        Ok(Path::new(&base)
            .join("AzureConnectedMachineAgent")
            .join("Tokens"))
    } else if cfg!(target_os = "linux") {
        Ok(PathBuf::from("/var/opt/azcmagent/tokens"))
    } else {
        Err(Error::invalid_argument(
            "Azure Arc managed identity is supported on Windows and Linux only.",
        ))
    }
}

/// Extracts the realm of a `Basic realm=<value>` challenge (quotes optional).
pub fn parse_basic_realm(header: &str) -> Option<String> {
    let rest = header.trim();
    let scheme_end = rest.find(char::is_whitespace)?;
    if !rest[..scheme_end].eq_ignore_ascii_case("basic") {
        return None;
    }
    let params = rest[scheme_end..].trim();
    let lower = params.to_ascii_lowercase();
    let at = lower.find("realm=")?;
    let value = params[at + 6..].trim();
    let value = if let Some(stripped) = value.strip_prefix('"') {
        stripped.split('"').next()?
    } else {
        value.split(',').next()?.trim()
    };
    (!value.is_empty()).then(|| value.to_string())
}

/// Reads the Arc challenge file after checking it is a `.key` file directly inside `token_dir`
/// (after resolving links and `..`) and at most [`ARC_MAX_KEY_BYTES`] long. A hostile local
/// endpoint could otherwise make us send any file's contents.
pub fn read_arc_key(path: &Path, token_dir: &Path) -> Result<Zeroizing<String>> {
    let refuse = |why: &str| {
        Error::new(
            ErrorKind::Authentication,
            format!(
                "Azure Arc managed identity: refusing the challenge file '{}': {why}.",
                path.display()
            ),
        )
        .with_recommended_action(format!(
            "Only a .key file of at most {ARC_MAX_KEY_BYTES} bytes inside the Arc agent's token folder \
             ({}) is accepted. Check the Azure Connected Machine agent (azcmagent show).",
            token_dir.display()
        ))
        .with_target(path.display().to_string())
    };
    let has_key_ext = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("key"));
    if !has_key_ext {
        return Err(refuse("it is not a .key file"));
    }
    let canonical_dir = std::fs::canonicalize(token_dir)
        .map_err(|_| refuse("the agent's token folder does not exist or cannot be read"))?;
    let canonical =
        std::fs::canonicalize(path).map_err(|_| refuse("it does not exist or cannot be read"))?;
    if canonical.parent() != Some(canonical_dir.as_path()) {
        return Err(refuse("it is not inside the agent's token folder"));
    }
    let file = std::fs::File::open(&canonical).map_err(|_| refuse("it cannot be opened"))?;
    let meta = file
        .metadata()
        .map_err(|_| refuse("its size cannot be read"))?;
    if !meta.is_file() {
        return Err(refuse("it is not a regular file"));
    }
    if meta.len() > ARC_MAX_KEY_BYTES {
        return Err(refuse(&format!(
            "it is {} bytes, more than {ARC_MAX_KEY_BYTES}",
            meta.len()
        )));
    }
    // Read at most one byte more than allowed, in case it grew after the size check.
    let mut buf = Zeroizing::new(Vec::with_capacity(meta.len() as usize));
    file.take(ARC_MAX_KEY_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|_| refuse("it cannot be read"))?;
    if buf.len() as u64 > ARC_MAX_KEY_BYTES {
        return Err(refuse(&format!(
            "it is more than {ARC_MAX_KEY_BYTES} bytes"
        )));
    }
    let text = std::str::from_utf8(&buf).map_err(|_| refuse("it is not text"))?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(refuse("it is empty"));
    }
    Ok(Zeroizing::new(trimmed.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn realm_parsing() {
        assert_eq!(
            parse_basic_realm("Basic realm=/var/opt/azcmagent/tokens/a.key").as_deref(),
            Some("/var/opt/azcmagent/tokens/a.key")
        );
        assert_eq!(
            parse_basic_realm("basic realm=\"C:\\x\\a.key\"").as_deref(),
            Some("C:\\x\\a.key")
        );
        assert_eq!(parse_basic_realm("Bearer realm=x"), None);
        assert_eq!(parse_basic_realm("Basic"), None);
        assert_eq!(parse_basic_realm("Basic realm="), None);
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

    #[test]
    fn imds_is_the_default_and_query_names_follow_the_style() {
        let http = crate::runtime::http_client().clone();
        let ctx = SignInContext::new(
            http,
            crate::cloud::Cloud::USGov,
            "https://login.microsoftonline.us",
            None,
        )
        .unwrap();
        let src = ManagedIdentitySource::new(
            ctx,
            ManagedIdentityOptions {
                identity: UserAssigned::ObjectId("oid-1".into()),
                ..Default::default()
            },
            ManagedIdentityEnv::default(),
        )
        .unwrap();
        // Only the URL is built here: nothing is ever sent to 169.254.169.254 by tests.
        assert_eq!(src.style(), ManagedIdentityStyle::Imds);
        let url = src.request_url();
        assert_eq!(url.host_str(), Some("169.254.169.254"));
        let q: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert!(q.contains(&("api-version".into(), "2018-02-01".into())));
        assert!(q.contains(&("resource".into(), "https://graph.microsoft.us".into())));
        assert!(q.contains(&("object_id".into(), "oid-1".into())));
    }
}
