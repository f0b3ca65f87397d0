using System;
using System.Collections.Generic;
using PhotoUpdatePolicy.Json;

namespace PhotoUpdatePolicy.Native
{
    /// <summary>
    /// Reads what a native call handed back: the result's JSON document on success, or its error as
    /// a <see cref="PhotoPolicyException"/> (one <c>pup_error_json</c> read, one parse).
    /// </summary>
    internal static class NativeResults
    {
        /// <summary>An offline call (no client, no context): role catalog, role resolution, document checks.</summary>
        internal delegate uint OfflineCall<TState>(TState state, out ResultHandle result, out ErrorHandle error);

        /// <summary>
        /// Runs an offline call on this thread (it does no I/O and returns at once) and returns its
        /// result JSON, or throws its error.
        /// </summary>
        internal static string InvokeOffline<TState>(TState state, OfflineCall<TState> call)
        {
            uint status = call(state, out ResultHandle result, out ErrorHandle error);
            using (result)
            using (error)
            {
                if (status != 0)
                {
                    throw ToException(status, error);
                }

                return ReadJson(result);
            }
        }

        /// <summary>The JSON document of a result handle (a copy; the handle may be freed after).</summary>
        internal static string ReadJson(ResultHandle result)
        {
            uint rc = NativeMethods.pup_result_json(result, out IntPtr ptr, out UIntPtr len);
            if (rc != 0)
            {
                throw new InvalidOperationException($"pup_result_json failed with status {(PhotoPolicyStatus)rc}.");
            }

            return Utf8.Decode(ptr, len) ?? string.Empty;
        }

        /// <summary>
        /// The exception for a failed call: every field of its error object, read as the one JSON
        /// document <c>pup_error_json</c> lends (the same shape a fleet run reports per tenant). The
        /// status the call returned is authoritative.
        /// </summary>
        internal static PhotoPolicyException ToException(uint status, ErrorHandle? error)
        {
            var st = (PhotoPolicyStatus)status;
            if (error != null && !error.IsInvalid && NativeMethods.pup_error_json(error, out IntPtr ptr, out UIntPtr len) == 0)
            {
                string? json = Utf8.Decode(ptr, len);
                try
                {
                    if (json != null && JsonCodec.Instance.Parse(json) is Dictionary<string, object?> obj)
                    {
                        return PhotoPolicyException.FromErrorJson(obj, st);
                    }
                }
                catch (Exception ex) when (!(ex is OutOfMemoryException))
                {
                    // A document the codec cannot read: fall through to the status alone.
                }
            }

            return new PhotoPolicyException(st, $"The PhotoUpdatePolicy native library failed with status {st} ({status}) and no details.");
        }
    }
}
