//! Turning a sign-in error answer into an [`Error`] an admin can act on.
//!
//! Entra ID answers `{"error","error_description","error_codes","trace_id","correlation_id"}`;
//! the description starts with an `AADSTSnnnn:` code. We keep all of it in
//! [`ServiceErrorDetails`] and write a message that names the code, what it means and what to do.
//! Managed identity endpoints answer either the same shape or `{"statusCode","message"}`.

use serde_json::Value;

use crate::error::{Error, ErrorKind, ServiceErrorDetails};

/// What a well-known AADSTS code means and what to do about it.
struct Known {
    code: &'static str,
    meaning: &'static str,
    action: &'static str,
}

/// The AADSTS codes admins hit most when signing in apps to Graph.
const KNOWN: &[Known] = &[
    Known {
        code: "AADSTS7000215",
        meaning: "the client secret is wrong or expired",
        action: "Create a new client secret under App registrations > your app > Certificates & secrets, \
                 and pass its value (not its ID).",
    },
    Known {
        code: "AADSTS7000222",
        meaning: "the client secret has expired",
        action: "Create a new client secret under App registrations > your app > Certificates & secrets.",
    },
    Known {
        code: "AADSTS700016",
        meaning: "the application was not found in the tenant",
        action: "Check the client ID and the tenant; a multi-tenant app must first be consented to in \
                 this tenant by an administrator.",
    },
    Known {
        code: "AADSTS700024",
        meaning: "the client assertion is not within its valid time range",
        action: "Check this computer's clock and time zone (sync it with NTP) and try again.",
    },
    Known {
        code: "AADSTS700027",
        meaning: "the certificate is not registered on the application, or the assertion signature \
                  could not be verified with it",
        action: "Upload the certificate's public part (.cer) under App registrations > your app > \
                 Certificates & secrets, and sign with its matching private key.",
    },
    Known {
        code: "AADSTS90002",
        meaning: "the tenant was not found",
        action: "Check the tenant ID or domain, and that it belongs to the selected cloud (Environment).",
    },
    Known {
        code: "AADSTS900023",
        meaning: "the tenant identifier is neither a valid GUID nor a valid domain name",
        action: "Pass the tenant ID (GUID) or a verified domain such as contoso.onmicrosoft.com.",
    },
    Known {
        code: "AADSTS7000112",
        meaning: "the application is disabled",
        action: "Enable the application's service principal in Enterprise applications.",
    },
    Known {
        code: "AADSTS500011",
        meaning: "the resource (Microsoft Graph of this cloud) was not found in the tenant",
        action: "Check that the Environment (cloud) matches the tenant's cloud.",
    },
    Known {
        code: "AADSTS65001",
        meaning: "the user or an administrator has not consented to the application's permissions",
        action: "Grant admin consent for PeopleSettings.ReadWrite.All in the app registration \
                 (API permissions > Grant admin consent).",
    },
    Known {
        code: "AADSTS53003",
        meaning: "access was blocked by a Conditional Access policy",
        action: "Ask your identity administrator which Conditional Access policy applies to this sign-in.",
    },
    Known {
        code: "AADSTS50076",
        meaning: "multi-factor authentication is required",
        action: "Sign in interactively (Connect-PhotoUpdatePolicy with no sign-in parameters opens \
                 the browser) and complete MFA.",
    },
    Known {
        code: "AADSTS70021",
        meaning: "no federated credential on the application matches the presented token's issuer, \
                  subject and audience",
        action: "Add a federated credential under App registrations > your app > Certificates & \
                 secrets > Federated credentials with the issuer and subject shown above (audience \
                 api://AzureADTokenExchange).",
    },
    Known {
        code: "AADSTS50020",
        meaning: "the signed-in account does not exist in this tenant",
        action: "Sign in with an account of this tenant, or pass the tenant the account belongs to \
                 with -TenantId.",
    },
    Known {
        code: "AADSTS65004",
        meaning: "the sign-in or the consent was declined",
        action: "Sign in again and accept; if your organisation requires admin consent, ask an \
                 administrator to consent to the app for PeopleSettings.ReadWrite.All.",
    },
    Known {
        code: "AADSTS70043",
        meaning: "the refresh token has expired or is invalid due to sign-in frequency checks",
        action: "Connect again to sign in interactively.",
    },
    Known {
        code: "AADSTS700082",
        meaning: "the refresh token has expired due to inactivity",
        action: "Connect again to sign in interactively.",
    },
    Known {
        code: "AADSTS50173",
        meaning: "the grant has expired because the user's password changed or the session was revoked",
        action: "Connect again to sign in interactively.",
    },
];

/// Extracts the first `AADSTSnnnn` code from a description.
pub fn aadsts_code(description: &str) -> Option<String> {
    let start = description.find("AADSTS")?;
    let digits: String = description[start + 6..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    (!digits.is_empty()).then(|| format!("AADSTS{digits}"))
}

fn string_field(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Reads an error answer's details. `None` when the body is not a JSON object with an `error`
/// (or, for managed identity, a `message`).
pub fn parse_error_details(http_status: u16, body: &[u8]) -> Option<ServiceErrorDetails> {
    let v: Value = serde_json::from_slice(body).ok()?;
    if !v.is_object() {
        return None;
    }
    // Entra: "error" is a string. Some MI hosts nest {"error":{"code","message"}} like Graph.
    let (code, message) = match v.get("error") {
        Some(Value::String(code)) => (Some(code.clone()), string_field(&v, "error_description")),
        Some(inner @ Value::Object(_)) => {
            (string_field(inner, "code"), string_field(inner, "message"))
        }
        _ => (
            None,
            string_field(&v, "message").or_else(|| string_field(&v, "Message")),
        ),
    };
    if code.is_none() && message.is_none() {
        return None;
    }
    let aadsts = message.as_deref().and_then(aadsts_code).or_else(|| {
        // Fall back to error_codes: [7000215] when the description lost its prefix.
        v.get("error_codes")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(super::answer::number_or_string)
            .map(|n| format!("AADSTS{n}"))
    });
    Some(ServiceErrorDetails {
        http_status,
        code,
        message,
        request_id: string_field(&v, "trace_id"),
        client_request_id: string_field(&v, "correlation_id"),
        date: string_field(&v, "timestamp"),
        aadsts,
        ..ServiceErrorDetails::default()
    })
}

/// Builds the Authentication error for a sign-in error answer. `what` names the exchange
/// ("Client secret sign-in for app 1234…", "Managed identity (App Service)").
pub fn signin_error(what: &str, http_status: u16, body: &[u8]) -> Error {
    let Some(details) = parse_error_details(http_status, body) else {
        let kind = if http_status == 429 {
            ErrorKind::Throttled
        } else if http_status >= 500 {
            ErrorKind::ServiceUnavailable
        } else {
            ErrorKind::Authentication
        };
        return Error::new(
            kind,
            format!("{what} failed: the sign-in service answered HTTP {http_status} without an error description."),
        )
        .with_service(ServiceErrorDetails {
            http_status,
            ..Default::default()
        });
    };
    let known = details
        .aadsts
        .as_deref()
        .and_then(|c| KNOWN.iter().find(|k| k.code == c));
    let code_text = details
        .aadsts
        .clone()
        .or_else(|| details.code.clone())
        .unwrap_or_else(|| format!("HTTP {http_status}"));
    let mut message = match known {
        Some(k) => format!("{what} failed with {code_text}: {}.", k.meaning),
        None => format!("{what} failed with {code_text}."),
    };
    // The service's own first line helps with codes we do not know; it never holds secrets.
    if let Some(desc) = details.message.as_deref() {
        let first_line = desc.lines().next().unwrap_or("").trim();
        if !first_line.is_empty() {
            message.push_str(" Service said: ");
            message.push_str(first_line);
        }
    }
    if let Some(trace) = details.request_id.as_deref() {
        message.push_str(&format!(" (trace ID {trace}"));
        if let Some(corr) = details.client_request_id.as_deref() {
            message.push_str(&format!(", correlation ID {corr}"));
        }
        message.push(')');
    }
    let mut err = Error::new(ErrorKind::Authentication, message).with_service(details);
    if let Some(k) = known {
        err = err.with_recommended_action(k.action);
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRONG_SECRET: &str = r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.\r\nTrace ID: abc\r\nCorrelation ID: def\r\nTimestamp: 2026-01-01 00:00:00Z","error_codes":[7000215],"timestamp":"2026-01-01 00:00:00Z","trace_id":"abc","correlation_id":"def"}"#;

    #[test]
    fn aadsts_is_extracted() {
        assert_eq!(
            aadsts_code("AADSTS700016: Application x").as_deref(),
            Some("AADSTS700016")
        );
        assert_eq!(
            aadsts_code("x AADSTS90002 y").as_deref(),
            Some("AADSTS90002")
        );
        assert_eq!(aadsts_code("AADSTS: nothing"), None);
        assert_eq!(aadsts_code("no code"), None);
    }

    #[test]
    fn wrong_secret_names_code_meaning_and_action() {
        let e = signin_error("Client secret sign-in", 401, WRONG_SECRET.as_bytes());
        assert_eq!(e.kind(), ErrorKind::Authentication);
        assert!(e.message().contains("AADSTS7000215"), "{}", e.message());
        assert!(e.message().contains("client secret is wrong or expired"));
        assert!(e
            .recommended_action()
            .unwrap()
            .contains("Certificates & secrets"));
        let s = e.service().unwrap();
        assert_eq!(s.code.as_deref(), Some("invalid_client"));
        assert_eq!(s.aadsts.as_deref(), Some("AADSTS7000215"));
        assert_eq!(s.request_id.as_deref(), Some("abc"));
        assert_eq!(s.client_request_id.as_deref(), Some("def"));
        assert_eq!(s.http_status, 401);
    }

    #[test]
    fn error_codes_fallback_and_unknown_code() {
        let e = signin_error(
            "X",
            400,
            br#"{"error":"invalid_request","error_description":"odd","error_codes":["90002"]}"#,
        );
        assert_eq!(e.service().unwrap().aadsts.as_deref(), Some("AADSTS90002"));
        assert!(e.message().contains("tenant was not found"));
        let e = signin_error(
            "X",
            400,
            br#"{"error":"invalid_grant","error_description":"AADSTS123: new thing"}"#,
        );
        assert!(e.message().contains("AADSTS123") && e.message().contains("new thing"));
        assert!(e.recommended_action().is_none());
    }

    #[test]
    fn managed_identity_shapes() {
        let e = signin_error(
            "MI",
            400,
            br#"{"statusCode":400,"message":"No managed identity found"}"#,
        );
        assert_eq!(e.kind(), ErrorKind::Authentication);
        assert!(e.message().contains("No managed identity found"));
        let e = signin_error("MI", 502, b"<html>bad gateway</html>");
        assert_eq!(e.kind(), ErrorKind::ServiceUnavailable);
        assert!(!e.message().contains("html"));
    }
}
