using System;
using System.Collections.Generic;
using System.Linq;
using PhotoUpdatePolicy.Json;
using PhotoUpdatePolicy.Native;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>The role catalog and role resolution of the core, both offline.</summary>
    internal static class RoleCatalog
    {
        private static readonly object Gate = new object();
        private static RoleInfo[]? cached;

        /// <summary>
        /// The catalog, read once per process (it is compiled into the native library). With a
        /// runner the call runs off the pipeline thread; the argument completer passes none.
        /// </summary>
        internal static RoleInfo[] Load(NativeCallRunner? runner)
        {
            lock (Gate)
            {
                if (cached != null)
                {
                    return cached;
                }
            }

            object? json = runner != null
                ? runner.InvokeJson((CallContextHandle _, out ResultHandle r, out ErrorHandle e) => NativeMethods.pup_roles_catalog(out r, out e))
                : JsonCodec.Instance.Parse(Direct());

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
        /// Resolves names, aliases and IDs with the core's rules. Throws
        /// <see cref="PhotoPolicyException"/> (InvalidArgument) for an unknown or malformed value.
        /// Returns (input, id, name, known) for each role, and the core's warnings.
        /// </summary>
        internal static (List<Dictionary<string, object?>> Roles, List<string> Warnings) Resolve(NativeCallRunner runner, IList<string> roles, bool allowUnknown)
        {
            var request = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["roles"] = roles.ToList(),
                ["allowUnknownRoleIds"] = allowUnknown,
            };
            byte[] bytes = Utf8.Encode(JsonCodec.Instance.Serialize(request));
            Dictionary<string, object?> result = JsonTree.AsObject(
                runner.InvokeJson((CallContextHandle _, out ResultHandle r, out ErrorHandle e) => ResolveNative(bytes, out r, out e)),
                "a role resolution");
            return (
                JsonTree.List(result, "roles").OfType<Dictionary<string, object?>>().ToList(),
                JsonTree.List(result, "warnings").Select(JsonTree.Scalar).Where(w => w != null).Select(w => w!).ToList());
        }

        private static unsafe uint ResolveNative(byte[] request, out ResultHandle result, out ErrorHandle error)
        {
            fixed (byte* p = request)
            {
                return NativeMethods.pup_roles_resolve(p, (UIntPtr)request.Length, out result, out error);
            }
        }

        // For the argument completer: an in-memory call with no I/O, on the completion thread.
        private static string Direct()
        {
            NativeLibraryLoader.EnsureLoaded();
            uint status = NativeMethods.pup_roles_catalog(out ResultHandle result, out ErrorHandle error);
            using (result)
            using (error)
            {
                if (status != 0)
                {
                    throw PhotoPolicyException.FromHandle(status, error);
                }

                if (NativeMethods.pup_result_json(result, out IntPtr ptr, out UIntPtr len) != 0)
                {
                    throw new InvalidOperationException("pup_result_json failed for the role catalog.");
                }

                return Utf8.Decode(ptr, len) ?? "[]";
            }
        }
    }
}
