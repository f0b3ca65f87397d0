using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Runtime.CompilerServices;

namespace PhotoUpdatePolicy.Json
{
    /// <summary>
    /// Converts what a caller passes as -InputObject (a hashtable, ConvertFrom-Json output, Export
    /// output, nested lists) into the neutral JSON tree, without letting the object end the host:
    /// a cycle (a hashtable or list that contains itself), nesting deeper than
    /// <see cref="MaxDepth"/> levels, or more than <see cref="MaxNodes"/> values (a shared
    /// sub-object repeated many times) stop the conversion with an
    /// <see cref="InputObjectException"/> instead of overflowing the stack (which no handler can
    /// catch) or tripping the JSON writer's own depth limit.
    /// </summary>
    internal static class InputObjectTree
    {
        /// <summary>Deepest nesting read. A policy document is 3 levels deep; the JSON writers allow 64 (.NET) and more.</summary>
        internal const int MaxDepth = 32;

        /// <summary>Most values read in one object (objects, lists and scalars). A document has a few dozen.</summary>
        internal const int MaxNodes = 100_000;

        /// <summary>Converts <paramref name="value"/>; see the class summary for what is refused.</summary>
        internal static object? Convert(object? value)
        {
            var walk = new Walk();
            return walk.Visit(value, 0, "InputObject");
        }

        private sealed class Walk
        {
            // The containers on the path from the root: one seen again is a cycle.
            private readonly HashSet<object> path = new HashSet<object>(ReferenceComparer.Instance);
            private int nodes;

            internal object? Visit(object? value, int depth, string where)
            {
                if (++nodes > MaxNodes)
                {
                    throw new InputObjectException(
                        "PhotoUpdatePolicy.InputObjectTooLarge",
                        $"The input object holds more than {MaxNodes:N0} values (at {where}); a policy document holds a few dozen. Pass the document itself (Export-PhotoUpdatePolicy output, a hashtable or JSON text).");
                }

                object? v = value is PSObject pso && !(pso.BaseObject is PSCustomObject) ? pso.BaseObject : value;
                switch (v)
                {
                    case null:
                        return null;
                    case string s:
                        return s;
                    case bool b:
                        return b;
                    case int or long or short or byte or uint or ushort or sbyte:
                        return System.Convert.ToInt64(v, CultureInfo.InvariantCulture);
                    case double or float or decimal:
                        return System.Convert.ToDouble(v, CultureInfo.InvariantCulture);
                    case DateTime dt:
                        // ConvertFrom-Json (PowerShell 7) turns exportedAt into a DateTime.
                        return dt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                    case DateTimeOffset dto:
                        return dto.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                    case IDictionary dict:
                        Enter(dict, depth, where);
                        var obj = new Dictionary<string, object?>(StringComparer.Ordinal);
                        foreach (DictionaryEntry kv in dict)
                        {
                            string key = System.Convert.ToString(kv.Key, CultureInfo.InvariantCulture) ?? string.Empty;
                            obj[key] = Visit(kv.Value, depth + 1, where + "." + key);
                        }

                        path.Remove(dict);
                        return obj;
                    case PSObject custom:
                        Enter(custom, depth, where);
                        var props = new Dictionary<string, object?>(StringComparer.Ordinal);
                        foreach (PSPropertyInfo prop in custom.Properties)
                        {
                            props[prop.Name] = Visit(Read(prop, where), depth + 1, where + "." + prop.Name);
                        }

                        path.Remove(custom);
                        return props;
                    case IEnumerable items:
                        Enter(items, depth, where);
                        var list = new List<object?>();
                        foreach (object? item in items)
                        {
                            list.Add(Visit(item, depth + 1, where + "[" + list.Count.ToString(CultureInfo.InvariantCulture) + "]"));
                        }

                        path.Remove(items);
                        return list;
                    default:
                        return System.Convert.ToString(v, CultureInfo.InvariantCulture);
                }
            }

            private void Enter(object container, int depth, string where)
            {
                if (depth >= MaxDepth)
                {
                    throw new InputObjectException(
                        "PhotoUpdatePolicy.InputObjectTooDeep",
                        $"The input object is nested more than {MaxDepth} levels deep (at {Shorten(where)}); a policy document is 3 levels deep. Pass the document itself (Export-PhotoUpdatePolicy output, a hashtable or JSON text).");
                }

                if (!path.Add(container))
                {
                    throw new InputObjectException(
                        "PhotoUpdatePolicy.InputObjectCycle",
                        $"The input object contains itself ({Shorten(where)} refers back to an object that holds it), so it cannot be a policy document. Pass a document without cycles (Export-PhotoUpdatePolicy output, a hashtable or JSON text).");
                }
            }

            private static object? Read(PSPropertyInfo prop, string where)
            {
                try
                {
                    return prop.Value;
                }
                catch (Exception ex) when (ex is GetValueException || ex is RuntimeException || ex is InvalidOperationException)
                {
                    throw new InputObjectException(
                        "PhotoUpdatePolicy.InvalidDocument",
                        $"The property {where}.{prop.Name} of the input object could not be read: {ex.Message}");
                }
            }

            private static string Shorten(string where) => where.Length <= 120 ? where : where.Substring(0, 60) + "…" + where.Substring(where.Length - 50);
        }

        private sealed class ReferenceComparer : IEqualityComparer<object>
        {
            internal static readonly ReferenceComparer Instance = new ReferenceComparer();

            public new bool Equals(object? x, object? y) => ReferenceEquals(x, y);

            public int GetHashCode(object obj) => RuntimeHelpers.GetHashCode(obj);
        }
    }

    /// <summary>An -InputObject that cannot be converted; <see cref="ErrorId"/> is the ErrorRecord's id.</summary>
    internal sealed class InputObjectException : ArgumentException
    {
        internal InputObjectException(string errorId, string message)
            : base(message)
        {
            ErrorId = errorId;
        }

        /// <summary>The stable PhotoUpdatePolicy.* ErrorId.</summary>
        internal string ErrorId { get; }
    }
}
