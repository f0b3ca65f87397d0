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
        private static readonly NativeCallRunner.NativeCall<PlanApply> PlanImpactCall = PlanImpactNative;

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

        /// <summary>
        /// Who gains and who loses the ability to change photos under <paramref name="plan"/> (a
        /// change or a reset planned with this client): the policy the plan read is not read again,
        /// only the directory. Nothing is written; the plan can still be applied.
        /// </summary>
        internal PhotoAccessImpact AccessImpact(PolicyPlan plan)
        {
            return new PhotoAccessImpact(JsonTree.AsObject(
                runner.InvokeJson(new PlanApply(Handle, plan.Handle, 0), PlanImpactCall),
                "an access impact"));
        }

        private static unsafe uint CheckAccessNative(ClientBytes s, CallContextHandle ctx, out ResultHandle result, out ErrorHandle error)
        {
            fixed (byte* p = s.Bytes)
            {
                return NativeMethods.pup_access_check(s.Client, p, (UIntPtr)s.Bytes.Length, ctx, out result, out error);
            }
        }

        private static uint PlanImpactNative(PlanApply s, CallContextHandle ctx, out ResultHandle result, out ErrorHandle error) =>
            NativeMethods.pup_access_plan_impact(s.Client, s.Plan, ctx, out result, out error);
    }
}
