using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Linq;

namespace PhotoUpdatePolicy
{
    /// <summary>
    /// Named values kept in order with case-insensitive names (a policy's properties this module does
    /// not know yet, a desired state from a document). Prints as <c>name=value; name=value</c>
    /// instead of the type name an OrderedDictionary prints as in Export-Csv and logs.
    /// </summary>
    public sealed class PropertyBag : OrderedDictionary
    {
        /// <summary>An empty bag.</summary>
        public PropertyBag()
            : base(StringComparer.OrdinalIgnoreCase)
        {
        }

        /// <summary>A bag holding <paramref name="source"/>'s entries in their order.</summary>
        public PropertyBag(IDictionary? source)
            : this()
        {
            if (source != null)
            {
                foreach (DictionaryEntry entry in source)
                {
                    this[entry.Key] = entry.Value;
                }
            }
        }

        /// <summary><c>name=value</c> pairs joined by "; " (lists as comma-separated values); empty when there are none.</summary>
        public override string ToString()
        {
            var parts = new List<string>();
            foreach (DictionaryEntry entry in this)
            {
                parts.Add($"{entry.Key}={Show(entry.Value)}");
            }

            return string.Join("; ", parts);
        }

        private static string Show(object? value) => value switch
        {
            null => string.Empty,
            string s => s,
            IDictionary dict => "{" + new PropertyBag(dict) + "}",
            IEnumerable items => string.Join(", ", items.Cast<object?>().Select(Show)),
            _ => value.ToString() ?? string.Empty,
        };
    }
}
