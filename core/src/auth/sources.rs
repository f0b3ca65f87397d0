//! Builds the sign-in token sources (client secret, certificate, managed identity, device code)
//! from a client config; called by [`super::token_source`] for every mode but `accessToken`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use zeroize::Zeroizing;

use super::assertion_signer::AssertionSigner;
use super::browser::BrowserSource;
use super::certificate::CertificateSource;
use super::client_secret::ClientSecretSource;
use super::context::SignInContext;
use super::device_code::DeviceCodeSource;
use super::federated::{ExternalToken, FederatedSource};
use super::managed_identity::{
    ManagedIdentityEnv, ManagedIdentityOptions, ManagedIdentitySource, UserAssigned,
};
use super::token::TokenSource;
use crate::config::AuthConfig;
use crate::config::ClientConfig;
use crate::error::{Error, Result};

/// Builds the token source for a sign-in mode with the process-wide HTTP client and the
/// process environment (managed identity detection).
pub fn build(config: &ClientConfig, secret: Zeroizing<Vec<u8>>) -> Result<Arc<dyn TokenSource>> {
    let http = crate::runtime::http_client_with_connect_timeout(Duration::from_millis(
        config.timeouts.connect_ms,
    ))?;
    build_with(config, secret, http, ManagedIdentityEnv::from_process())
}

/// Builds a certificate sign-in whose client assertions `signer` signs: the private key stays
/// where it lives (the caller's key store), only signatures come back. `config.auth` must be the
/// `certificate` mode (its `certificatePem` names and checks the key); anything else is
/// `InvalidArgument`. Nothing is sent or signed here.
pub fn build_with_signer(
    config: &ClientConfig,
    signer: Arc<dyn AssertionSigner>,
) -> Result<Arc<dyn TokenSource>> {
    let AuthConfig::Certificate {
        client_id,
        certificate_pem,
        legacy_rs256,
    } = &config.auth
    else {
        return Err(Error::invalid_argument(format!(
            "A signer signs certificate sign-ins only: the config's auth.mode must be \
             'certificate', not '{}'.",
            crate::config::auth::auth_mode_name(&config.auth)
        ))
        .with_target("auth.mode"));
    };
    let http = crate::runtime::http_client_with_connect_timeout(Duration::from_millis(
        config.timeouts.connect_ms,
    ))?;
    let ctx = SignInContext::from_config(config, http)?;
    Ok(Arc::new(CertificateSource::with_signer(
        ctx,
        client_id,
        certificate_pem,
        signer,
        *legacy_rs256,
    )?))
}

/// [`build`] with an explicit HTTP client and managed identity environment (tests, tools).
pub fn build_with(
    config: &ClientConfig,
    secret: Zeroizing<Vec<u8>>,
    http: reqwest::Client,
    env: ManagedIdentityEnv,
) -> Result<Arc<dyn TokenSource>> {
    let ctx = SignInContext::from_config(config, http)?;
    match &config.auth {
        AuthConfig::AccessToken => Err(Error::internal(
            "sources::build is for sign-in modes; access tokens use StaticTokenSource",
        )),
        AuthConfig::ClientSecret { client_id } => {
            Ok(Arc::new(ClientSecretSource::new(ctx, client_id, secret)?))
        }
        AuthConfig::Certificate {
            client_id,
            certificate_pem,
            legacy_rs256,
        } => Ok(Arc::new(CertificateSource::new(
            ctx,
            client_id,
            certificate_pem,
            secret,
            *legacy_rs256,
        )?)),
        AuthConfig::ManagedIdentity {
            client_id,
            object_id,
            resource_id,
            style,
            endpoint,
            arc_token_dir,
        } => {
            let mut env = env;
            // The secret bytes, when given, stand in for IDENTITY_HEADER: hosts (and tests) that
            // cannot set the native process environment can pass it this way.
            if !secret.is_empty() {
                let text = std::str::from_utf8(&secret).map_err(|_| {
                    Error::invalid_argument(
                        "The managed identity header (secret bytes) is not UTF-8 text.",
                    )
                })?;
                env.identity_header = Some(Zeroizing::new(text.trim().to_string()));
            }
            let options = ManagedIdentityOptions {
                identity: UserAssigned::from_fields(
                    client_id.as_deref(),
                    object_id.as_deref(),
                    resource_id.as_deref(),
                )?,
                style: *style,
                endpoint: endpoint.clone(),
                arc_token_dir: arc_token_dir.as_ref().map(PathBuf::from),
            };
            Ok(Arc::new(ManagedIdentitySource::new(ctx, options, env)?))
        }
        AuthConfig::DeviceCode { client_id } => {
            Ok(Arc::new(DeviceCodeSource::new(ctx, client_id.as_deref())?))
        }
        AuthConfig::Browser { client_id } => {
            Ok(Arc::new(BrowserSource::new(ctx, client_id.as_deref())?))
        }
        AuthConfig::Federated {
            client_id,
            token_file,
        } => {
            let token = match token_file {
                Some(file) if !file.trim().is_empty() => {
                    if !secret.is_empty() {
                        return Err(Error::invalid_argument(
                            "Give the federated token either as text or as tokenFile, not both.",
                        )
                        .with_target("FederatedTokenFile"));
                    }
                    ExternalToken::File(PathBuf::from(file.trim()))
                }
                _ => ExternalToken::from_secret(secret)?,
            };
            Ok(Arc::new(FederatedSource::new(ctx, client_id, token)?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> std::result::Result<ClientConfig, serde_json::Error> {
        serde_json::from_str(json)
    }

    fn http() -> reqwest::Client {
        crate::runtime::http_client().clone()
    }

    #[test]
    fn managed_identity_config_json_builds_a_source() {
        let cfg = parse(
            r#"{"auth":{"mode":"managedIdentity","clientId":"abc","style":"imds",
                "endpoint":"http://127.0.0.1:9/metadata/identity/oauth2/token","arcTokenDir":null}}"#,
        )
        .unwrap();
        let source = build_with(
            &cfg,
            Zeroizing::new(Vec::new()),
            http(),
            ManagedIdentityEnv::default(),
        )
        .unwrap();
        let id = source.sign_in_identity();
        assert_eq!(id.auth_mode, "managedIdentity");
        assert_eq!(id.client_id.as_deref(), Some("abc"));
        assert!(id.identity.unwrap().contains("Azure VM (IMDS)"));
    }

    #[test]
    fn unknown_style_or_field_is_rejected_by_name() {
        let e = parse(r#"{"auth":{"mode":"managedIdentity","style":"cloudShell"}}"#).unwrap_err();
        assert!(e.to_string().contains("cloudShell"), "{e}");
        let e = parse(r#"{"auth":{"mode":"managedIdentity","endpoints":"x"}}"#).unwrap_err();
        assert!(e.to_string().contains("endpoints"), "{e}");
    }

    #[test]
    fn device_code_needs_no_tenant_and_app_modes_do() {
        let cfg = parse(r#"{"auth":{"mode":"deviceCode"}}"#).unwrap();
        assert!(build_with(
            &cfg,
            Zeroizing::new(Vec::new()),
            http(),
            ManagedIdentityEnv::default()
        )
        .is_ok());
        let cfg = parse(
            r#"{"auth":{"mode":"clientSecret","clientId":"14d82eec-204b-4c2f-b7e8-296a70dab67e"}}"#,
        )
        .unwrap();
        let e = match build_with(
            &cfg,
            Zeroizing::new(b"s".to_vec()),
            http(),
            ManagedIdentityEnv::default(),
        ) {
            Ok(_) => panic!("a tenant is required"),
            Err(e) => e,
        };
        assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
        assert_eq!(e.target(), Some("tenantId"));
    }
}
