//! Graph's error answers turned into [`Error`]s: the kind follows the HTTP status and Graph's
//! `code` (never the message, whose wording Microsoft changes freely), and the details a support
//! case needs (code, message, request-id, client-request-id, date) are kept. A message that is
//! itself JSON text is read as a document (see [`super::envelope`]): the PeopleAdmin validation
//! refusal becomes [`ErrorKind::ValidationFailed`] quoting the service's own field messages.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::Value;

use super::envelope;
use super::method::Method;
use crate::error::{Error, ErrorKind, FieldError, ServiceErrorDetails};
use crate::settings::Setting;

/// An answer as read off the wire, before it is judged.
pub(super) struct RawResponse {
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) body: Vec<u8>,
}

/// A header's value, trimmed; `None` when absent, empty or not text.
pub(super) fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Finds `key` in `innerError` (or `innererror`), however deep it nests.
fn find_inner(error: &Value, key: &str) -> Option<String> {
    let mut cur = error;
    for _ in 0..16 {
        let inner = cur.get("innerError").or_else(|| cur.get("innererror"))?;
        if let Some(s) = inner.get(key).and_then(Value::as_str) {
            return Some(s.to_string());
        }
        cur = inner;
    }
    None
}

/// The details of an error answer: Graph's `error` object when there is one, headers otherwise.
pub(super) fn service_details(
    raw: &RawResponse,
    sent_client_request_id: &str,
) -> ServiceErrorDetails {
    let parsed: Option<Value> = serde_json::from_slice(&raw.body).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let field = |k: &str| {
        error
            .and_then(|e| e.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let inner = |k: &str| error.and_then(|e| find_inner(e, k));
    let message = field("message").filter(|m| !m.is_empty());
    let inner_doc = message.as_deref().and_then(envelope::parse);
    let (message, people_admin_error_code, people_admin_request_id, validation_errors) =
        match inner_doc {
            // JSON text is kept on one line: an indented dump is unreadable in an error record.
            Some(doc) => (
                Some(doc.one_line),
                doc.people_admin_error_code,
                doc.people_admin_request_id,
                doc.validation_errors,
            ),
            None => (message, None, None, Vec::new()),
        };
    ServiceErrorDetails {
        http_status: raw.status.as_u16(),
        code: field("code").filter(|c| !c.is_empty()),
        message,
        request_id: inner("request-id").or_else(|| header(&raw.headers, "request-id")),
        client_request_id: inner("client-request-id")
            .or_else(|| header(&raw.headers, "client-request-id"))
            .or_else(|| Some(sent_client_request_id.to_string())),
        date: inner("date").or_else(|| header(&raw.headers, "date")),
        aadsts: None,
        people_admin_error_code,
        people_admin_request_id,
        validation_errors,
    }
}

/// `429 Too Many Requests`.
pub(super) fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(r) => format!("{} {r}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// `(code: message)` of the service, verbatim, or the status text when the body had none.
fn service_said(d: &ServiceErrorDetails) -> String {
    let status =
        status_text(StatusCode::from_u16(d.http_status).unwrap_or(StatusCode::IM_A_TEAPOT));
    match (&d.code, &d.message) {
        (Some(c), Some(m)) => format!("{status}, {c}: {m}"),
        (Some(c), None) => format!("{status}, {c}"),
        (None, Some(m)) => format!("{status}: {m}"),
        (None, None) => status,
    }
}

/// The service's field messages as one sentence each: `AllowedRoles: Unsupported role for cloud
/// photo update settings.`
fn quote_fields(fields: &[FieldError]) -> String {
    fields
        .iter()
        .map(|f| {
            let said = if f.messages.is_empty() {
                "refused (the service gave no reason).".to_string()
            } else {
                f.messages.join(" ")
            };
            format!("{}: {said}", f.field)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What to do about each refused field, by the field's name (the JSON structure, never the
/// wording of its message).
fn validation_action(fields: &[FieldError]) -> String {
    let mut actions: Vec<&str> = Vec::new();
    for f in fields {
        let action = if f.field.eq_ignore_ascii_case("AllowedRoles") {
            "The service accepts only Global Administrator, User Administrator and People \
             Administrator in the allowed roles: use those (e.g. -AllowedRoles 'People \
             Administrator'); other roles that hold the photo permission, and custom roles, are \
             refused."
        } else if f.field.eq_ignore_ascii_case("Source") {
            "Roles may be set only while the source is Cloud: add -Source Cloud to the same \
             call, or clear the roles with -AllowedRoles @() when the source is OnPremises or \
             NotSet."
        } else {
            "Correct the values the service named and try again."
        };
        if !actions.contains(&action) {
            actions.push(action);
        }
    }
    if actions.is_empty() {
        actions.push("Correct the values the service refused and try again.");
    }
    actions.join(" ")
}

/// The permission the operation needs.
fn permission_for(method: Method) -> &'static str {
    match method {
        Method::Get => "PeopleSettings.Read.All (or PeopleSettings.ReadWrite.All)",
        Method::Patch | Method::Delete => "PeopleSettings.ReadWrite.All",
    }
}

/// Maps an error answer to an [`Error`]. Branches on the status and `code` only, never on the
/// message (Microsoft changes wording freely). `note` explains why retries stopped, if they did.
pub(super) fn map_error(
    method: Method,
    details: ServiceErrorDetails,
    retry_after: Option<Duration>,
    note: Option<&str>,
) -> Error {
    let said = service_said(&details);
    let code = details.code.clone().unwrap_or_default();
    let note = note
        .map(|n| format!(" {}{}.", n[..1].to_uppercase(), &n[1..]))
        .unwrap_or_default();
    let (kind, message, action): (ErrorKind, String, Option<String>) = match details.http_status {
        // Before the status: this refusal has been seen under 400, and a gateway may carry it
        // under 5xx; either way the caller's values are what the service refused.
        _ if details.is_validation_failure() => (
            ErrorKind::ValidationFailed,
            format!(
                "Microsoft Graph refused the change to the photo update settings ({}, {}). {}",
                status_text(
                    StatusCode::from_u16(details.http_status).unwrap_or(StatusCode::BAD_REQUEST)
                ),
                details
                    .people_admin_error_code
                    .as_deref()
                    .unwrap_or("PeopleAdminValidationFailure"),
                if details.validation_errors.is_empty() {
                    "The service named no field.".to_string()
                } else {
                    quote_fields(&details.validation_errors)
                }
            ),
            Some(validation_action(&details.validation_errors)),
        ),
        401 => (
            ErrorKind::Authentication,
            format!("Microsoft Graph rejected the access token ({said})."),
            Some(
                "Sign in again or get a new token for this cloud's Graph (tokens from another \
                 cloud or for another resource are not accepted)."
                    .into(),
            ),
        ),
        403 if code.starts_with("ForbiddenBy") => (
            ErrorKind::PermissionDenied,
            format!(
                "Microsoft Graph refused the request because of a tenant policy ({said}). \
                 Codes of the ForbiddenBy… family come from the profile photo update policy \
                 (photoUpdateSettings): once allowedRoles is set, only holders of one of those \
                 directory roles — assigned tenant-wide, not scoped to an administrative unit — \
                 may change profile photos, and app-only callers can be refused as well."
            ),
            Some(
                "Run the change as a user who holds one of the allowed roles tenant-wide, or add \
                 the caller's role to the policy (Set-PhotoUpdatePolicy -AddAllowedRole), or lift \
                 the restriction. Policy changes take up to 24 hours to apply."
                    .into(),
            ),
        ),
        403 => (
            ErrorKind::PermissionDenied,
            format!(
                "Microsoft Graph refused the request ({said}). {} needs the {} permission \
                 (delegated or application); delegated callers also need a directory role, \
                 People Administrator being the least privileged one.",
                match method {
                    Method::Get => "Reading the photo update settings",
                    _ => "Changing the photo update settings",
                },
                permission_for(method)
            ),
            Some(format!(
                "Grant {} to the app (admin consent) or sign in with it; for delegated sign-in \
                 also assign the People Administrator role.",
                permission_for(method)
            )),
        ),
        404 => (
            ErrorKind::NotFound,
            format!(
                "Microsoft Graph did not find the photo update settings ({said}). They exist only \
                 on the beta endpoint (/beta/admin/people/photoUpdateSettings)."
            ),
            Some("Check the cloud (-Environment) and the Graph endpoint.".into()),
        ),
        429 => (
            ErrorKind::Throttled,
            format!("Microsoft Graph is throttling requests ({said}).{note}"),
            Some(format!(
                "Wait a few minutes and try again, or allow more retries ({}, {}).",
                Setting::MaxRetries.key(),
                Setting::RetryBudget.key()
            )),
        ),
        s if s >= 500 => (
            ErrorKind::ServiceUnavailable,
            format!("Microsoft Graph is not available ({said}).{note}"),
            Some("Try again later; keep the request-id for a support case if it persists.".into()),
        ),
        _ => (
            ErrorKind::Service,
            format!("Microsoft Graph refused the request ({said})."),
            None,
        ),
    };
    let mut err = Error::new(kind, message).with_service(details);
    if let Some(a) = action {
        err = err.with_recommended_action(a);
    }
    if let Some(ra) = retry_after {
        err = err.with_retry_after(ra);
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use serde_json::json;

    fn raw(status: u16, body: Value, headers: &[(&'static str, &str)]) -> RawResponse {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        RawResponse {
            status: StatusCode::from_u16(status).unwrap(),
            headers: h,
            body: body.to_string().into_bytes(),
        }
    }

    #[test]
    fn error_body_fields_are_kept_including_nested_inner_error() {
        let r = raw(
            400,
            json!({"error": {"code": "Request_BadRequest", "message": "Invalid role.",
                "innerError": {"date": "2022-09-15T15:29:11", "innerError": {"request-id": "rid-1", "client-request-id": "crid-1"}}}}),
            &[],
        );
        let d = service_details(&r, "sent");
        assert_eq!(d.code.as_deref(), Some("Request_BadRequest"));
        assert_eq!(d.message.as_deref(), Some("Invalid role."));
        assert_eq!(d.request_id.as_deref(), Some("rid-1"));
        assert_eq!(d.client_request_id.as_deref(), Some("crid-1"));
        assert_eq!(d.date.as_deref(), Some("2022-09-15T15:29:11"));
        let e = map_error(Method::Patch, d, None, None);
        assert_eq!(e.kind(), ErrorKind::Service);
        assert!(
            e.message().contains("Request_BadRequest: Invalid role."),
            "{}",
            e.message()
        );
    }

    /// Graph's answer carrying the PeopleAdmin envelope as the support guide records it.
    fn people_admin(status: u16, validation: &str) -> RawResponse {
        let inner = json!({"error": {"code": "400", "message": "", "innerError": {
            "peopleAdminErrorCode": "PeopleAdminValidationFailure",
            "peopleAdminValidationError": validation,
            "peopleAdminRequestId": "pa-rid-1",
            "peopleAdminClientRequestId": "crid-1",
            "date": "2024-11-21T16:31:03.6070114Z"}}});
        raw(
            status,
            json!({"error": {"code": "UnknownError", "message": inner.to_string(),
                "innerError": {"date": "2024-11-21T16:31:03", "request-id": "rid-1", "client-request-id": "crid-1"}}}),
            &[],
        )
    }

    #[test]
    fn the_people_admin_envelope_is_a_validation_failure_quoting_the_service() {
        let d = service_details(
            &people_admin(
                400,
                r#"{"AllowedRoles":["Unsupported role for cloud photo update settings."]}"#,
            ),
            "sent",
        );
        assert_eq!(d.people_admin_request_id.as_deref(), Some("pa-rid-1"));
        assert_eq!(d.request_id.as_deref(), Some("rid-1"));
        assert_eq!(d.client_request_id.as_deref(), Some("crid-1"));
        assert_eq!(d.date.as_deref(), Some("2024-11-21T16:31:03"));
        assert!(d.is_validation_failure());
        let e = map_error(Method::Patch, d, None, None);
        assert_eq!(e.kind(), ErrorKind::ValidationFailed);
        assert!(
            e.message()
                .contains("AllowedRoles: Unsupported role for cloud photo update settings."),
            "{}",
            e.message()
        );
        assert!(!e.message().contains('{'), "{}", e.message());
        let action = e.recommended_action().unwrap();
        assert!(action.contains("People Administrator"), "{action}");
        assert!(!action.contains("-Source Cloud"), "{action}");

        // Roles without source cloud; both fields together; under a 5xx status too.
        for status in [400, 500, 503] {
            let e = map_error(
                Method::Patch,
                service_details(
                    &people_admin(
                        status,
                        r#"{"AllowedRoles":["A."],"Source":["Roles should be passed only for cloud photo update settings."]}"#,
                    ),
                    "sent",
                ),
                None,
                None,
            );
            assert_eq!(e.kind(), ErrorKind::ValidationFailed, "{status}");
            assert!(
                e.message().contains("AllowedRoles: A. Source: Roles should be passed only for cloud photo update settings."),
                "{}",
                e.message()
            );
            let action = e.recommended_action().unwrap();
            assert!(action.contains("-Source Cloud") && action.contains("-AllowedRoles @()"));
            assert!(action.contains("User Administrator"));
        }
    }

    #[test]
    fn other_json_text_in_a_message_stays_a_service_error_on_one_line() {
        let text = "{\n  \"error\": {\n    \"code\": \"Other\",\n    \"message\": \"Inner words.\"\n  }\n}";
        let d = service_details(
            &raw(
                400,
                json!({"error": {"code": "UnknownError", "message": text}}),
                &[],
            ),
            "sent",
        );
        assert!(!d.is_validation_failure());
        assert_eq!(d.people_admin_request_id, None);
        let e = map_error(Method::Patch, d, None, None);
        assert_eq!(e.kind(), ErrorKind::Service);
        assert!(
            e.message()
                .contains(r#"UnknownError: {"error":{"code":"Other","message":"Inner words."}}"#),
            "{}",
            e.message()
        );
        assert!(!e.message().contains('\n'));
    }

    #[test]
    fn headers_fill_in_when_the_body_has_no_details() {
        let r = raw(
            503,
            json!("oops"),
            &[
                ("request-id", "hdr-rid"),
                ("date", "Tue, 01 Jan 2030 00:00:00 GMT"),
            ],
        );
        let d = service_details(&r, "sent-crid");
        assert_eq!(d.request_id.as_deref(), Some("hdr-rid"));
        assert_eq!(d.client_request_id.as_deref(), Some("sent-crid"));
        assert_eq!(d.code, None);
        assert_eq!(
            map_error(Method::Get, d, None, None).kind(),
            ErrorKind::ServiceUnavailable
        );
    }

    #[test]
    fn kinds_follow_status_and_code_never_message() {
        let err = |status: u16, code: &str, method| {
            map_error(
                method,
                ServiceErrorDetails {
                    http_status: status,
                    code: Some(code.into()),
                    message: Some("ForbiddenByPolicy in the message must not matter".into()),
                    ..Default::default()
                },
                None,
                None,
            )
        };
        assert_eq!(
            err(401, "InvalidAuthenticationToken", Method::Get).kind(),
            ErrorKind::Authentication
        );
        assert_eq!(
            err(404, "ResourceNotFound", Method::Get).kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            err(429, "TooManyRequests", Method::Get).kind(),
            ErrorKind::Throttled
        );
        assert_eq!(
            err(502, "BadGateway", Method::Get).kind(),
            ErrorKind::ServiceUnavailable
        );
        assert_eq!(
            err(405, "MethodNotAllowed", Method::Delete).kind(),
            ErrorKind::Service
        );

        let denied = err(403, "Authorization_RequestDenied", Method::Patch);
        assert_eq!(denied.kind(), ErrorKind::PermissionDenied);
        assert!(denied.message().contains("PeopleSettings.ReadWrite.All"));
        assert!(denied.message().contains("People Administrator"));
        assert!(!denied.message().contains("tenant policy"));
        let read = err(403, "Authorization_RequestDenied", Method::Get);
        assert!(read.message().contains("PeopleSettings.Read.All"));

        for code in ["ForbiddenByAdminEditPolicy", "ForbiddenByPolicy"] {
            let e = err(403, code, Method::Patch);
            assert_eq!(e.kind(), ErrorKind::PermissionDenied);
            assert!(
                e.message().contains("photo update policy"),
                "{}",
                e.message()
            );
            assert!(e.recommended_action().unwrap().contains("allowed roles"));
        }
    }
}
