//! The public facts of a certificate that a certificate sign-in needs: its thumbprints (which
//! name it in a client assertion's header), its validity window and its RSA public key (to check
//! every signature before anything is sent).

use base64::Engine as _;
use jsonwebtoken::DecodingKey;
use sha1::Digest as _;

use super::assertion_signer::SignatureAlgorithm;
use super::private_key::strip_zeros;
use super::rfc3339::format_epoch;
use crate::error::{Error, ErrorKind, Result};

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

    /// The RSA modulus without leading zero bytes.
    pub(crate) fn modulus(&self) -> &[u8] {
        &self.modulus
    }

    /// The RSA key size, in bits.
    pub fn key_bits(&self) -> usize {
        self.modulus.len() * 8
    }

    /// Whether `signature` over `signing_input` verifies with this certificate's public key.
    pub(crate) fn verifies(
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
