//! A certificate sign-in's client assertion: the JWT that replaces a client secret.
//!
//! [`AssertionBuilder`] writes the header (the certificate's thumbprint: `x5t#S256` with PS256,
//! `x5t` with RS256) and claims, has the base64url signing input signed by an
//! [`AssertionSigner`], checks the signature with the certificate's public key and assembles the
//! JWT. It holds no secret of its own (the signer does), so it can be cloned onto the blocking
//! pool where a key store may take its time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use jsonwebtoken::Header;
use serde::Serialize;
use zeroize::Zeroizing;

use super::assertion_signer::{AssertionSigner, SignatureAlgorithm, SignerError};
use super::certificate_info::CertificateInfo;
use crate::error::{Error, ErrorKind, Result};

/// Lifetime of a client assertion; Entra ID accepts at most 10 minutes.
const ASSERTION_LIFETIME: Duration = Duration::from_secs(600);

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

/// A signed assertion and, when the signer could not make the preferred PS256 signature and RS256
/// was used instead, why (for a verbose line).
pub(crate) struct SignedAssertion {
    /// The JWT.
    pub(crate) jwt: Zeroizing<String>,
    /// Set when this assertion fell back from PS256 to RS256: the signer's PS256 failure.
    pub(crate) fell_back: Option<SignerError>,
}

/// Builds and signs client assertions for one application and certificate. Cheap to clone; the
/// clones of one builder (a fleet run's tenants) share what they learn about the signer.
#[derive(Clone)]
pub(crate) struct AssertionBuilder {
    client_id: String,
    cert: CertificateInfo,
    signer: Arc<dyn AssertionSigner>,
    /// PS256 when the signer offers it and RS256 was not asked for, else RS256.
    preferred: SignatureAlgorithm,
    /// Set once the signer failed a PS256 signature and made an RS256 one: from then on RS256.
    pss_failed: Arc<AtomicBool>,
}

impl AssertionBuilder {
    /// A builder for `client_id` and `cert` whose signatures `signer` makes. Fails with
    /// `InvalidArgument` when the signer offers no usable algorithm (RS256 when `legacy_rs256`).
    pub(crate) fn new(
        client_id: String,
        cert: CertificateInfo,
        signer: Arc<dyn AssertionSigner>,
        legacy_rs256: bool,
    ) -> Result<Self> {
        let preferred = choose_algorithm(signer.as_ref(), legacy_rs256)?;
        Ok(Self {
            client_id,
            cert,
            signer,
            preferred,
            pss_failed: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The certificate's public facts.
    pub(crate) fn certificate(&self) -> &CertificateInfo {
        &self.cert
    }

    /// What kind of signer signs (for `Debug`).
    pub(crate) fn signer_kind(&self) -> &'static str {
        self.signer.kind()
    }

    /// The algorithm the next assertion is signed with.
    pub(crate) fn algorithm(&self) -> SignatureAlgorithm {
        if self.preferred == SignatureAlgorithm::Ps256 && self.pss_failed.load(Ordering::Relaxed) {
            SignatureAlgorithm::Rs256
        } else {
            self.preferred
        }
    }

    /// Builds an assertion for `token_url` dated `now_secs` (after checking the certificate is
    /// valid then) and has it signed. When a PS256 signature fails and the signer also offers
    /// RS256, the assertion is built again with RS256 (every RSA key store can make it; some keys
    /// on smart cards and HSMs cannot make PSS) and this builder uses RS256 from then on. A
    /// signer that cannot sign is an `Authentication` error with its reason; a signature that
    /// does not verify with the certificate is `InvalidArgument`. Blocks while the signer works.
    pub(crate) fn build(&self, token_url: &str, now_secs: u64) -> Result<SignedAssertion> {
        self.cert.check_validity(now_secs as i64)?;
        let algorithm = self.algorithm();
        let input = self.signing_input(algorithm, token_url, now_secs)?;
        match self.signer.sign(algorithm, input.as_bytes()) {
            Ok(signature) => Ok(SignedAssertion {
                jwt: self.assemble(algorithm, input, signature)?,
                fell_back: None,
            }),
            Err(pss_error)
                if algorithm == SignatureAlgorithm::Ps256
                    && self.signer.supports(SignatureAlgorithm::Rs256) =>
            {
                let rs256 = SignatureAlgorithm::Rs256;
                let input = self.signing_input(rs256, token_url, now_secs)?;
                let signature = self
                    .signer
                    .sign(rs256, input.as_bytes())
                    .map_err(|e| self.signer_failed(&e))?;
                let jwt = self.assemble(rs256, input, signature)?;
                self.pss_failed.store(true, Ordering::Relaxed);
                Ok(SignedAssertion {
                    jwt,
                    fell_back: Some(pss_error),
                })
            }
            Err(e) => Err(self.signer_failed(&e)),
        }
    }

    /// `base64url(header) "." base64url(claims)` of a new assertion (new `jti`).
    fn signing_input(
        &self,
        algorithm: SignatureAlgorithm,
        token_url: &str,
        now_secs: u64,
    ) -> Result<String> {
        let mut header = Header::new(algorithm.jwt_algorithm());
        match algorithm {
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
        Ok(format!(
            "{}.{}",
            part(serde_json::to_vec(&header))?,
            part(serde_json::to_vec(&claims))?
        ))
    }

    /// Checks the signature against the certificate and appends it.
    fn assemble(
        &self,
        algorithm: SignatureAlgorithm,
        signing_input: String,
        signature: Vec<u8>,
    ) -> Result<Zeroizing<String>> {
        if !self
            .cert
            .verifies(algorithm, signing_input.as_bytes(), &signature)
        {
            return Err(Error::invalid_argument(format!(
                "The signature made with the certificate's private key ({}) does not verify with \
                 the public key of certificate {}: the key that signed is not this certificate's, \
                 or it did not sign with {algorithm}. Nothing was sent.",
                self.signer.kind(),
                self.cert.thumbprint_sha1_hex,
            ))
            .with_recommended_action(
                "Use the certificate together with its own private key (the pair imported from \
                 one PFX file or created together).",
            )
            .with_target(self.cert.thumbprint_sha1_hex.clone()));
        }
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        Ok(Zeroizing::new(format!(
            "{signing_input}.{}",
            b64.encode(signature)
        )))
    }

    /// A sign-in error for a signer that could not sign: its reason, never key material.
    fn signer_failed(&self, error: &SignerError) -> Error {
        let reason = match error.message().trim_end_matches('.') {
            "" => "no reason was given",
            reason => reason,
        };
        Error::new(
            ErrorKind::Authentication,
            format!(
                "Certificate sign-in for application {} (certificate {}): the certificate's \
                 private key could not sign the client assertion: {reason}. Nothing was sent.",
                self.client_id, self.cert.thumbprint_sha1_hex
            ),
        )
        .with_recommended_action(
            "Check that this account may use the certificate's private key (Windows: certlm.msc \
             or certmgr.msc > the certificate > All Tasks > Manage Private Keys), and that a smart \
             card or hardware key holding it is present and unlocked.",
        )
        .with_target(self.cert.thumbprint_sha1_hex.clone())
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
