//! The one error type of the core.
//!
//! Every operation returns [`Error`]: a [`ErrorKind`] that callers branch on, a message written for
//! an admin (it names the offending value and what is allowed), and, when the service answered, the
//! details a support case needs (HTTP status, Graph or AADSTS code, request-id, client-request-id,
//! date, Retry-After). Messages never contain tokens or secrets.

use std::fmt;
use std::time::Duration;

/// Result alias used across the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, as a small closed set callers can branch on.
///
/// The ffi layer maps each kind to a status code whose value never changes; add new kinds at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A caller-supplied value is invalid (unknown role, malformed GUID, wrong source, bad config).
    /// Nothing was sent to the service.
    InvalidArgument,
    /// A JSON document from the caller could not be parsed or has the wrong shape.
    InvalidJson,
    /// Sign-in failed or the token was rejected (AADSTS errors, Graph 401).
    Authentication,
    /// The caller lacks a permission or role (Graph 403, pre-flight permission check).
    PermissionDenied,
    /// The service answered 404.
    NotFound,
    /// The service throttled (429) and the retry budget ran out.
    Throttled,
    /// The service was unavailable (5xx) and the retry budget ran out.
    ServiceUnavailable,
    /// Any other error answer from the service (e.g. 400 for a rejected role).
    Service,
    /// The connection failed (DNS, TLS, reset) after retries.
    Network,
    /// A connect or total timeout elapsed.
    Timeout,
    /// The caller cancelled the call.
    Cancelled,
    /// The service's answer could not be understood (malformed JSON, unexpected shape).
    InvalidResponse,
    /// A reset could not be proven by reading the policy back.
    ResetNotVerified,
    /// A local file (backup, export) could not be read or written.
    Io,
    /// A bug: an invariant did not hold, or a panic was caught.
    Internal,
    /// The service validated the change and refused it, naming the fields (the PeopleAdmin
    /// envelope: a role it does not accept, roles without source cloud). Never retried.
    ValidationFailed,
}

/// One field the service refused, with its own messages (from `peopleAdminValidationError`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldError {
    /// The field as the service names it (`AllowedRoles`, `Source`).
    pub field: String,
    /// The service's messages for it, verbatim.
    pub messages: Vec<String>,
}

/// Details of an error answer from Graph or from the sign-in service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceErrorDetails {
    /// HTTP status of the answer.
    pub http_status: u16,
    /// Graph `error.code`, or the sign-in service's `error` (e.g. `invalid_client`).
    pub code: Option<String>,
    /// Graph `error.message` or the sign-in `error_description`, verbatim.
    pub message: Option<String>,
    /// `request-id` (Graph) or `trace_id` (sign-in).
    pub request_id: Option<String>,
    /// `client-request-id` we sent (or `correlation_id` from sign-in).
    pub client_request_id: Option<String>,
    /// `innerError.date` as the service wrote it (no time zone).
    pub date: Option<String>,
    /// First AADSTS code of a sign-in error (e.g. `AADSTS7000215`).
    pub aadsts: Option<String>,
    /// `peopleAdminErrorCode` of a refusal from the backend behind the policy, whose envelope
    /// travels as JSON text in `error.message` (e.g. `PeopleAdminValidationFailure`).
    pub people_admin_error_code: Option<String>,
    /// `peopleAdminRequestId` of that refusal: the backend's own ID for a support case.
    pub people_admin_request_id: Option<String>,
    /// The fields that backend refused, in its order (`peopleAdminValidationError`).
    pub validation_errors: Vec<FieldError>,
}

impl ServiceErrorDetails {
    /// Whether the service validated the change and refused it (a PeopleAdmin validation
    /// failure): the caller's values are wrong, so sending them again cannot help.
    pub fn is_validation_failure(&self) -> bool {
        !self.validation_errors.is_empty()
            || self
                .people_admin_error_code
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case("PeopleAdminValidationFailure"))
    }
}

/// What a write did to the tenant, as far as the module could establish by reading the policy
/// back. Carried by apply results and by the error of a write that failed or was uncertain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum WriteOutcome {
    /// The tenant now holds the change (read back, or the service's answer to the write).
    Applied,
    /// The tenant does not hold the change: the write was refused, or it was lost and the
    /// read-back shows the policy as it was.
    NotApplied,
    /// Neither could be established (the write's answer was lost and so was the read-back, or
    /// another writer changed the policy meanwhile): check the policy before trying again.
    Unknown,
}

impl WriteOutcome {
    /// `Applied`, `NotApplied`, `Unknown` (the JSON and PowerShell spelling).
    pub fn name(self) -> &'static str {
        match self {
            WriteOutcome::Applied => "Applied",
            WriteOutcome::NotApplied => "NotApplied",
            WriteOutcome::Unknown => "Unknown",
        }
    }
}

/// An error from any core operation. See the module docs.
#[derive(Debug, Clone)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    recommended_action: Option<String>,
    // Boxed: keeps `Result<T, Error>` small (clippy::result_large_err) on every hot path.
    service: Option<Box<ServiceErrorDetails>>,
    retry_after: Option<Duration>,
    target: Option<String>,
    outcome: Option<WriteOutcome>,
}

impl Error {
    /// A new error of `kind` with an admin-readable `message` (must not contain secrets).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: clean_message(message.into()),
            recommended_action: None,
            service: None,
            retry_after: None,
            target: None,
            outcome: None,
        }
    }

    /// Shorthand for [`ErrorKind::InvalidArgument`].
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }

    /// Shorthand for [`ErrorKind::Internal`].
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// Shorthand for [`ErrorKind::Cancelled`].
    pub fn cancelled() -> Self {
        Self::new(ErrorKind::Cancelled, "The operation was cancelled.")
    }

    /// Adds what the user can do about it (shown as PowerShell's RecommendedAction).
    pub fn with_recommended_action(mut self, action: impl Into<String>) -> Self {
        self.recommended_action = Some(clean_message(action.into()));
        self
    }

    /// Attaches the service's answer.
    pub fn with_service(mut self, details: ServiceErrorDetails) -> Self {
        self.service = Some(Box::new(details));
        self
    }

    /// Attaches the Retry-After the service asked for.
    pub fn with_retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = Some(retry_after);
        self
    }

    /// Names the value or object the error is about (PowerShell's TargetObject).
    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Adds a sentence to the message (kind, details and target kept).
    pub fn with_note(mut self, note: &str) -> Self {
        self.message = clean_message(format!("{} {note}", self.message.trim_end()));
        self
    }

    /// Says what a failed write did to the tenant (see [`WriteOutcome`]).
    pub fn with_outcome(mut self, outcome: WriteOutcome) -> Self {
        self.outcome = Some(outcome);
        self
    }

    /// What a failed write did to the tenant; `None` for errors of reads and of calls that
    /// never reached a write.
    pub fn outcome(&self) -> Option<WriteOutcome> {
        self.outcome
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The admin-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What the user can do about it, when known.
    pub fn recommended_action(&self) -> Option<&str> {
        self.recommended_action.as_deref()
    }

    /// The service's answer, when the error came from the service.
    pub fn service(&self) -> Option<&ServiceErrorDetails> {
        self.service.as_deref()
    }

    /// Retry-After from the last throttled answer, when there was one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The value or object the error is about.
    pub fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Shows a value that came from input (a caller's argument, a document, a service answer) inside
/// a message: control characters (line breaks and tabs included) and the Unicode bidirectional
/// controls become `\u{…}` escapes, so an echoed value can neither forge lines in a log nor
/// reorder what a reader sees. Everything else is kept as it is.
pub fn echo(input: &str) -> String {
    escape(input, |_| true)
}

/// The safety net under every message: what [`echo`] escapes, except line breaks and tabs that
/// the message itself may carry (a service's multi-line description keeps its lines; `\r\n`
/// becomes `\n`). Values are still shown with [`echo`] where they are placed in a message.
fn clean_message(message: String) -> String {
    if !message.chars().any(needs_escape) {
        return message;
    }
    escape(&message.replace("\r\n", "\n"), |c| {
        !matches!(c, '\n' | '\t')
    })
}

fn escape(input: &str, escape_whitespace: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        if needs_escape(c) && escape_whitespace(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// C0 and C1 control characters, and the bidirectional formatting characters (embeddings,
/// overrides, isolates, marks) that can make text display in another order than it is stored.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_escapes_controls_and_bidi_and_keeps_the_rest() {
        assert_eq!(echo("Global Admin"), "Global Admin");
        assert_eq!(echo("a\r\nb\tc"), "a\\u{d}\\u{a}b\\u{9}c");
        assert_eq!(echo("role\u{202e}txt.exe"), "role\\u{202e}txt.exe");
        assert_eq!(
            echo("\u{2066}x\u{2069}\u{200f}"),
            "\\u{2066}x\\u{2069}\\u{200f}"
        );
        assert_eq!(echo("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(echo("Größe 管理者"), "Größe 管理者");
    }

    #[test]
    fn every_message_is_cleaned_but_keeps_its_own_lines() {
        let e = Error::invalid_argument("Unknown role 'x\u{202e}y'.\r\nSecond line\u{7}")
            .with_recommended_action("Use \u{1b}[2J a role");
        assert_eq!(
            e.message(),
            "Unknown role 'x\\u{202e}y'.\nSecond line\\u{7}"
        );
        assert_eq!(e.recommended_action(), Some("Use \\u{1b}[2J a role"));
        let plain = Error::invalid_argument("nothing to clean");
        assert_eq!(plain.message(), "nothing to clean");
    }
}
