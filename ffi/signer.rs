//! A certificate sign-in whose client assertions the caller signs: the private key stays in the
//! caller's key store (Windows CNG/CryptoAPI, the macOS keychain, a TPM, a smart card, an HSM)
//! and only signatures cross the ABI (`pup_client_new_with_signer`).

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use photo_policy_core::auth::{AssertionSigner, SignatureAlgorithm, SignerError};
use photo_policy_core::client::PolicyClient;
use photo_policy_core::config::ClientConfig;

use crate::client::PupClient;
use crate::error::PupError;
use crate::json::parse_json;
use crate::panic::call;
use crate::status::PupStatus;
use crate::strings::{out_arg, str_arg};

/// The signature algorithms a [`PupSignFn`] is asked for. Values are distinct bits so that the
/// `algorithms` argument of [`pup_client_new_with_signer`] can name several (`RS256 | PS256`);
/// they are part of the ABI and never reused.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PupSignatureAlgorithm {
    /// RS256: RSASSA-PKCS1-v1_5 with SHA-256 (every RSA key store can make it; the Windows
    /// CryptoAPI has nothing else).
    Rs256 = 1,
    /// PS256: RSASSA-PSS with SHA-256, MGF1 with SHA-256 and a 32-byte salt.
    Ps256 = 2,
}

/// Bytes the signature buffer a [`PupSignFn`] receives holds: enough for an RSA key of 8192 bits.
pub const PUP_MAX_SIGNATURE_BYTES: usize = 1024;

/// Bytes the message buffer a [`PupSignFn`] receives holds (a failure's reason, UTF-8).
pub const PUP_MAX_SIGNER_MESSAGE_BYTES: usize = 1024;

/// Signs a client assertion with the certificate's private key where it lives.
///
/// `algorithm` is one [`PupSignatureAlgorithm`] value the caller offered. `(data, data_len)` is
/// the JWT signing input (ASCII, no secret in it): sign its SHA-256 digest as the algorithm says
/// (e.g. .NET `RSA.SignData(data, SHA256, Pkcs1 or Pss)`). On entry `*signature_len` is the
/// capacity of `signature` ([`PUP_MAX_SIGNATURE_BYTES`]) and `*message_len` that of `message`
/// ([`PUP_MAX_SIGNER_MESSAGE_BYTES`]).
///
/// Return 0 after writing the signature (as many bytes as the RSA modulus) to `signature` and its
/// length to `*signature_len`. Return any other value when it cannot sign, after writing why
/// (UTF-8, e.g. the key store's error message; never key material) to `message` and its length to
/// `*message_len` (0 for no reason). When a PS256 signature fails and RS256 was offered too, the
/// library asks again for RS256 (some smart cards and HSMs cannot make PSS) and uses RS256 for
/// this signer from then on; otherwise the call that needed the sign-in fails with
/// `PUP_STATUS_AUTHENTICATION` and that reason, and nothing is sent.
///
/// Called on a thread of the library's blocking pool, not the caller's, and possibly concurrently
/// from several threads (a fleet run signs in to several tenants at once): it must be thread-safe.
/// It may block (a key store may take a while or wait for a smart card); the call that needs the
/// sign-in waits for it. It must not unwind (no C++ or managed exception may escape), must not
/// call into this library, and may run after a cancelled call returned: `user_data` stays valid
/// until the release function is called. The buffers are valid only during the callback.
pub type PupSignFn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        algorithm: u32,
        data: *const u8,
        data_len: usize,
        signature: *mut u8,
        signature_len: *mut usize,
        message: *mut u8,
        message_len: *mut usize,
    ) -> u32,
>;

/// Releases the signer's `user_data` when the library no longer needs it. Called exactly once,
/// on any thread, after the last call to the sign function.
pub type PupReleaseFn = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// The caller's sign and release functions with their `user_data`: the external
/// [`AssertionSigner`]. Shared (`Arc`) by the client and every client made from it for another
/// tenant; dropping the last one calls the release function.
struct CallerSigner {
    sign: PupSignFn,
    release: PupReleaseFn,
    user_data: *mut c_void,
    algorithms: u32,
}

// SAFETY: the caller promises (see `PupSignFn`, `PupReleaseFn`) that both functions may be called
// from any thread, concurrently, with this `user_data`; Rust never dereferences `user_data`.
unsafe impl Send for CallerSigner {}
// SAFETY: as above; the fields are only read and passed back to the caller's functions.
unsafe impl Sync for CallerSigner {}

impl Drop for CallerSigner {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            let user_data = self.user_data;
            // SAFETY: the caller's release function with its own user_data, called once (taken).
            // A Rust caller's function could panic: never let that unwind out of a drop.
            let _ = catch_unwind(AssertUnwindSafe(|| unsafe { release(user_data) }));
        }
    }
}

impl AssertionSigner for CallerSigner {
    fn supports(&self, algorithm: SignatureAlgorithm) -> bool {
        self.algorithms & abi_value(algorithm) != 0
    }

    fn sign(
        &self,
        algorithm: SignatureAlgorithm,
        signing_input: &[u8],
    ) -> Result<Vec<u8>, SignerError> {
        let sign = self
            .sign
            .ok_or_else(|| SignerError::new("no sign function was given"))?;
        let mut signature = vec![0u8; PUP_MAX_SIGNATURE_BYTES];
        let mut signature_len = signature.len();
        let mut message = vec![0u8; PUP_MAX_SIGNER_MESSAGE_BYTES];
        let mut message_len = message.len();
        let status = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: the caller's function and user_data (valid until release, which cannot run
            // while `self` is borrowed); every buffer is live and its capacity is passed in.
            unsafe {
                sign(
                    self.user_data,
                    abi_value(algorithm),
                    signing_input.as_ptr(),
                    signing_input.len(),
                    signature.as_mut_ptr(),
                    &mut signature_len,
                    message.as_mut_ptr(),
                    &mut message_len,
                )
            }
        }))
        .map_err(|_| SignerError::new("the sign function panicked"))?;
        if status != 0 {
            let reason = String::from_utf8_lossy(&message[..message_len.min(message.len())]);
            return Err(if reason.trim().is_empty() {
                SignerError::new(format!("the sign function failed with status {status}"))
            } else {
                SignerError::new(reason)
            });
        }
        if signature_len == 0 || signature_len > signature.len() {
            return Err(SignerError::new(format!(
                "the sign function reported success with a signature of {signature_len} bytes \
                 (expected 1 to {PUP_MAX_SIGNATURE_BYTES})"
            )));
        }
        signature.truncate(signature_len);
        Ok(signature)
    }

    fn kind(&self) -> &'static str {
        "the caller's key store"
    }
}

/// The ABI value of a core algorithm.
fn abi_value(algorithm: SignatureAlgorithm) -> u32 {
    match algorithm {
        SignatureAlgorithm::Rs256 => PupSignatureAlgorithm::Rs256 as u32,
        SignatureAlgorithm::Ps256 => PupSignatureAlgorithm::Ps256 as u32,
    }
}

/// Creates a client that signs in with a certificate whose private key never leaves the caller's
/// key store: the library builds each client assertion and asks `sign` for its signature.
///
/// `config_json` is a client config (as for `pup_client_new`) whose `auth` is
/// `{"mode":"certificate","clientId":"…","certificatePem":"-----BEGIN CERTIFICATE-----…"}` (the
/// public certificate: its thumbprint names the key, its public key checks every signature before
/// it is sent; `legacyRs256: true` asks for RS256). `algorithms` is the set of
/// [`PupSignatureAlgorithm`] values `sign` can make, OR-ed (`PUP_SIGNATURE_ALGORITHM_RS256 |
/// PUP_SIGNATURE_ALGORITHM_PS256`): PS256 is used when offered, else RS256 (and RS256 for good
/// once a PS256 signature fails). No network traffic and no signing happen here.
///
/// `user_data` is passed back to `sign` and `release` untouched (may be NULL). `release` (may be
/// NULL) is called exactly once when the library no longer needs `user_data`: after the client
/// and every client made from it with `pup_client_for_tenant` are freed (and any signing in
/// flight has returned), or before this function returns when it fails (any status but 0,
/// `PUP_STATUS_NULL_ARGUMENT` for a NULL `sign` included).
///
/// On success writes `*out_client` (free with `pup_client_free`); on failure writes `*out_error`
/// when `out_error` is not NULL (free with `pup_error_free`).
///
/// # Safety
/// `(config_json, config_len)` is NULL with length 0 or points to `config_len` readable bytes;
/// `sign` and `release` keep the contracts of [`PupSignFn`] and [`PupReleaseFn`] until `release`
/// is called; `out_client` is writable; `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_client_new_with_signer(
    config_json: *const u8,
    config_len: usize,
    sign: PupSignFn,
    release: PupReleaseFn,
    user_data: *mut c_void,
    algorithms: u32,
    out_client: *mut *mut PupClient,
    out_error: *mut *mut PupError,
) -> PupStatus {
    call(out_error, || {
        // Made first, so that every way out (a failure, a panic) releases user_data exactly once.
        let signer = CallerSigner {
            sign,
            release,
            user_data,
            algorithms,
        };
        if signer.sign.is_none() {
            return Err(Box::new(PupError::null_argument("sign")));
        }
        // SAFETY: caller's contract for the pair.
        let config_text = unsafe { str_arg("config_json", config_json, config_len) }?;
        out_arg("out_client", out_client)?;
        let known = PupSignatureAlgorithm::Rs256 as u32 | PupSignatureAlgorithm::Ps256 as u32;
        if algorithms == 0 || algorithms & !known != 0 {
            return Err(photo_policy_core::Error::invalid_argument(format!(
                "algorithms is {algorithms}: it must name one or both of \
                 PUP_SIGNATURE_ALGORITHM_RS256 (1) and PUP_SIGNATURE_ALGORITHM_PS256 (2), OR-ed."
            ))
            .with_target("algorithms")
            .into());
        }
        let config: ClientConfig = parse_json("config_json", "client config", config_text)?;
        let inner = PolicyClient::with_signer(config, Arc::new(signer))?;
        // SAFETY: checked non-NULL above; writable per contract.
        unsafe { *out_client = Box::into_raw(Box::new(PupClient::from_inner(inner))) };
        Ok(())
    })
}
