using System;
using System.Collections.Generic;
using PhotoUpdatePolicy.Json;
using PhotoUpdatePolicy.Native;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// Get-PhotoUpdateAccess for one tenant or many in one native call (<c>pup_access_get</c>):
    /// each tenant's policy resolved into principals, at most -ThrottleLimit tenants at a time.
    /// </summary>
    internal static class AccessRun
    {
        private static readonly NativeCallRunner.NativeCall<AccessCall> GetCall = GetNative;

        /// <summary>
        /// Resolves each target's policy (or <paramref name="allowedRoles"/> instead, when given).
        /// Throws <see cref="PhotoPolicyException"/> only when the whole call fails (cancelled, bad
        /// role name); each tenant's failure is in its entry.
        /// </summary>
        internal static List<PhotoAccessTenant> Get(NativeCallRunner runner, IReadOnlyList<FleetTarget> targets, bool expandGroups, string[]? allowedRoles, int throttleLimit)
        {
            var request = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["expandGroups"] = expandGroups,
                ["concurrency"] = (long)Math.Min(throttleLimit, Math.Max(1, targets.Count)),
            };
            if (allowedRoles != null)
            {
                request["allowedRoles"] = new List<object?>(allowedRoles);
            }

            byte[] bytes = Utf8.Encode(JsonCodec.Instance.Serialize(request));

            // Several tenants may take a while: the worker path relays their messages meanwhile.
            runner.Inline = targets.Count == 1 && runner.Inline;
            Dictionary<string, object?> result = JsonTree.AsObject(
                runner.InvokeJson(new AccessCall(targets, bytes), GetCall),
                "an access result");
            var tenants = new List<PhotoAccessTenant>();
            List<object?> results = JsonTree.List(result, "results");
            for (int i = 0; i < results.Count && i < targets.Count; i++)
            {
                if (results[i] is Dictionary<string, object?> entry)
                {
                    tenants.Add(new PhotoAccessTenant(entry, targets[i].Label));
                }
            }

            return tenants;
        }

        private static unsafe uint GetNative(AccessCall call, CallContextHandle ctx, out ResultHandle result, out ErrorHandle error)
        {
            // Each handle is kept alive for the whole native call.
            using var held = new HeldHandles(FleetRun.ClientHandles(call.Targets));
            fixed (IntPtr* clients = held.Raw)
            fixed (byte* p = call.Request)
            {
                return NativeMethods.pup_access_get(clients, (UIntPtr)held.Raw.Length, p, (UIntPtr)call.Request.Length, ctx, out result, out error);
            }
        }

        /// <summary>The tenants and the request of one call.</summary>
        private readonly struct AccessCall
        {
            internal AccessCall(IReadOnlyList<FleetTarget> targets, byte[] request)
            {
                Targets = targets;
                Request = request;
            }

            internal IReadOnlyList<FleetTarget> Targets { get; }

            internal byte[] Request { get; }
        }
    }
}
