//! App-only sign-in with a certificate: a signed client assertion (JWT) instead of a secret.
//!
//! The assertion's header names the certificate by thumbprint: `x5t#S256` (SHA-256 of the DER
//! certificate) with PS256, or the older `x5t` (SHA-1) with RS256. Entra ID looks the certificate
//! up on the app registration by that thumbprint and checks the signature with its public key.
//!
//! The assertion is built in [`super::assertion`] and signed by an [`AssertionSigner`]: a key in
//! memory ([`KeySigner`]), or the caller's key store through a callback, so a key that cannot be
//! exported signs where it lives. Each signature is checked with the certificate's public key
//! before anything is sent.

use std::sync::Arc;
use std::time::UNIX_EPOCH;

use zeroize::Zeroizing;

use super::assertion::AssertionBuilder;
use super::assertion_signer::{AssertionSigner, SignatureAlgorithm};
pub use super::certificate_info::CertificateInfo;
use super::private_key::KeySigner;

use super::cache::{Clock, TokenCache, TokenFuture};
use super::context::validate_client_id;
use super::context::SignInContext;
use super::http::{post_for_token, ClientCredential};
use super::token::{AccessToken, SignInIdentity, TokenSource};
use crate::call_context::CallContext;
use crate::error::{Error, Result};
use crate::events;

/// The smallest RSA modulus Entra ID accepts for certificate credentials, in bits.
const MIN_RSA_BITS: usize = 2048;

/// Signs in as an application with a certificate. The private key is the signer's: in memory
/// (zeroized on drop) or in the caller's key store; `Debug` shows the client ID, thumbprint and
/// the signer's kind, never a key.
pub struct CertificateSource {
    ctx: SignInContext,
    tenant: String,
    client_id: String,
    builder: AssertionBuilder,
    cache: TokenCache,
}

impl std::fmt::Debug for CertificateSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateSource")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("thumbprint", &self.certificate().thumbprint_sha1_hex)
            .field("algorithm", &self.builder.algorithm())
            .field("signer", &self.builder.signer_kind())
            .field("key", &"<redacted>")
            .finish()
    }
}

impl CertificateSource {
    /// Reads the certificate and the private key (PKCS#8 or PKCS#1, PEM or DER, from `key_bytes`),
    /// checks the key is RSA, large enough and belongs to the certificate. Nothing is sent.
    pub fn new(
        ctx: SignInContext,
        client_id: &str,
        certificate_pem: &str,
        key_bytes: Zeroizing<Vec<u8>>,
        legacy_rs256: bool,
    ) -> Result<Self> {
        let tenant = ctx.require_tenant("a certificate")?.to_string();
        let client_id = validate_client_id(client_id)?;
        let cert = CertificateInfo::from_pem(certificate_pem)?;
        let key = KeySigner::from_bytes(&key_bytes)?;
        let bits = key.modulus().len() * 8;
        if bits < MIN_RSA_BITS {
            return Err(super::private_key::key_error(&format!(
                "the RSA key has {bits} bits; Entra ID needs at least {MIN_RSA_BITS}"
            )));
        }
        if key.modulus() != cert.modulus() {
            return Err(not_this_certificates_key(&cert));
        }
        Self::build(ctx, tenant, client_id, cert, Arc::new(key), legacy_rs256)
    }

    /// A source whose assertions `signer` signs: a key that stays in the caller's key store. The
    /// certificate (public part) names the key by thumbprint and checks each signature. Prefers
    /// PS256 (with `x5t#S256`) when the signer supports it, else RS256 (with `x5t`), and falls
    /// back to RS256 for good when a PS256 signature fails; `legacy_rs256` asks for RS256.
    /// Nothing is sent and nothing is signed here.
    pub fn with_signer(
        ctx: SignInContext,
        client_id: &str,
        certificate_pem: &str,
        signer: Arc<dyn AssertionSigner>,
        legacy_rs256: bool,
    ) -> Result<Self> {
        let tenant = ctx.require_tenant("a certificate")?.to_string();
        let client_id = validate_client_id(client_id)?;
        let cert = CertificateInfo::from_pem(certificate_pem)?;
        if cert.key_bits() < MIN_RSA_BITS {
            return Err(Error::invalid_argument(format!(
                "The RSA key of certificate {} has {} bits; Entra ID needs at least {MIN_RSA_BITS}: \
                 create a certificate with a larger key.",
                cert.thumbprint_sha1_hex,
                cert.key_bits()
            ))
            .with_target("certificatePem"));
        }
        Self::build(ctx, tenant, client_id, cert, signer, legacy_rs256)
    }

    fn build(
        ctx: SignInContext,
        tenant: String,
        client_id: String,
        cert: CertificateInfo,
        signer: Arc<dyn AssertionSigner>,
        legacy_rs256: bool,
    ) -> Result<Self> {
        let builder = AssertionBuilder::new(client_id.clone(), cert, signer, legacy_rs256)?;
        Ok(Self {
            ctx,
            tenant,
            client_id,
            builder,
            cache: TokenCache::default(),
        })
    }

    /// Replaces the cache's clock; the clock also dates the assertion and the validity check.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.cache = TokenCache::new(clock);
        self
    }

    /// The certificate's public facts (thumbprints, validity).
    pub fn certificate(&self) -> &CertificateInfo {
        self.builder.certificate()
    }

    /// The algorithm the next assertion is signed with (the header's `alg`).
    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.builder.algorithm()
    }

    /// Builds and signs a client assertion for `token_url`, on the calling thread. Public so
    /// tests can inspect it; sign-ins sign on the blocking pool instead.
    pub fn client_assertion(&self, token_url: &str) -> Result<Zeroizing<String>> {
        Ok(self.builder.build(token_url, self.now_secs())?.jwt)
    }

    fn now_secs(&self) -> u64 {
        self.cache
            .now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }

    async fn fetch(&self, call: &CallContext) -> Result<AccessToken> {
        let url = self.ctx.token_url(&self.tenant);
        // A fresh assertion per sign-in (new jti, current times), signed on the blocking pool: a
        // key store may take a while (or wait for a smart card), and nothing may block the
        // runtime's other calls. Retries reuse it: it is valid for 10 minutes and the retry
        // budget is shorter in practice.
        let builder = self.builder.clone();
        let (aud, now) = (url.clone(), self.now_secs());
        let signed = tokio::task::spawn_blocking(move || builder.build(&aud, now))
            .await
            .map_err(|_| {
                Error::internal("the client assertion's signer stopped before it answered")
            })??;
        if let Some(reason) = &signed.fell_back {
            events::verbose(
                &call.events,
                format!(
                    "Certificate {}: the key could not make a PS256 signature ({reason}); the \
                     client assertion is signed with RS256 from now on.",
                    self.certificate().thumbprint_sha1_hex
                ),
            );
        }
        post_for_token(
            &self.ctx,
            &url,
            &self.client_id,
            ClientCredential::Assertion(&signed.jwt),
            &format!(
                "Certificate sign-in for application {} (certificate {})",
                self.client_id,
                self.certificate().thumbprint_sha1_hex
            ),
            &self.cache,
            call,
        )
        .await
    }
}

impl TokenSource for CertificateSource {
    fn token<'a>(&'a self, call: &'a CallContext) -> TokenFuture<'a> {
        self.cache
            .get_or_fetch_boxed(&call.cancel, move || self.fetch(call))
    }

    fn for_tenant(&self, tenant: &str) -> Option<Result<std::sync::Arc<dyn TokenSource>>> {
        Some(self.ctx.for_tenant(tenant).map(|ctx| {
            std::sync::Arc::new(Self {
                tenant: ctx.tenant.clone().unwrap_or_default(),
                ctx,
                client_id: self.client_id.clone(),
                builder: self.builder.clone(),
                cache: TokenCache::default(),
            }) as std::sync::Arc<dyn TokenSource>
        }))
    }

    fn sign_in_identity(&self) -> SignInIdentity {
        SignInIdentity {
            auth_mode: "certificate".into(),
            cloud: Some(self.ctx.cloud),
            client_id: Some(self.client_id.clone()),
            identity: Some(format!(
                "certificate {}",
                self.certificate().thumbprint_sha1_hex
            )),
        }
    }
}

fn not_this_certificates_key(cert: &CertificateInfo) -> Error {
    Error::invalid_argument(format!(
        "The private key does not belong to certificate {}: pass the key that was created \
         with this certificate.",
        cert.thumbprint_sha1_hex
    ))
    .with_target("certificatePem")
}
