//! A certificate's private key handed over as bytes (PEM or DER, PKCS#8 or PKCS#1), held in
//! memory and used to sign client assertions: the in-memory [`AssertionSigner`].
//!
//! Used for key files (`-CertificatePath` with a PEM file) and C ABI callers that pass key bytes.
//! Keys in a platform key store are never exported to come here: they sign through an external
//! signer (see [`super::assertion_signer`]).

use jsonwebtoken::EncodingKey;
use zeroize::Zeroizing;

use super::assertion_signer::{AssertionSigner, SignatureAlgorithm, SignerError};
use crate::error::{Error, Result};

/// An RSA private key in memory. The key lives only inside `jsonwebtoken`'s `EncodingKey`
/// (zeroized on drop); `Debug` never shows it.
#[derive(Clone)]
pub struct KeySigner {
    key: EncodingKey,
    /// The RSA modulus, without leading zero bytes.
    modulus: Vec<u8>,
}

impl std::fmt::Debug for KeySigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySigner")
            .field("bits", &(self.modulus.len() * 8))
            .field("key", &"<redacted>")
            .finish()
    }
}

impl KeySigner {
    /// Reads an unencrypted RSA private key (PKCS#8 or PKCS#1, PEM or DER). Errors are
    /// `InvalidArgument` naming what is wrong (an EC key, a password-protected key, a PFX, …) and
    /// never the key.
    pub fn from_bytes(key_bytes: &[u8]) -> Result<Self> {
        let pkcs1 = private_key_pkcs1(key_bytes)?;
        let modulus = pkcs1_modulus(&pkcs1)
            .ok_or_else(|| {
                key_error("the RSA private key is malformed (its modulus could not be read)")
            })?
            .to_vec();
        Ok(Self {
            key: EncodingKey::from_rsa_der(&pkcs1),
            modulus,
        })
    }

    /// The RSA modulus without leading zero bytes (to check the key belongs to a certificate).
    pub fn modulus(&self) -> &[u8] {
        &self.modulus
    }
}

impl AssertionSigner for KeySigner {
    fn supports(&self, _algorithm: SignatureAlgorithm) -> bool {
        true
    }

    fn sign(
        &self,
        algorithm: SignatureAlgorithm,
        signing_input: &[u8],
    ) -> std::result::Result<Vec<u8>, SignerError> {
        use base64::Engine as _;
        let failed = || SignerError::new("the RSA private key could not sign the client assertion");
        let encoded =
            jsonwebtoken::crypto::sign(signing_input, &self.key, algorithm.jwt_algorithm())
                .map_err(|_| failed())?;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| failed())
    }

    fn kind(&self) -> &'static str {
        "a private key in memory"
    }
}

pub(crate) fn key_error(why: &str) -> Error {
    Error::invalid_argument(format!(
        "The certificate's private key is not usable: {why}. Pass an unencrypted RSA private key \
         (PKCS#8 'BEGIN PRIVATE KEY' or PKCS#1 'BEGIN RSA PRIVATE KEY', PEM or DER)."
    ))
    .with_target("CertificatePrivateKey")
}

pub(crate) fn strip_zeros(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[first..]
}

/// One DER TLV: (tag, content, rest). Definite lengths up to 4 length bytes only.
fn der_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *input.first()?;
    let first = *input.get(1)? as usize;
    let (len, header) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let bytes = input.get(2..2 + n)?;
        (
            bytes.iter().fold(0usize, |acc, &b| (acc << 8) | b as usize),
            2 + n,
        )
    };
    let content = input.get(header..header.checked_add(len)?)?;
    Some((tag, content, &input[header + len..]))
}

const TAG_SEQUENCE: u8 = 0x30;
const TAG_INTEGER: u8 = 0x02;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_OID: u8 = 0x06;
const OID_RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
const OID_ED25519: &[u8] = &[0x2B, 0x65, 0x70];

/// The modulus of a PKCS#1 RSAPrivateKey (SEQUENCE { version, modulus, … }), without leading zeros.
fn pkcs1_modulus(der: &[u8]) -> Option<&[u8]> {
    let (tag, seq, _) = der_tlv(der)?;
    if tag != TAG_SEQUENCE {
        return None;
    }
    let (t1, _, rest) = der_tlv(seq)?;
    let (t2, modulus, _) = der_tlv(rest)?;
    (t1 == TAG_INTEGER && t2 == TAG_INTEGER).then(|| strip_zeros(modulus))
}

/// Unwraps PKCS#8 PrivateKeyInfo to the PKCS#1 key inside, checking the algorithm is RSA.
fn pkcs8_to_pkcs1(der: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let malformed = || key_error("the PKCS#8 structure is malformed");
    let (tag, seq, _) = der_tlv(der).ok_or_else(malformed)?;
    if tag != TAG_SEQUENCE {
        return Err(malformed());
    }
    let (_, _version, rest) = der_tlv(seq).ok_or_else(malformed)?;
    let (alg_tag, alg, rest) = der_tlv(rest).ok_or_else(malformed)?;
    let (oid_tag, oid, _) = der_tlv(alg).ok_or_else(malformed)?;
    if alg_tag != TAG_SEQUENCE || oid_tag != TAG_OID {
        return Err(malformed());
    }
    if oid != OID_RSA {
        let kind = if oid == OID_EC {
            "an elliptic-curve (EC) key"
        } else if oid == OID_ED25519 {
            "an Ed25519 key"
        } else {
            "not an RSA key"
        };
        return Err(key_error(&format!(
            "it is {kind}; client assertions here need RSA"
        )));
    }
    let (key_tag, key, _) = der_tlv(rest).ok_or_else(malformed)?;
    if key_tag != TAG_OCTET_STRING {
        return Err(malformed());
    }
    Ok(Zeroizing::new(key.to_vec()))
}

/// Reads the private key bytes (PEM or DER, PKCS#8 or PKCS#1) and returns PKCS#1 DER.
fn private_key_pkcs1(bytes: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    if bytes[start..].starts_with(b"-----BEGIN") {
        let blocks =
            pem::parse_many(bytes).map_err(|_| key_error("the PEM text could not be read"))?;
        let mut saw_certificate = false;
        for block in blocks {
            let encrypted = block
                .headers()
                .get("Proc-Type")
                .is_some_and(|v| v.contains("ENCRYPTED"));
            match block.tag() {
                "PRIVATE KEY" => return pkcs8_to_pkcs1(&Zeroizing::new(block.into_contents())),
                "RSA PRIVATE KEY" if encrypted => {
                    return Err(key_error(
                        "it is encrypted with a password; export it without one",
                    ))
                }
                "RSA PRIVATE KEY" => return Ok(Zeroizing::new(block.into_contents())),
                "ENCRYPTED PRIVATE KEY" => {
                    return Err(key_error(
                        "it is encrypted with a password; export it without one",
                    ))
                }
                "EC PRIVATE KEY" => {
                    return Err(key_error(
                        "it is an elliptic-curve (EC) key; client assertions here need RSA",
                    ))
                }
                "CERTIFICATE" => saw_certificate = true,
                _ => {}
            }
        }
        return Err(key_error(if saw_certificate {
            "the PEM text holds only a certificate, not its private key"
        } else {
            "the PEM text holds no private key block"
        }));
    }
    // DER: PKCS#8 is SEQUENCE { INTEGER, SEQUENCE {…}, … }; PKCS#1 is SEQUENCE { INTEGER, INTEGER, … }.
    let (tag, seq, _) =
        der_tlv(bytes).ok_or_else(|| key_error("it is neither PEM text nor DER"))?;
    if tag != TAG_SEQUENCE {
        return Err(key_error("it is neither PEM text nor DER"));
    }
    let (_, version, rest) =
        der_tlv(seq).ok_or_else(|| key_error("the DER structure is malformed"))?;
    match der_tlv(rest).map(|(t, _, _)| t) {
        Some(TAG_SEQUENCE) if version == [3] => Err(key_error(
            "it looks like a PFX/PKCS#12 file; export the private key as unencrypted PKCS#8 PEM",
        )),
        Some(TAG_SEQUENCE) => pkcs8_to_pkcs1(bytes),
        Some(TAG_INTEGER) => Ok(Zeroizing::new(bytes.to_vec())),
        _ => Err(key_error("the DER structure is not a private key")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn der_tlv_reads_short_and_long_lengths() {
        let (t, c, rest) = der_tlv(&[0x02, 0x01, 0x05, 0xFF]).unwrap();
        assert_eq!((t, c, rest), (0x02, &[5u8][..], &[0xFFu8][..]));
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend(std::iter::repeat_n(7u8, 0x80));
        let (_, c, rest) = der_tlv(&long).unwrap();
        assert_eq!(c.len(), 0x80);
        assert!(rest.is_empty());
        assert!(der_tlv(&[0x04, 0x05, 1]).is_none());
        assert!(der_tlv(&[0x04, 0x85, 1, 1, 1, 1, 1]).is_none());
    }

    #[test]
    fn junk_keys_are_invalid_argument() {
        for junk in [
            &b""[..],
            b"hello",
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            &[0x30, 0x03, 0x02, 0x01, 0x00],
        ] {
            let e = private_key_pkcs1(junk).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        }
    }
}
