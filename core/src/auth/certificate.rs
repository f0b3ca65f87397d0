//! App-only sign-in with a certificate: a signed client assertion (JWT) instead of a secret.
//!
//! The assertion's header names the certificate by thumbprint: `x5t#S256` (SHA-256 of the DER
//! certificate) with PS256, or the older `x5t` (SHA-1) with RS256. Entra ID looks the certificate
//! up on the app registration by that thumbprint and checks the signature with its public key.
//!
//! This module builds the header and claims and the base64url signing input; an
//! [`AssertionSigner`] makes the signature: a key in memory ([`KeySigner`]), or the caller's key
//! store through a callback, so a key that cannot be exported signs where it lives. Each
//! signature is checked with the certificate's public key before anything is sent.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use jsonwebtoken::{DecodingKey, Header};
use serde::Serialize;
use sha1::Digest as _;
use zeroize::Zeroizing;

use super::assertion_signer::{AssertionSigner, SignatureAlgorithm};
use super::private_key::{strip_zeros, KeySigner};

use super::cache::{Clock, TokenCache, TokenFuture};
use super::context::validate_client_id;
use super::context::SignInContext;
use super::http::{post_for_token, ClientCredential};
use super::rfc3339::format_epoch;
use super::token::{AccessToken, SignInIdentity, TokenSource};
use crate::call_context::CallContext;
use crate::error::{Error, ErrorKind, Result};

/// Lifetime of a client assertion; Entra ID accepts at most 10 minutes.
const ASSERTION_LIFETIME: Duration = Duration::from_secs(600);

/// The smallest RSA modulus Entra ID accepts for certificate credentials, in bits.
const MIN_RSA_BITS: usize = 2048;

/// The public facts of the certificate that the assertion needs.
#[derive(Debug, Clone)]
pub struct CertificateInfo {
    /// SHA-1 thumbprint, upper-case hex (as the Entra portal shows it).
    pub thumbprint_sha1_hex: String,
    /// SHA-1 thumbprint, base64url (`x5t`).
    pub x5t: String,
    /// SHA-256 thumbprint, base64url (`x5t#S256`).
    pub x5t_s256: String,
    /// Start of validity, epoch seconds.
    pub not_before: i64,
    /// End of validity, epoch seconds.
    pub not_after: i64,
    /// RSA modulus without leading zero bytes (to check the private key matches).
    modulus: Vec<u8>,
    /// RSA public exponent (to check each signature before it is sent).
    exponent: Vec<u8>,
}

impl CertificateInfo {
    /// Reads the first `CERTIFICATE` block of a PEM text. Errors are `InvalidArgument`.
    pub fn from_pem(certificate_pem: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::invalid_argument(format!(
                "certificatePem is not usable: {why}. Pass the certificate (public part) as PEM text \
                 starting with -----BEGIN CERTIFICATE-----."
            ))
            .with_target("certificatePem")
        };
        let blocks =
            pem::parse_many(certificate_pem.as_bytes()).map_err(|_| bad("it is not PEM text"))?;
        let der = blocks
            .into_iter()
            .find(|p| p.tag() == "CERTIFICATE")
            .map(pem::Pem::into_contents)
            .ok_or_else(|| bad("it holds no CERTIFICATE block"))?;
        let (_, cert) = x509_parser::parse_x509_certificate(&der).map_err(|_| {
            bad("the certificate could not be parsed (not X.509 DER inside the PEM)")
        })?;
        let (modulus, exponent) = match cert.public_key().parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => (
                strip_zeros(rsa.modulus).to_vec(),
                strip_zeros(rsa.exponent).to_vec(),
            ),
            _ => return Err(Error::invalid_argument(
                "The certificate's key is not RSA: Entra ID certificate credentials for client \
                     assertions need an RSA key of at least 2048 bits.",
            )
            .with_target("certificatePem")),
        };
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let sha1 = sha1::Sha1::digest(&der);
        let sha256 = sha2::Sha256::digest(&der);
        let validity = cert.validity();
        Ok(Self {
            thumbprint_sha1_hex: sha1.iter().map(|b| format!("{b:02X}")).collect(),
            x5t: b64.encode(sha1),
            x5t_s256: b64.encode(sha256),
            not_before: validity.not_before.timestamp(),
            not_after: validity.not_after.timestamp(),
            modulus,
            exponent,
        })
    }

    /// The RSA key size, in bits.
    pub fn key_bits(&self) -> usize {
        self.modulus.len() * 8
    }

    /// Whether `signature` over `signing_input` verifies with this certificate's public key.
    fn verifies(
        &self,
        algorithm: SignatureAlgorithm,
        signing_input: &[u8],
        signature: &[u8],
    ) -> bool {
        let key = DecodingKey::from_rsa_raw_components(&self.modulus, &self.exponent);
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signature);
        jsonwebtoken::crypto::verify(&encoded, signing_input, &key, algorithm.jwt_algorithm())
            .unwrap_or(false)
    }

    /// Fails with `Authentication` when `now` (epoch seconds) is outside the validity window,
    /// naming both dates: Entra ID would refuse it (AADSTS700027, "the key used is expired").
    pub fn check_validity(&self, now: i64) -> Result<()> {
        let window = format!(
            "valid from {} to {}",
            format_epoch(self.not_before),
            format_epoch(self.not_after)
        );
        let problem = if now > self.not_after {
            format!("expired on {}", format_epoch(self.not_after))
        } else if now < self.not_before {
            format!("is not valid before {}", format_epoch(self.not_before))
        } else {
            return Ok(());
        };
        Err(Error::new(
            ErrorKind::Authentication,
            format!(
                "The certificate {} {problem} ({window}; now {}): Entra ID would refuse it \
                 (AADSTS700027), so nothing was sent.",
                self.thumbprint_sha1_hex,
                format_epoch(now)
            ),
        )
        .with_recommended_action(
            "Create or renew the certificate, upload its public part under App registrations > your \
             app > Certificates & secrets, and use the new certificate and key. If the dates look \
             right, check this computer's clock.",
        )
        .with_target(self.thumbprint_sha1_hex.clone()))
    }
}

/// Signs in as an application with a certificate. The private key is the signer's: in memory
/// (zeroized on drop) or in the caller's key store; `Debug` shows the client ID, thumbprint and
/// the signer's kind, never a key.
pub struct CertificateSource {
    ctx: SignInContext,
    tenant: String,
    client_id: String,
    cert: CertificateInfo,
    signer: Arc<dyn AssertionSigner>,
    algorithm: SignatureAlgorithm,
    cache: TokenCache,
}

impl std::fmt::Debug for CertificateSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateSource")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("thumbprint", &self.cert.thumbprint_sha1_hex)
            .field("algorithm", &self.algorithm)
            .field("signer", &self.signer.kind())
            .field("key", &"<redacted>")
            .finish()
    }
}

/// The assertion's claims.
#[derive(Serialize)]
struct AssertionClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: u64,
    iat: u64,
    exp: u64,
}

/// An assertion built but not yet signed.
struct UnsignedAssertion {
    /// `base64url(header) "." base64url(claims)`.
    signing_input: String,
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
        if key.modulus() != cert.modulus.as_slice() {
            return Err(not_this_certificates_key(&cert));
        }
        Self::build(ctx, tenant, client_id, cert, Arc::new(key), legacy_rs256)
    }

    /// A source whose assertions `signer` signs: a key that stays in the caller's key store. The
    /// certificate (public part) names the key by thumbprint and checks each signature. Prefers
    /// PS256 (with `x5t#S256`) when the signer supports it, else RS256 (with `x5t`);
    /// `legacy_rs256` asks for RS256. Nothing is sent and nothing is signed here.
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
        let algorithm = choose_algorithm(signer.as_ref(), legacy_rs256)?;
        Ok(Self {
            ctx,
            tenant,
            client_id,
            cert,
            signer,
            algorithm,
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
        &self.cert
    }

    /// The algorithm the assertions are signed with (the header's `alg`).
    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    /// Builds and signs a client assertion for `token_url`, on the calling thread. Public so
    /// tests can inspect it; sign-ins sign on the blocking pool instead.
    pub fn client_assertion(&self, token_url: &str) -> Result<Zeroizing<String>> {
        let unsigned = self.unsigned_assertion(token_url)?;
        let signature = self
            .signer
            .sign(self.algorithm, unsigned.signing_input.as_bytes());
        self.finish(unsigned, signature)
    }

    /// The header and claims of a new assertion (new `jti`, current times), after checking the
    /// certificate is valid now.
    fn unsigned_assertion(&self, token_url: &str) -> Result<UnsignedAssertion> {
        let now_secs = self
            .cache
            .now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        self.cert.check_validity(now_secs as i64)?;
        let mut header = Header::new(self.algorithm.jwt_algorithm());
        match self.algorithm {
            SignatureAlgorithm::Rs256 => header.x5t = Some(self.cert.x5t.clone()),
            SignatureAlgorithm::Ps256 => header.x5t_s256 = Some(self.cert.x5t_s256.clone()),
        }
        let claims = AssertionClaims {
            aud: token_url,
            iss: &self.client_id,
            sub: &self.client_id,
            jti: uuid::Uuid::new_v4().to_string(),
            nbf: now_secs,
            iat: now_secs,
            exp: now_secs + ASSERTION_LIFETIME.as_secs(),
        };
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let part = |value: serde_json::Result<Vec<u8>>| {
            value.map(|json| b64.encode(json)).map_err(|e| {
                Error::internal(format!("the client assertion could not be written: {e}"))
            })
        };
        let signing_input = format!(
            "{}.{}",
            part(serde_json::to_vec(&header))?,
            part(serde_json::to_vec(&claims))?
        );
        Ok(UnsignedAssertion { signing_input })
    }

    /// Checks the signer's answer against the certificate and assembles the JWT.
    fn finish(
        &self,
        unsigned: UnsignedAssertion,
        signature: std::result::Result<Vec<u8>, super::assertion_signer::SignerError>,
    ) -> Result<Zeroizing<String>> {
        let signature = signature.map_err(|e| self.signer_failed(e.message()))?;
        if !self.cert.verifies(
            self.algorithm,
            unsigned.signing_input.as_bytes(),
            &signature,
        ) {
            return Err(Error::invalid_argument(format!(
                "The signature made with the certificate's private key ({}) does not verify with the \
                 public key of certificate {}: the key that signed is not this certificate's, or \
                 it did not sign with {}. Nothing was sent.",
                self.signer.kind(),
                self.cert.thumbprint_sha1_hex,
                self.algorithm
            ))
            .with_recommended_action(
                "Use the certificate together with its own private key (the pair imported from \
                 one PFX file or created together).",
            )
            .with_target(self.cert.thumbprint_sha1_hex.clone()));
        }
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        Ok(Zeroizing::new(format!(
            "{}.{}",
            unsigned.signing_input,
            b64.encode(signature)
        )))
    }

    /// A sign-in error for a signer that could not sign: its reason, never key material.
    fn signer_failed(&self, reason: &str) -> Error {
        let reason = if reason.is_empty() {
            "no reason was given".to_string()
        } else {
            reason.trim_end_matches('.').to_string()
        };
        Error::new(
            ErrorKind::Authentication,
            format!(
                "Certificate sign-in for application {} (certificate {}): the certificate's private \
                 key could not sign the client assertion: {reason}. Nothing was sent.",
                self.client_id, self.cert.thumbprint_sha1_hex
            ),
        )
        .with_recommended_action(
            "Check that this account may use the certificate's private key (Windows: certlm.msc or \
             certmgr.msc > the certificate > All Tasks > Manage Private Keys), and that a smart card \
             or hardware key holding it is present and unlocked.",
        )
        .with_target(self.cert.thumbprint_sha1_hex.clone())
    }

    /// Builds an assertion and has it signed on the blocking pool: a key store may take a while
    /// (or wait for a smart card), and nothing may block the runtime's other calls.
    async fn signed_assertion(&self, token_url: &str) -> Result<Zeroizing<String>> {
        let unsigned = self.unsigned_assertion(token_url)?;
        let signer = self.signer.clone();
        let algorithm = self.algorithm;
        let input = unsigned.signing_input.clone().into_bytes();
        let signature = tokio::task::spawn_blocking(move || signer.sign(algorithm, &input))
            .await
            .map_err(|_| {
                Error::internal("the client assertion's signer stopped before it answered")
            })?;
        self.finish(unsigned, signature)
    }

    async fn fetch(&self, call: &CallContext) -> Result<AccessToken> {
        let url = self.ctx.token_url(&self.tenant);
        // A fresh assertion per sign-in (new jti, current times); retries reuse it: it is valid
        // for 10 minutes and the retry budget is shorter in practice.
        let assertion = self.signed_assertion(&url).await?;
        post_for_token(
            &self.ctx,
            &url,
            &self.client_id,
            ClientCredential::Assertion(&assertion),
            &format!(
                "Certificate sign-in for application {} (certificate {})",
                self.client_id, self.cert.thumbprint_sha1_hex
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
                cert: self.cert.clone(),
                signer: self.signer.clone(),
                algorithm: self.algorithm,
                cache: TokenCache::default(),
            }) as std::sync::Arc<dyn TokenSource>
        }))
    }

    fn sign_in_identity(&self) -> SignInIdentity {
        SignInIdentity {
            auth_mode: "certificate".into(),
            cloud: Some(self.ctx.cloud),
            client_id: Some(self.client_id.clone()),
            identity: Some(format!("certificate {}", self.cert.thumbprint_sha1_hex)),
        }
    }
}

/// PS256 when the signer can and RS256 was not asked for, else RS256.
fn choose_algorithm(
    signer: &dyn AssertionSigner,
    legacy_rs256: bool,
) -> Result<SignatureAlgorithm> {
    let preferred = if legacy_rs256 {
        [SignatureAlgorithm::Rs256].as_slice()
    } else {
        [SignatureAlgorithm::Ps256, SignatureAlgorithm::Rs256].as_slice()
    };
    preferred
        .iter()
        .copied()
        .find(|a| signer.supports(*a))
        .ok_or_else(|| {
            Error::invalid_argument(format!(
                "The certificate's signer ({}) offers no algorithm this sign-in can use: it needs {}.",
                signer.kind(),
                if legacy_rs256 {
                    "RS256 (legacyRs256 is set)"
                } else {
                    "PS256 or RS256"
                }
            ))
            .with_target("algorithms")
        })
}

fn not_this_certificates_key(cert: &CertificateInfo) -> Error {
    Error::invalid_argument(format!(
        "The private key does not belong to certificate {}: pass the key that was created \
         with this certificate.",
        cert.thumbprint_sha1_hex
    ))
    .with_target("certificatePem")
}
