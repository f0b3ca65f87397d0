using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;

namespace PhotoUpdatePolicy
{
    /// <summary>
    /// A read-only list of values (roles, changes, differences, scopes, aliases) that prints as its
    /// items, e.g. <c>Global Administrator, People Administrator</c>. An array would print as its
    /// type name (<c>PhotoUpdatePolicy.RoleRef[]</c>) in Export-Csv, ConvertTo-Csv, string
    /// expansion and logs; this list indexes, counts, enumerates and converts to JSON like one.
    /// </summary>
    /// <typeparam name="T">The item type; each item prints with its own ToString.</typeparam>
    public sealed class DisplayList<T> : ReadOnlyCollection<T>
    {
        private readonly string separator;

        /// <summary>A list of <paramref name="items"/>, printed joined by <paramref name="separator"/>.</summary>
        public DisplayList(IEnumerable<T> items, string separator = ", ")
            : base(items.ToList())
        {
            this.separator = separator;
        }

        /// <summary>The items, each as text, joined (empty when there are none).</summary>
        public override string ToString() => string.Join(separator, this.Select(item => item?.ToString() ?? string.Empty));
    }

    /// <summary>Makes <see cref="DisplayList{T}"/>s.</summary>
    public static class DisplayList
    {
        /// <summary>Items joined by ", ": role names, scopes, aliases.</summary>
        public static DisplayList<T> Of<T>(IEnumerable<T>? items) => new DisplayList<T>(items ?? Enumerable.Empty<T>());

        /// <summary>Items joined by "; ": changes and differences (each already holds commas).</summary>
        public static DisplayList<T> Sentences<T>(IEnumerable<T>? items) => new DisplayList<T>(items ?? Enumerable.Empty<T>(), "; ");
    }
}
