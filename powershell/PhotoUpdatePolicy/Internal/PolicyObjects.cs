using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// A Policy from Get-PhotoUpdatePolicy (or a Set/Reset result, or the same object after
    /// Export-Clixml / Import-Clixml or remoting) as the policy document it stands for, so that
    /// <c>Test-PhotoUpdatePolicy -InputObject (Get-PhotoUpdatePolicy)</c> and Import take it.
    /// </summary>
    /// <remarks>
    /// Only the shape changes here; the document is then checked by the core's reader like any
    /// other (roles, source, the roles the service refuses).
    /// </remarks>
    internal static class PolicyObjects
    {
        private const string PolicyTypeName = "PhotoUpdatePolicy.Policy";

        /// <summary>
        /// The document of <paramref name="value"/> when it is a Policy (live or deserialised), with
        /// its tenant, cloud, Source and AllowedRoles (roles by ID; by name when only a name is
        /// there); null for anything else.
        /// </summary>
        internal static Dictionary<string, object?>? ToDocument(object value)
        {
            object bare = value is PSObject p ? p.BaseObject : value;
            if (bare is Policy policy)
            {
                var roles = new List<object?>();
                bool unknown = false;
                foreach (RoleRef role in policy.AllowedRoles)
                {
                    roles.Add(string.IsNullOrEmpty(role.Id) ? role.Name : role.Id);
                    unknown |= !role.Known;
                }

                return Document(policy.TenantId, policy.Cloud, policy.Source, roles, unknown);
            }

            if (value is PSObject shown && IsDeserializedPolicy(shown))
            {
                var roles = new List<object?>();
                bool unknown = false;
                foreach (object? role in Items(Property(shown, "AllowedRoles")))
                {
                    roles.Add(RoleValue(role, ref unknown));
                }

                return Document(Text(Property(shown, "TenantId")), Text(Property(shown, "Cloud")), Text(Property(shown, "Source")), roles, unknown);
            }

            return null;
        }

        private static Dictionary<string, object?> Document(string? tenantId, string? cloud, string? source, List<object?> roles, bool unknownRoles)
        {
            var document = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["schemaVersion"] = 1L,
                ["tenantId"] = tenantId,
                ["cloud"] = cloud,
                ["source"] = SourceValue(source),
                ["allowedRoles"] = roles,
            };

            // The roles are the tenant's own: a template ID outside the catalog is let through,
            // as an export of the same tenant says.
            if (unknownRoles)
            {
                document["allowUnknownRoleIds"] = true;
            }

            return document;
        }

        /// <summary>
        /// The document spelling of a Policy's Source: NotSet is null; Cloud and OnPremises their
        /// wire values; any other value (one the service sent that this version does not know) as
        /// it is, for the reader to refuse by name.
        /// </summary>
        private static string? SourceValue(string? source)
        {
            if (source == null || string.Equals(source, "NotSet", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            return string.Equals(source, "Cloud", StringComparison.OrdinalIgnoreCase) ? "cloud"
                : string.Equals(source, "OnPremises", StringComparison.OrdinalIgnoreCase) ? "onPremises"
                : source;
        }

        private static bool IsDeserializedPolicy(PSObject value)
        {
            foreach (string name in value.TypeNames)
            {
                if (name == PolicyTypeName || name == "Deserialized." + PolicyTypeName)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>A role as a RoleRef, a deserialised RoleRef (Id, Name, Known), or a name or ID.</summary>
        private static object? RoleValue(object? role, ref bool unknown)
        {
            switch (role is PSObject p && !(p.BaseObject is PSCustomObject) && !(p.BaseObject is string) ? p.BaseObject : role)
            {
                case RoleRef live:
                    unknown |= !live.Known;
                    return string.IsNullOrEmpty(live.Id) ? live.Name : live.Id;
                case PSObject shown when shown.Properties["Id"] != null || shown.Properties["Name"] != null:
                    if (shown.Properties["Known"]?.Value is bool known && !known)
                    {
                        unknown = true;
                    }

                    return Text(Property(shown, "Id")) is string id && id.Length > 0 ? id : Text(Property(shown, "Name"));
                default:
                    return Text(role);
            }
        }

        private static object? Property(PSObject value, string name) => value.Properties[name]?.Value;

        private static IEnumerable Items(object? value)
        {
            object? bare = value is PSObject p ? p.BaseObject : value;
            return bare is IEnumerable items && !(bare is string) ? items : (bare == null ? Array.Empty<object>() : new[] { bare });
        }

        private static string? Text(object? value) =>
            value == null ? null : Convert.ToString(value is PSObject p ? p.BaseObject : value, CultureInfo.InvariantCulture);
    }
}
