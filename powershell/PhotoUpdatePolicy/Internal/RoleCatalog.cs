using System;
using System.Collections.Generic;
using System.Linq;
using PhotoUpdatePolicy.Json;
using PhotoUpdatePolicy.Native;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>The role catalog and role resolution of the core, both offline (no client, no network).</summary>
    internal static class RoleCatalog
    {
        private static readonly object Gate = new object();
        private static readonly NativeResults.OfflineCall<object?> CatalogCall =
            (object? _, out ResultHandle r, out ErrorHandle e) => NativeMethods.pup_roles_catalog(out r, out e);

        private static readonly NativeResults.OfflineCall<byte[]> ResolveCall = ResolveNative;
        private static RoleInfo[]? cached;

        /// <summary>
        /// The catalog, read once per process (it is compiled into the native library). An in-memory
        /// call, made on the calling thread (also the argument completer's).
        /// </summary>
        internal static RoleInfo[] Load()
        {
            lock (Gate)
            {
                if (cached != null)
                {
                    return cached;
                }
            }

            NativeLibraryLoader.EnsureLoaded();
            object? json = JsonCodec.Instance.Parse(NativeResults.InvokeOffline<object?>(null, CatalogCall));
            var roles = new List<RoleInfo>();
            if (json is List<object?> list)
            {
                foreach (object? item in list)
                {
                    if (item is Dictionary<string, object?> obj)
                    {
                        roles.Add(RoleInfo.FromJson(obj));
                    }
                }
            }

            lock (Gate)
            {
                cached = roles.ToArray();
                return cached;
            }
        }

        /// <summary>
        /// The template ID of a role given by name, alias or ID (any casing, braces, whitespace), with
        /// the core's rules. Throws <see cref="PhotoPolicyException"/> (InvalidArgument) naming the
        /// closest role for an unknown or malformed value.
        /// </summary>
        internal static string? ResolveId(string role) =>
            Resolve(new[] { role }, allowUnknown: false).Select(r => JsonTree.String(r, "id")).FirstOrDefault();

        private static List<Dictionary<string, object?>> Resolve(IList<string> roles, bool allowUnknown, bool? allowRefused = null)
        {
            var request = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["roles"] = new List<string>(roles),
                ["allowUnknownRoleIds"] = allowUnknown,
            };
            if (allowRefused.HasValue)
            {
                request["allowServiceRefusedRoles"] = allowRefused.Value;
            }

            byte[] bytes = Utf8.Encode(JsonCodec.Instance.Serialize(request));
            Dictionary<string, object?> result = JsonTree.AsObject(
                JsonCodec.Instance.Parse(NativeResults.InvokeOffline(bytes, ResolveCall)),
                "a role resolution");
            return JsonTree.List(result, "roles").OfType<Dictionary<string, object?>>().ToList();
        }

        private static unsafe uint ResolveNative(byte[] request, out ResultHandle result, out ErrorHandle error)
        {
            fixed (byte* p = request)
            {
                return NativeMethods.pup_roles_resolve(p, (UIntPtr)request.Length, out result, out error);
            }
        }
    }
}
