//! App-only sign-in with a certificate: a signed client assertion (JWT) instead of a secret.
//!
//! The assertion's header names the certificate by thumbprint: `x5t#S256` (SHA-256 of the DER
//! certificate) with PS256, or the older `x5t` (SHA-1) with RS256. Entra ID looks the certificate
//! up on the app registration by that thumbprint and checks the signature with its public key.

use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use sha1::Digest as _;
use zeroize::Zeroizing;

use super::answer::parse_token_answer;
use super::cache::{Clock, TokenCache, TokenFuture};
use super::context::validate_client_id;
use super::context::SignInContext;
use super::http::send;
use super::rfc3339::format_epoch;
use super::signin_error::signin_error;
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
        let modulus = match cert.public_key().parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => strip_zeros(rsa.modulus).to_vec(),
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
        })
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

/// Signs in as an application with a certificate. The private key lives only inside a zeroizing
/// `EncodingKey`; `Debug` shows the client ID and thumbprint.
pub struct CertificateSource {
    ctx: SignInContext,
    tenant: String,
    client_id: String,
    cert: CertificateInfo,
    key: EncodingKey,
    legacy_rs256: bool,
    cache: TokenCache,
}

impl std::fmt::Debug for CertificateSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateSource")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("thumbprint", &self.cert.thumbprint_sha1_hex)
            .field("legacy_rs256", &self.legacy_rs256)
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
        let pkcs1 = private_key_pkcs1(&key_bytes)?;
        let modulus = pkcs1_modulus(&pkcs1).ok_or_else(|| {
            key_error("the RSA private key is malformed (its modulus could not be read)")
        })?;
        if modulus.len() * 8 < MIN_RSA_BITS {
            return Err(key_error(&format!(
                "the RSA key has {} bits; Entra ID needs at least {MIN_RSA_BITS}",
                modulus.len() * 8
            )));
        }
        if modulus != cert.modulus.as_slice() {
            return Err(Error::invalid_argument(format!(
                "The private key does not belong to certificate {}: pass the key that was created \
                 with this certificate.",
                cert.thumbprint_sha1_hex
            ))
            .with_target("certificatePem"));
        }
        let key = EncodingKey::from_rsa_der(&pkcs1);
        Ok(Self {
            ctx,
            tenant,
            client_id,
            cert,
            key,
            legacy_rs256,
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

    /// Builds and signs a client assertion for `token_url`. Public so tests can inspect it.
    pub fn client_assertion(&self, token_url: &str) -> Result<Zeroizing<String>> {
        let now_secs = self
            .cache
            .now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        self.cert.check_validity(now_secs as i64)?;
        let mut header = Header::new(if self.legacy_rs256 {
            Algorithm::RS256
        } else {
            Algorithm::PS256
        });
        if self.legacy_rs256 {
            header.x5t = Some(self.cert.x5t.clone());
        } else {
            header.x5t_s256 = Some(self.cert.x5t_s256.clone());
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
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map(Zeroizing::new)
            .map_err(|_| key_error("the RSA private key could not sign the client assertion"))
    }

    async fn fetch(&self, call: &CallContext) -> Result<AccessToken> {
        let url = self.ctx.token_url(&self.tenant);
        let scope = self.ctx.cloud.graph_scope();
        // A fresh assertion per sign-in (new jti, current times); retries reuse it: it is valid
        // for 10 minutes and the retry budget is shorter in practice.
        let assertion = self.client_assertion(&url)?;
        let build = || {
            self.ctx.http.post(&url).form(&[
                ("client_id", self.client_id.as_str()),
                ("scope", scope.as_str()),
                ("grant_type", "client_credentials"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", assertion.as_str()),
            ])
        };
        let answer = send(&self.ctx, "POST", &url, &build, call).await?;
        if !answer.is_success() {
            return Err(signin_error(
                &format!(
                    "Certificate sign-in for application {} (certificate {})",
                    self.client_id, self.cert.thumbprint_sha1_hex
                ),
                answer.status,
                &answer.body,
            ));
        }
        Ok(parse_token_answer(&answer.body, self.cache.now(), "sign-in service")?.token)
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
                key: self.key.clone(),
                legacy_rs256: self.legacy_rs256,
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

fn key_error(why: &str) -> Error {
    Error::invalid_argument(format!(
        "The certificate's private key is not usable: {why}. Pass an unencrypted RSA private key \
         (PKCS#8 'BEGIN PRIVATE KEY' or PKCS#1 'BEGIN RSA PRIVATE KEY', PEM or DER)."
    ))
    .with_target("CertificatePrivateKey")
}

fn strip_zeros(b: &[u8]) -> &[u8] {
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
