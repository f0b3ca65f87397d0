using System;
using System.Collections.Generic;
using PhotoUpdatePolicy.Json;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// What Set-PhotoUpdatePolicy was asked to change: the change request of docs/c-abi.md, built
    /// from the bound parameters once and handed to the native library as one JSON document, which
    /// the core parses, validates (roles included) and resolves once.
    /// </summary>
    internal sealed class PolicyChangeRequest
    {
        /// <summary>The requested source as given (<c>Cloud</c>, <c>OnPremises</c>, <c>NotSet</c>; the core reads any casing), or null.</summary>
        internal string? Source { get; set; }

        /// <summary>The complete list of allowed roles (names or template IDs), or null.</summary>
        internal IList<string>? AllowedRoles { get; set; }

        /// <summary>Roles to add, or null.</summary>
        internal IList<string>? AddAllowedRoles { get; set; }

        /// <summary>Roles to remove, or null.</summary>
        internal IList<string>? RemoveAllowedRoles { get; set; }

        /// <summary>Whether role template IDs outside the catalog are accepted.</summary>
        internal bool AllowUnknownRoleIds { get; set; }

        /// <summary>Whether roles the service refuses in allowed roles are sent anyway (-AllowRefusedRole).</summary>
        internal bool AllowServiceRefusedRoles { get; set; }

        /// <summary>A file, or a folder (trailing separator), for the backup before the change; null for none.</summary>
        internal string? BackupPath { get; set; }

        /// <summary>Whether anything at all is asked for.</summary>
        internal bool IsEmpty => Source == null && AllowedRoles == null && AddAllowedRoles == null && RemoveAllowedRoles == null;

        /// <summary>Every role value given, in the order given (for naming the one an error is about).</summary>
        internal IEnumerable<string> RoleValues()
        {
            foreach (IList<string>? list in new[] { AllowedRoles, AddAllowedRoles, RemoveAllowedRoles })
            {
                if (list != null)
                {
                    foreach (string role in list)
                    {
                        yield return role;
                    }
                }
            }
        }

        /// <summary>The change request JSON of docs/c-abi.md.</summary>
        internal string ToJson()
        {
            var change = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (Source != null)
            {
                change["source"] = Source;
            }

            if (AllowedRoles != null)
            {
                change["allowedRoles"] = new List<string>(AllowedRoles);
            }

            if (AddAllowedRoles != null)
            {
                change["addAllowedRoles"] = new List<string>(AddAllowedRoles);
            }

            if (RemoveAllowedRoles != null)
            {
                change["removeAllowedRoles"] = new List<string>(RemoveAllowedRoles);
            }

            if (AllowUnknownRoleIds)
            {
                change["allowUnknownRoleIds"] = true;
            }

            if (AllowServiceRefusedRoles)
            {
                change["allowServiceRefusedRoles"] = true;
            }

            if (BackupPath != null)
            {
                change["backupPath"] = BackupPath;
            }

            return JsonCodec.Instance.Serialize(change);
        }
    }
}
