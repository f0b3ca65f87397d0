using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Reflection;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// The text a policy document object and its roles print as (their ToString, attached as code
    /// methods by <see cref="PolicyDocument.ToPSObject()"/>): the document as a Policy prints,
    /// <c>Source: Cloud; AllowedRoles: Global Administrator, People Administrator</c>, a role as its
    /// name (its ID when it has none).
    /// </summary>
    internal static class DocumentText
    {
        /// <summary>The document's ToString, for a PSCodeMethod.</summary>
        internal static readonly MethodInfo DocumentMethod = typeof(DocumentText).GetMethod(nameof(Document))!;

        /// <summary>A role's ToString, for a PSCodeMethod.</summary>
        internal static readonly MethodInfo RoleMethod = typeof(DocumentText).GetMethod(nameof(Role))!;

        /// <summary>The document in one line; a field it leaves out is "not managed".</summary>
        /// <param name="instance">The document object.</param>
        public static string Document(PSObject instance)
        {
            PSPropertyInfo? source = Find(instance, "source");
            PSPropertyInfo? roles = Find(instance, "allowedRoles");
            string sourceText = source == null ? "(not managed)" : Policy.DisplaySource(Scalar(source.Value));
            string rolesText;
            if (roles == null)
            {
                rolesText = "(not managed)";
            }
            else
            {
                var names = new List<string>();
                object? list = roles.Value is PSObject p ? p.BaseObject : roles.Value;
                if (list is IEnumerable items && !(list is string))
                {
                    foreach (object? item in items)
                    {
                        names.Add(item?.ToString() ?? string.Empty);
                    }
                }

                rolesText = names.Count == 0 ? "(none: everyone can change their photo)" : string.Join(", ", names);
            }

            return $"Source: {sourceText}; AllowedRoles: {rolesText}";
        }

        /// <summary>A role's name, else its ID.</summary>
        /// <param name="instance">The role object (<c>id</c>, <c>name</c>).</param>
        public static string Role(PSObject instance) =>
            Scalar(Find(instance, "name")?.Value) ?? Scalar(Find(instance, "id")?.Value) ?? string.Empty;

        private static PSPropertyInfo? Find(PSObject instance, string name)
        {
            foreach (PSPropertyInfo property in instance.Properties)
            {
                if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    return property;
                }
            }

            return null;
        }

        private static string? Scalar(object? value) =>
            value == null ? null : Convert.ToString(value is PSObject p ? p.BaseObject : value, CultureInfo.InvariantCulture);
    }
}
