using System;
using System.Collections.Generic;
using PhotoUpdatePolicy.Json;

namespace PhotoUpdatePolicy
{
    /// <summary>One property of the policy that a change moves from one value to another.</summary>
    public sealed class PolicyChange
    {
        /// <summary>Creates a change.</summary>
        public PolicyChange(string property, object? before, object? after)
        {
            Property = property;
            Before = before;
            After = after;
        }

        /// <summary>The property (<c>Source</c> or <c>AllowedRoles</c>).</summary>
        public string Property { get; }

        /// <summary>The value before the change (text, or role names for AllowedRoles).</summary>
        public object? Before { get; }

        /// <summary>The value after the change.</summary>
        public object? After { get; }

        /// <summary><c>Property: before → after</c>.</summary>
        public override string ToString() => $"{Property}: {Show(Before)} → {Show(After)}";

        private static string Show(object? value) => value switch
        {
            null => "(not set)",
            DisplayList<string> items => items.Count == 0 ? "(none)" : items.ToString(),
            _ => value.ToString() ?? string.Empty,
        };

        /// <summary>
        /// Reads the plan's changes. Role lists arrive as template IDs; <paramref name="policies"/>
        /// (the plan's before and after) give their display names.
        /// </summary>
        internal static PolicyChange[] FromJson(List<object?> changes, params Policy[] policies)
        {
            var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (Policy policy in policies)
            {
                foreach (RoleRef role in policy.AllowedRoles)
                {
                    if (role.Name != null)
                    {
                        names[role.Id] = role.Name;
                    }
                }
            }

            var result = new List<PolicyChange>();
            foreach (object? item in changes)
            {
                if (item is Dictionary<string, object?> c)
                {
                    string property = JsonTree.String(c, "property") ?? string.Empty;
                    result.Add(new PolicyChange(
                        PascalCase(property),
                        Value(property, c.TryGetValue("before", out object? b) ? b : null, names),
                        Value(property, c.TryGetValue("after", out object? a) ? a : null, names)));
                }
            }

            return result.ToArray();
        }

        // Sources read the same way as on a Policy; role lists become their display names.
        private static object? Value(string property, object? value, Dictionary<string, string> names)
        {
            if (string.Equals(property, "source", StringComparison.OrdinalIgnoreCase) && (value == null || value is string))
            {
                return Policy.DisplaySource((string?)value);
            }

            // A roles section cleared with null (source other than cloud) lifts the restriction.
            if (value == null && string.Equals(property, "allowedRoles", StringComparison.OrdinalIgnoreCase))
            {
                return DisplayList.Of(new List<string>());
            }

            if (value is List<object?> list)
            {
                var shown = new List<string>();
                foreach (object? entry in list)
                {
                    if (entry is Dictionary<string, object?> role)
                    {
                        shown.Add(JsonTree.String(role, "name") ?? JsonTree.String(role, "id") ?? string.Empty);
                    }
                    else
                    {
                        string id = JsonTree.Scalar(entry) ?? string.Empty;
                        shown.Add(names.TryGetValue(id, out string? name) ? name : id);
                    }
                }

                return DisplayList.Of(shown);
            }

            object? shownValue = JsonTree.ToPowerShell(value);
            return shownValue is System.Collections.IDictionary dict ? new PropertyBag(dict) : shownValue;
        }

        private static string PascalCase(string name) =>
            name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name.Substring(1);
    }
}
