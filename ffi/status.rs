//! Status codes returned by every fallible export, and the one mapping from the core's
//! [`ErrorKind`] to them.

use photo_policy_core::ErrorKind;

/// The outcome of a call. `0` is success; details of a failure are in the `PupError` the call
/// wrote to `out_error`. Values are part of the ABI: they are never reused or renumbered, and new
/// ones are appended.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PupStatus {
    /// Success.
    Ok = 0,
    /// A required pointer was NULL (or a string pointer was NULL with a non-zero length).
    NullArgument = 1,
    /// A string argument is not valid UTF-8.
    InvalidUtf8 = 2,
    /// A value is invalid (role, GUID, source, config, or an input over 16 MiB); nothing was sent.
    InvalidArgument = 3,
    /// A JSON argument could not be parsed or has the wrong shape.
    InvalidJson = 4,
    /// A bug in the library was caught at the boundary; the process is intact.
    Panic = 5,
    /// The call context was cancelled.
    Cancelled = 6,
    /// Sign-in failed or the token was rejected (401, AADSTS).
    Authentication = 7,
    /// 403, or a missing permission found before sending.
    PermissionDenied = 8,
    /// The service answered 404.
    NotFound = 9,
    /// 429 and the retry budget ran out.
    Throttled = 10,
    /// 5xx and the retry budget ran out.
    ServiceUnavailable = 11,
    /// Any other error answer (e.g. 400 for a rejected role).
    ServiceError = 12,
    /// Connection failure after retries.
    Network = 13,
    /// Connect or total timeout.
    Timeout = 14,
    /// The service's answer could not be understood.
    InvalidResponse = 15,
    /// A reset could not be proven by reading the policy back.
    ResetNotVerified = 16,
    /// A local file could not be read or written.
    Io = 17,
    /// An invariant did not hold.
    Internal = 18,
    /// The service validated the change and refused it, naming the fields (a role it does not
    /// accept, roles without source cloud); never retried. The error JSON's `validationErrors`
    /// holds the service's own field messages.
    ValidationFailed = 19,
}

impl PupStatus {
    /// The name used in the error JSON's `kind` when the failure did not come from the core
    /// (e.g. `NullArgument`). Matches the `PUP_STATUS_*` name in PascalCase.
    pub(crate) fn name(self) -> &'static str {
        match self {
            PupStatus::Ok => "Ok",
            PupStatus::NullArgument => "NullArgument",
            PupStatus::InvalidUtf8 => "InvalidUtf8",
            PupStatus::InvalidArgument => "InvalidArgument",
            PupStatus::InvalidJson => "InvalidJson",
            PupStatus::Panic => "Panic",
            PupStatus::Cancelled => "Cancelled",
            PupStatus::Authentication => "Authentication",
            PupStatus::PermissionDenied => "PermissionDenied",
            PupStatus::NotFound => "NotFound",
            PupStatus::Throttled => "Throttled",
            PupStatus::ServiceUnavailable => "ServiceUnavailable",
            PupStatus::ServiceError => "ServiceError",
            PupStatus::Network => "Network",
            PupStatus::Timeout => "Timeout",
            PupStatus::InvalidResponse => "InvalidResponse",
            PupStatus::ResetNotVerified => "ResetNotVerified",
            PupStatus::Io => "Io",
            PupStatus::Internal => "Internal",
            PupStatus::ValidationFailed => "ValidationFailed",
        }
    }
}

/// The one place where a core error kind becomes an ABI status. Exhaustive on purpose: a new
/// kind in the core does not compile until it is given a status here.
pub(crate) fn status_for_kind(kind: ErrorKind) -> PupStatus {
    match kind {
        ErrorKind::InvalidArgument => PupStatus::InvalidArgument,
        ErrorKind::InvalidJson => PupStatus::InvalidJson,
        ErrorKind::Authentication => PupStatus::Authentication,
        ErrorKind::PermissionDenied => PupStatus::PermissionDenied,
        ErrorKind::NotFound => PupStatus::NotFound,
        ErrorKind::Throttled => PupStatus::Throttled,
        ErrorKind::ServiceUnavailable => PupStatus::ServiceUnavailable,
        ErrorKind::Service => PupStatus::ServiceError,
        ErrorKind::Network => PupStatus::Network,
        ErrorKind::Timeout => PupStatus::Timeout,
        ErrorKind::Cancelled => PupStatus::Cancelled,
        ErrorKind::InvalidResponse => PupStatus::InvalidResponse,
        ErrorKind::ResetNotVerified => PupStatus::ResetNotVerified,
        ErrorKind::Io => PupStatus::Io,
        ErrorKind::Internal => PupStatus::Internal,
        ErrorKind::ValidationFailed => PupStatus::ValidationFailed,
    }
}

/// The `kind` name of a core error kind in the error JSON (its Rust name, e.g. `Service`).
pub(crate) fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidArgument => "InvalidArgument",
        ErrorKind::InvalidJson => "InvalidJson",
        ErrorKind::Authentication => "Authentication",
        ErrorKind::PermissionDenied => "PermissionDenied",
        ErrorKind::NotFound => "NotFound",
        ErrorKind::Throttled => "Throttled",
        ErrorKind::ServiceUnavailable => "ServiceUnavailable",
        ErrorKind::Service => "Service",
        ErrorKind::Network => "Network",
        ErrorKind::Timeout => "Timeout",
        ErrorKind::Cancelled => "Cancelled",
        ErrorKind::InvalidResponse => "InvalidResponse",
        ErrorKind::ResetNotVerified => "ResetNotVerified",
        ErrorKind::Io => "Io",
        ErrorKind::Internal => "Internal",
        ErrorKind::ValidationFailed => "ValidationFailed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_values_are_the_documented_ones() {
        assert_eq!(PupStatus::Ok as u32, 0);
        assert_eq!(PupStatus::Panic as u32, 5);
        assert_eq!(PupStatus::Cancelled as u32, 6);
        assert_eq!(PupStatus::ServiceError as u32, 12);
        assert_eq!(PupStatus::Internal as u32, 18);
        assert_eq!(PupStatus::ValidationFailed as u32, 19);
    }

    #[test]
    fn every_kind_maps_to_a_failure_status() {
        for kind in [
            ErrorKind::InvalidArgument,
            ErrorKind::InvalidJson,
            ErrorKind::Authentication,
            ErrorKind::PermissionDenied,
            ErrorKind::NotFound,
            ErrorKind::Throttled,
            ErrorKind::ServiceUnavailable,
            ErrorKind::Service,
            ErrorKind::Network,
            ErrorKind::Timeout,
            ErrorKind::Cancelled,
            ErrorKind::InvalidResponse,
            ErrorKind::ResetNotVerified,
            ErrorKind::Io,
            ErrorKind::Internal,
            ErrorKind::ValidationFailed,
        ] {
            assert_ne!(status_for_kind(kind), PupStatus::Ok, "{kind:?}");
        }
    }
}
