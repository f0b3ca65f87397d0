namespace PhotoUpdatePolicy
{
    /// <summary>
    /// Status codes of the native library (<c>PupStatus</c> in <c>photo_update_policy.h</c>).
    /// Values are fixed by the C ABI contract (docs/c-abi.md) and never reused.
    /// </summary>
    public enum PhotoPolicyStatus : uint
    {
        /// <summary>Success.</summary>
        Ok = 0,
        /// <summary>A required pointer was NULL (a bug in the caller).</summary>
        NullArgument = 1,
        /// <summary>A string argument was not UTF-8.</summary>
        InvalidUtf8 = 2,
        /// <summary>A value is invalid (role, GUID, source, config); nothing was sent.</summary>
        InvalidArgument = 3,
        /// <summary>A JSON argument could not be parsed or has the wrong shape.</summary>
        InvalidJson = 4,
        /// <summary>A bug in the native library was caught at the boundary.</summary>
        Panic = 5,
        /// <summary>The call was cancelled.</summary>
        Cancelled = 6,
        /// <summary>Sign-in failed or the token was rejected.</summary>
        Authentication = 7,
        /// <summary>403, or a missing permission found before sending.</summary>
        PermissionDenied = 8,
        /// <summary>404.</summary>
        NotFound = 9,
        /// <summary>429 and the retry budget ran out.</summary>
        Throttled = 10,
        /// <summary>5xx and the retry budget ran out.</summary>
        ServiceUnavailable = 11,
        /// <summary>Any other error answer from the service.</summary>
        ServiceError = 12,
        /// <summary>Connection failure after retries.</summary>
        Network = 13,
        /// <summary>Connect or total timeout.</summary>
        Timeout = 14,
        /// <summary>The service's answer could not be understood.</summary>
        InvalidResponse = 15,
        /// <summary>A reset could not be proven by reading the policy back.</summary>
        ResetNotVerified = 16,
        /// <summary>A local file could not be read or written.</summary>
        Io = 17,
        /// <summary>An invariant did not hold in the native library.</summary>
        Internal = 18,
        /// <summary>The service validated the change and refused it, naming the fields; never retried.</summary>
        ValidationFailed = 19,
    }
}
