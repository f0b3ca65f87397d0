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
//!
//! One file per endpoint style ([`app_service`], [`arc`], [`imds`]); [`settings`] holds what a
//! source is built from. This file picks the style and runs its exchange.

use std::path::PathBuf;

use zeroize::Zeroizing;

use super::answer::parse_token_answer;
use super::cache::{Clock, TokenCache, TokenFuture};
use super::context::SignInContext;
use super::signin_error::signin_error;
use super::token::{AccessToken, SignInIdentity, TokenSource};
use crate::call_context::CallContext;
use crate::error::{Error, ErrorKind, Result};

pub mod app_service;
pub mod arc;
pub mod imds;
pub mod settings;

pub use arc::{parse_basic_realm, read_arc_key, ARC_MAX_KEY_BYTES};
pub use imds::IMDS_TOKEN_URL;
use settings::check_identity_endpoint;
pub use settings::{
    ManagedIdentityEnv, ManagedIdentityOptions, ManagedIdentityStyle, UserAssigned,
};

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
                None => arc::default_arc_token_dir(&env)?,
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
            ManagedIdentityStyle::AppService => (app_service::API_VERSION, app_service::ID_PARAMS),
            ManagedIdentityStyle::Arc => (arc::API_VERSION, arc::ID_PARAMS),
            ManagedIdentityStyle::Imds => (imds::API_VERSION, imds::ID_PARAMS),
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
                app_service::exchange(&self.ctx, &url, &shown, header, call).await?
            }
            ManagedIdentityStyle::Imds => imds::exchange(&self.ctx, &url, &shown, call).await?,
            ManagedIdentityStyle::Arc => {
                let dir = self
                    .arc_token_dir
                    .as_deref()
                    .ok_or_else(|| Error::internal("Arc token folder missing"))?;
                arc::exchange(&self.ctx, &url, &shown, dir, &self.what(), call).await?
            }
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

#[cfg(test)]
mod tests {
    use super::*;

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
