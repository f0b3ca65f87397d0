using System;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Text;
using PhotoUpdatePolicy.Json;

namespace PhotoUpdatePolicy
{
    /// <summary>
    /// A failure reported by the PhotoUpdatePolicy native library, with everything a support case
    /// needs (Graph's request-id, client-request-id and date). Never carries a token or secret: the
    /// library keeps them out of every error.
    /// </summary>
    public sealed class PhotoPolicyException : Exception
    {
        /// <summary>Creates an exception from already-read fields.</summary>
        public PhotoPolicyException(
            PhotoPolicyStatus status,
            string message,
            int? httpStatus = null,
            string? code = null,
            string? requestId = null,
            string? clientRequestId = null,
            string? date = null,
            TimeSpan? retryAfter = null,
            string? recommendedAction = null,
            string? target = null,
            string? serviceMessage = null,
            string? kind = null,
            string? aadsts = null,
            string? peopleAdminRequestId = null)
            : base(Compose(message, httpStatus, code, requestId, clientRequestId, peopleAdminRequestId, date))
        {
            Status = status;
            HttpStatus = httpStatus;
            Code = code;
            RequestId = requestId;
            ClientRequestId = clientRequestId;
            Date = date;
            RetryAfter = retryAfter;
            RecommendedAction = recommendedAction;
            Target = target;
            ServiceMessage = serviceMessage;
            Kind = kind;
            Aadsts = aadsts;
            PeopleAdminRequestId = peopleAdminRequestId;
            BaseMessage = message;
        }

        /// <summary>The status the native call returned.</summary>
        public PhotoPolicyStatus Status { get; }

        /// <summary>The HTTP status of the service's answer, when there was one.</summary>
        public int? HttpStatus { get; }

        /// <summary>Graph's <c>error.code</c> or the sign-in service's <c>error</c>.</summary>
        public string? Code { get; }

        /// <summary>Graph's <c>request-id</c> (or the sign-in <c>trace_id</c>).</summary>
        public string? RequestId { get; }

        /// <summary>The <c>client-request-id</c> sent with the failing request.</summary>
        public string? ClientRequestId { get; }

        /// <summary>
        /// The <c>peopleAdminRequestId</c> of a refusal from the backend behind the policy (its own
        /// request ID, inside the error message's JSON text); keep it with the other IDs for a support case.
        /// </summary>
        public string? PeopleAdminRequestId { get; }

        /// <summary>The <c>date</c> from Graph's <c>innerError</c>, as the service wrote it.</summary>
        public string? Date { get; }

        /// <summary>How long the service asked to wait before retrying, when it said.</summary>
        public TimeSpan? RetryAfter { get; }

        /// <summary>What the user can do about it.</summary>
        public string? RecommendedAction { get; }

        /// <summary>The value or object the error is about, when the library named one.</summary>
        public string? Target { get; }

        /// <summary>The service's own message, verbatim.</summary>
        public string? ServiceMessage { get; }

        /// <summary>The library's error kind (e.g. <c>invalidArgument</c>).</summary>
        public string? Kind { get; }

        /// <summary>The first AADSTS code of a sign-in error.</summary>
        public string? Aadsts { get; }

        /// <summary>
        /// For a failed write: what it did to the tenant as read back, <c>Applied</c>,
        /// <c>NotApplied</c> or <c>Unknown</c> (then check the policy before trying again); null for
        /// failures that never reached a write.
        /// </summary>
        public string? Outcome { get; internal set; }

        /// <summary>The library's message without the appended support details.</summary>
        public string BaseMessage { get; }

        /// <summary>The stable ErrorId of this failure class (e.g. <c>PhotoUpdatePolicy.Forbidden</c>).</summary>
        public string ErrorId => "PhotoUpdatePolicy." + ErrorIdSuffix(Status);

        /// <summary>The PowerShell error category for this failure class.</summary>
        public ErrorCategory Category => CategoryOf(Status, HttpStatus);

        /// <summary>Builds the ErrorRecord a cmdlet writes, with ErrorDetails and RecommendedAction.</summary>
        public ErrorRecord ToErrorRecord(object? targetObject, string? errorIdOverride = null)
        {
            var record = new ErrorRecord(this, errorIdOverride ?? ErrorId, Category, targetObject ?? Target);
            record.ErrorDetails = new ErrorDetails(Message);
            if (!string.IsNullOrEmpty(RecommendedAction))
            {
                record.ErrorDetails.RecommendedAction = RecommendedAction;
            }

            return record;
        }

        internal static string ErrorIdSuffix(PhotoPolicyStatus status) => status switch
        {
            PhotoPolicyStatus.NullArgument => "InternalError",
            PhotoPolicyStatus.InvalidUtf8 => "InvalidArgument",
            PhotoPolicyStatus.InvalidArgument => "InvalidArgument",
            PhotoPolicyStatus.InvalidJson => "InvalidJson",
            PhotoPolicyStatus.Panic => "InternalError",
            PhotoPolicyStatus.Cancelled => "Cancelled",
            PhotoPolicyStatus.Authentication => "Unauthorized",
            PhotoPolicyStatus.PermissionDenied => "Forbidden",
            PhotoPolicyStatus.NotFound => "NotFound",
            PhotoPolicyStatus.Throttled => "Throttled",
            PhotoPolicyStatus.ServiceUnavailable => "ServiceUnavailable",
            PhotoPolicyStatus.ServiceError => "ServiceError",
            PhotoPolicyStatus.Network => "NetworkError",
            PhotoPolicyStatus.Timeout => "Timeout",
            PhotoPolicyStatus.InvalidResponse => "InvalidResponse",
            PhotoPolicyStatus.ResetNotVerified => "ResetNotVerified",
            PhotoPolicyStatus.Io => "IOError",
            PhotoPolicyStatus.Internal => "InternalError",
            PhotoPolicyStatus.ValidationFailed => "ValidationFailed",
            _ => "Error" + ((uint)status).ToString(CultureInfo.InvariantCulture),
        };

        internal static ErrorCategory CategoryOf(PhotoPolicyStatus status, int? httpStatus) => status switch
        {
            PhotoPolicyStatus.InvalidUtf8 => ErrorCategory.InvalidArgument,
            PhotoPolicyStatus.InvalidArgument => ErrorCategory.InvalidArgument,
            PhotoPolicyStatus.InvalidJson => ErrorCategory.InvalidArgument,
            PhotoPolicyStatus.Cancelled => ErrorCategory.OperationStopped,
            PhotoPolicyStatus.Authentication => ErrorCategory.AuthenticationError,
            PhotoPolicyStatus.PermissionDenied => ErrorCategory.PermissionDenied,
            PhotoPolicyStatus.NotFound => ErrorCategory.ObjectNotFound,
            PhotoPolicyStatus.Throttled => ErrorCategory.ResourceUnavailable,
            PhotoPolicyStatus.ServiceUnavailable => ErrorCategory.ResourceUnavailable,
            // A 400 is the caller's value being refused (e.g. a role the service does not accept).
            PhotoPolicyStatus.ServiceError => httpStatus == 400 ? ErrorCategory.InvalidArgument : ErrorCategory.InvalidOperation,
            PhotoPolicyStatus.Network => ErrorCategory.ConnectionError,
            PhotoPolicyStatus.Timeout => ErrorCategory.OperationTimeout,
            PhotoPolicyStatus.InvalidResponse => ErrorCategory.InvalidResult,
            PhotoPolicyStatus.ResetNotVerified => ErrorCategory.InvalidResult,
            PhotoPolicyStatus.Io => ErrorCategory.WriteError,
            // The service named the caller's values it refused (whatever HTTP status carried it).
            PhotoPolicyStatus.ValidationFailed => ErrorCategory.InvalidArgument,
            _ => ErrorCategory.NotSpecified,
        };

        /// <summary>
        /// Builds the exception from the error JSON of the C ABI (<c>pup_error_json</c>, also each
        /// failed tenant's <c>error</c> in a fleet result). <paramref name="status"/>, when given, is
        /// the status the call returned and wins over the document's.
        /// </summary>
        internal static PhotoPolicyException FromErrorJson(Dictionary<string, object?> e, PhotoPolicyStatus? status = null)
        {
            PhotoPolicyStatus st = status ?? (PhotoPolicyStatus)(uint)(JsonTree.Long(e, "status") ?? (long)PhotoPolicyStatus.Internal);
            // The cmdlet wording names each setting by its parameter (-TimeoutSec), never by the
            // config key a C ABI caller writes (timeouts.totalMs); the core words both.
            string? message = JsonTree.String(e, "cmdletMessage") ?? JsonTree.String(e, "message");
            long? retry = JsonTree.Long(e, "retryAfterMs");
            long? http = JsonTree.Long(e, "httpStatus");
            var exception = new PhotoPolicyException(
                st,
                string.IsNullOrEmpty(message) ? $"The operation failed with status {st}." : message!,
                http.HasValue && http.Value != 0 ? (int?)http.Value : null,
                JsonTree.String(e, "code"),
                JsonTree.String(e, "requestId"),
                JsonTree.String(e, "clientRequestId"),
                JsonTree.String(e, "date"),
                retry.HasValue && retry.Value >= 0 ? TimeSpan.FromMilliseconds(retry.Value) : (TimeSpan?)null,
                JsonTree.String(e, "cmdletRecommendedAction") ?? JsonTree.String(e, "recommendedAction"),
                JsonTree.String(e, "target"),
                JsonTree.String(e, "serviceMessage"),
                JsonTree.String(e, "kind"),
                JsonTree.String(e, "aadsts"),
                JsonTree.String(e, "peopleAdminRequestId"));
            exception.Outcome = JsonTree.String(e, "outcome");
            return exception;
        }

        // The support details go into the message itself so they survive $Error, logs and transcripts.
        private static string Compose(string message, int? httpStatus, string? code, string? requestId, string? clientRequestId, string? peopleAdminRequestId, string? date)
        {
            var details = new List<string>();
            if (httpStatus.HasValue)
            {
                details.Add("HTTP " + httpStatus.Value.ToString(CultureInfo.InvariantCulture));
            }

            if (!string.IsNullOrEmpty(code) && message.IndexOf(code!, StringComparison.Ordinal) < 0)
            {
                details.Add("code: " + code);
            }

            if (!string.IsNullOrEmpty(requestId))
            {
                details.Add("request-id: " + requestId);
            }

            if (!string.IsNullOrEmpty(clientRequestId))
            {
                details.Add("client-request-id: " + clientRequestId);
            }

            if (!string.IsNullOrEmpty(peopleAdminRequestId))
            {
                details.Add("peopleAdminRequestId: " + peopleAdminRequestId);
            }

            if (!string.IsNullOrEmpty(date))
            {
                details.Add("date: " + date);
            }

            if (details.Count == 0)
            {
                return message;
            }

            var sb = new StringBuilder(message);
            sb.Append(" (").Append(string.Join("; ", details)).Append(')');
            return sb.ToString();
        }
    }
}
