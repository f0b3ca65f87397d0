//! Azure Arc-enabled servers: `IDENTITY_ENDPOINT` + `IMDS_ENDPOINT`. The first request answers
//! 401 with `WWW-Authenticate: Basic realm=<path of a .key file>`; the key file is read (only from
//! the agent's token folder) and sent back as Basic authorization. System-assigned identity only.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::settings::ManagedIdentityEnv;
use crate::auth::context::SignInContext;
use crate::auth::http::{send, Answer};
use crate::call_context::CallContext;
use crate::error::{Error, ErrorKind, Result};
use crate::events;

/// The token API version the Arc agent speaks.
pub(super) const API_VERSION: &str = "2019-11-01";

/// Query parameter names of a user-assigned identity: client ID, object ID, resource ID (the
/// agent has only a system-assigned identity; kept for one table across styles).
pub(super) const ID_PARAMS: [&str; 3] = ["client_id", "object_id", "msi_res_id"];

/// Largest Arc challenge key file accepted, bytes (the agent writes a short random secret).
pub const ARC_MAX_KEY_BYTES: u64 = 4096;

/// The challenge exchange: ask, check and read the key file, answer the challenge. `what` names
/// the sign-in in messages.
pub(super) async fn exchange(
    ctx: &SignInContext,
    url: &url::Url,
    shown: &str,
    token_dir: &Path,
    what: &str,
    call: &CallContext,
) -> Result<Answer> {
    let build = || ctx.http.get(url.clone()).header("Metadata", "true");
    let first = send(ctx, "GET", shown, &build, call).await?;
    if first.status != 401 {
        if first.is_success() {
            return Err(Error::new(
                ErrorKind::InvalidResponse,
                format!(
                    "{what}: the endpoint answered without the expected 401 challenge; refusing a \
                     token from an endpoint that does not behave like the Arc agent."
                ),
            ));
        }
        return Ok(first);
    }
    let realm = first
        .headers
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_basic_realm)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidResponse,
                format!(
                    "{what}: the 401 answer has no 'WWW-Authenticate: Basic realm=<key file>' challenge."
                ),
            )
        })?;
    let secret = read_arc_key(Path::new(&realm), token_dir)?;
    events::debug(
        &call.events,
        format!("Answering the Azure Arc challenge with key file {realm}"),
    );
    let authorization = Zeroizing::new(format!("Basic {}", secret.as_str()));
    let build = || {
        ctx.http
            .get(url.clone())
            .header("Metadata", "true")
            .header(reqwest::header::AUTHORIZATION, authorization.as_str())
    };
    send(ctx, "GET", shown, &build, call).await
}

/// The Arc agent's token folder for this platform.
pub(super) fn default_arc_token_dir(env: &ManagedIdentityEnv) -> Result<PathBuf> {
    if cfg!(windows) {
        let base = env
            .program_data
            .clone()
            .unwrap_or_else(|| r"C:\ProgramData".to_string());
        Ok(Path::new(&base)
            .join("AzureConnectedMachineAgent")
            .join("Tokens"))
    } else if cfg!(target_os = "linux") {
        Ok(PathBuf::from("/var/opt/azcmagent/tokens"))
    } else {
        Err(Error::invalid_argument(
            "Azure Arc managed identity is supported on Windows and Linux only.",
        ))
    }
}

/// Extracts the realm of a `Basic realm=<value>` challenge (quotes optional).
pub fn parse_basic_realm(header: &str) -> Option<String> {
    let rest = header.trim();
    let scheme_end = rest.find(char::is_whitespace)?;
    if !rest[..scheme_end].eq_ignore_ascii_case("basic") {
        return None;
    }
    let params = rest[scheme_end..].trim();
    let lower = params.to_ascii_lowercase();
    let at = lower.find("realm=")?;
    let value = params[at + 6..].trim();
    let value = if let Some(stripped) = value.strip_prefix('"') {
        stripped.split('"').next()?
    } else {
        value.split(',').next()?.trim()
    };
    (!value.is_empty()).then(|| value.to_string())
}

/// Reads the Arc challenge file after checking it is a `.key` file directly inside `token_dir`
/// (after resolving links and `..`) and at most [`ARC_MAX_KEY_BYTES`] long. A hostile local
/// endpoint could otherwise make us send any file's contents.
pub fn read_arc_key(path: &Path, token_dir: &Path) -> Result<Zeroizing<String>> {
    let refuse = |why: &str| {
        Error::new(
            ErrorKind::Authentication,
            format!(
                "Azure Arc managed identity: refusing the challenge file '{}': {why}.",
                path.display()
            ),
        )
        .with_recommended_action(format!(
            "Only a .key file of at most {ARC_MAX_KEY_BYTES} bytes inside the Arc agent's token folder \
             ({}) is accepted. Check the Azure Connected Machine agent (azcmagent show).",
            token_dir.display()
        ))
        .with_target(path.display().to_string())
    };
    let has_key_ext = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("key"));
    if !has_key_ext {
        return Err(refuse("it is not a .key file"));
    }
    let canonical_dir = std::fs::canonicalize(token_dir)
        .map_err(|_| refuse("the agent's token folder does not exist or cannot be read"))?;
    let canonical =
        std::fs::canonicalize(path).map_err(|_| refuse("it does not exist or cannot be read"))?;
    if canonical.parent() != Some(canonical_dir.as_path()) {
        return Err(refuse("it is not inside the agent's token folder"));
    }
    let file = std::fs::File::open(&canonical).map_err(|_| refuse("it cannot be opened"))?;
    let meta = file
        .metadata()
        .map_err(|_| refuse("its size cannot be read"))?;
    if !meta.is_file() {
        return Err(refuse("it is not a regular file"));
    }
    if meta.len() > ARC_MAX_KEY_BYTES {
        return Err(refuse(&format!(
            "it is {} bytes, more than {ARC_MAX_KEY_BYTES}",
            meta.len()
        )));
    }
    // Read at most one byte more than allowed, in case it grew after the size check.
    let mut buf = Zeroizing::new(Vec::with_capacity(meta.len() as usize));
    file.take(ARC_MAX_KEY_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|_| refuse("it cannot be read"))?;
    if buf.len() as u64 > ARC_MAX_KEY_BYTES {
        return Err(refuse(&format!(
            "it is more than {ARC_MAX_KEY_BYTES} bytes"
        )));
    }
    let text = std::str::from_utf8(&buf).map_err(|_| refuse("it is not text"))?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(refuse("it is empty"));
    }
    Ok(Zeroizing::new(trimmed.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realm_parsing() {
        assert_eq!(
            parse_basic_realm("Basic realm=/var/opt/azcmagent/tokens/a.key").as_deref(),
            Some("/var/opt/azcmagent/tokens/a.key")
        );
        assert_eq!(
            parse_basic_realm("basic realm=\"C:\\x\\a.key\"").as_deref(),
            Some("C:\\x\\a.key")
        );
        assert_eq!(parse_basic_realm("Bearer realm=x"), None);
        assert_eq!(parse_basic_realm("Basic"), None);
        assert_eq!(parse_basic_realm("Basic realm="), None);
    }
}
