//! Who signs a certificate sign-in's client assertion.
//!
//! The core builds the assertion (header, claims, the base64url signing input) and asks an
//! [`AssertionSigner`] for the signature. Two kinds exist: a private key the caller handed over as
//! bytes ([`super::private_key::KeySigner`]), and a signer outside the library, such as the C ABI
//! caller's callback that asks the platform key store to sign: the private key never leaves the
//! store, so keys that cannot be exported (machine store, TPM, smart card, HSM) work.

use std::fmt;

/// An RSA signature algorithm for a client assertion (the JWT header's `alg`). Entra ID accepts
/// both; PS256 is preferred, RS256 is what every key store can do (the Windows CryptoAPI, i.e.
/// `RSACryptoServiceProvider`, has no PSS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PSS with SHA-256, MGF1 with SHA-256 and a 32-byte salt.
    Ps256,
}

impl SignatureAlgorithm {
    /// The JWT `alg` name.
    pub fn jwt_name(self) -> &'static str {
        match self {
            SignatureAlgorithm::Rs256 => "RS256",
            SignatureAlgorithm::Ps256 => "PS256",
        }
    }

    /// The same algorithm in `jsonwebtoken`'s terms.
    pub(crate) fn jwt_algorithm(self) -> jsonwebtoken::Algorithm {
        match self {
            SignatureAlgorithm::Rs256 => jsonwebtoken::Algorithm::RS256,
            SignatureAlgorithm::Ps256 => jsonwebtoken::Algorithm::PS256,
        }
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.jwt_name())
    }
}

/// Why a signer could not sign, in words for the user (e.g. the key store's own message). Never
/// key material: signers only ever see the signing input, which holds no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerError {
    message: String,
}

impl SignerError {
    /// Longest reason kept, in characters: a key store's message is a sentence or two.
    pub const MAX_CHARS: usize = 500;

    /// A reason on one line: control characters and runs of white space become one space, and it
    /// is cut to [`Self::MAX_CHARS`].
    pub fn new(message: impl AsRef<str>) -> Self {
        let spaced: String = message
            .as_ref()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let clean: String = spaced
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(Self::MAX_CHARS)
            .collect();
        Self { message: clean }
    }

    /// The reason (may be empty when the signer gave none).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for SignerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Signs client assertions with a certificate's private key, wherever that key lives.
///
/// Implementations must be callable from any thread, also concurrently: a fleet run signs in to
/// several tenants at once with one signer. [`Self::sign`] runs on the runtime's blocking pool, so
/// it may block (a key store may take a while, or wait for a smart card).
pub trait AssertionSigner: Send + Sync {
    /// Whether this signer can make signatures with `algorithm`.
    fn supports(&self, algorithm: SignatureAlgorithm) -> bool;

    /// Signs `signing_input` (the JWT's `base64url(header) "." base64url(claims)`, ASCII) with
    /// `algorithm` (one [`Self::supports`]) and returns the raw signature (as long as the RSA
    /// modulus).
    fn sign(
        &self,
        algorithm: SignatureAlgorithm,
        signing_input: &[u8],
    ) -> std::result::Result<Vec<u8>, SignerError>;

    /// What kind of signer this is, for `Debug` output and messages (e.g. "a key in memory").
    fn kind(&self) -> &'static str;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signer_error_is_one_clean_bounded_line() {
        let e = SignerError::new("  Keyset does not exist\r\n\tsecond line  ");
        assert_eq!(e.message(), "Keyset does not exist second line");
        let long = SignerError::new("x".repeat(5000) + "\u{7}");
        assert_eq!(long.message().chars().count(), SignerError::MAX_CHARS);
        assert_eq!(SignatureAlgorithm::Ps256.to_string(), "PS256");
        assert_eq!(SignatureAlgorithm::Rs256.jwt_name(), "RS256");
    }
}
