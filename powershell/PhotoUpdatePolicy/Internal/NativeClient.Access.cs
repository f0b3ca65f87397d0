using System;
using System.Collections.Generic;
using PhotoUpdatePolicy.Json;
using PhotoUpdatePolicy.Native;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>The photo access calls of the typed client (Test-PhotoUpdateAccess, the impact shown before a change).</summary>
    internal sealed partial class NativeClient
    {
        private static readonly NativeCallRunner.NativeCall<ClientBytes> CheckAccessCall = CheckAccessNative;
        private static readonly NativeCallRunner.NativeCall<ClientBytes> ImpactCall = ImpactNative;

        /// <summary>
        /// Can this user (<paramref name="userId"/>: object ID or UPN) or service principal
        /// (<paramref name="servicePrincipalId"/>: object ID or app ID) change photos now; neither:
        /// the signed-in user or app, with the service's own answer for a user.
        /// </summary>
        internal PhotoUpdateAccessTest CheckAccess(string? userId, string? servicePrincipalId)
        {
            var request = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (userId != null)
            {
                request["userId"] = userId;
            }

            if (servicePrincipalId != null)
            {
                request["servicePrincipalId"] = servicePrincipalId;
            }

            byte[] bytes = Utf8.Encode(JsonCodec.Instance.Serialize(request));
            return new PhotoUpdateAccessTest(JsonTree.AsObject(
                runner.InvokeJson(new ClientBytes(Handle, bytes), CheckAccessCall),
                "an access check"));
        }

        /// <summary>Who gains and who loses the ability to change photos if <paramref name="change"/> were applied; nothing is written.</summary>
        internal PhotoAccessImpact AccessImpact(PolicyChangeRequest change) =>
            new PhotoAccessImpact(JsonTree.AsObject(
                runner.InvokeJson(new ClientBytes(Handle, Utf8.Encode(change.ToJson())), ImpactCall),
                "an access impact"));

        private static unsafe uint CheckAccessNative(ClientBytes s, CallContextHandle ctx, out ResultHandle result, out ErrorHandle error)
        {
            fixed (byte* p = s.Bytes)
            {
                return NativeMethods.pup_access_check(s.Client, p, (UIntPtr)s.Bytes.Length, ctx, out result, out error);
            }
        }

        private static unsafe uint ImpactNative(ClientBytes s, CallContextHandle ctx, out ResultHandle result, out ErrorHandle error)
        {
            fixed (byte* p = s.Bytes)
            {
                return NativeMethods.pup_access_impact(s.Client, p, (UIntPtr)s.Bytes.Length, ctx, out result, out error);
            }
        }
    }
}
