using System;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Globalization;

namespace PhotoUpdatePolicy.Json
{
    /// <summary>Typed reads from the neutral JSON tree, tolerant of absent members.</summary>
    internal static class JsonTree
    {
        internal static Dictionary<string, object?> AsObject(object? value, string what) =>
            value as Dictionary<string, object?>
            ?? throw new InvalidOperationException($"The native library returned {what} that is not a JSON object.");

        internal static Dictionary<string, object?>? Object(Dictionary<string, object?> obj, string key) =>
            obj.TryGetValue(key, out object? v) ? v as Dictionary<string, object?> : null;

        internal static List<object?> List(Dictionary<string, object?> obj, string key) =>
            obj.TryGetValue(key, out object? v) && v is List<object?> list ? list : new List<object?>();

        internal static string? String(Dictionary<string, object?> obj, string key) =>
            obj.TryGetValue(key, out object? v) ? Scalar(v) : null;

        internal static bool Bool(Dictionary<string, object?> obj, string key, bool fallback = false) =>
            obj.TryGetValue(key, out object? v) && v is bool b ? b : fallback;

        internal static long? Long(Dictionary<string, object?> obj, string key) =>
            obj.TryGetValue(key, out object? v) && v is long l ? l : (long?)null;

        /// <summary>A scalar as text (numbers in invariant culture); null for null, objects and arrays.</summary>
        internal static string? Scalar(object? value) => value switch
        {
            null => null,
            string s => s,
            bool b => b ? "true" : "false",
            long l => l.ToString(CultureInfo.InvariantCulture),
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            _ => null,
        };

        /// <summary>
        /// Converts a tree value to what PowerShell shows and serializes well: objects become
        /// ordered dictionaries, arrays become object[] (ConvertTo-Json renders both cleanly).
        /// </summary>
        internal static object? ToPowerShell(object? value)
        {
            switch (value)
            {
                case Dictionary<string, object?> obj:
                    var dict = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
                    foreach (KeyValuePair<string, object?> kv in obj)
                    {
                        dict[kv.Key] = ToPowerShell(kv.Value);
                    }

                    return dict;
                case List<object?> list:
                    var items = new object?[list.Count];
                    for (int i = 0; i < list.Count; i++)
                    {
                        items[i] = ToPowerShell(list[i]);
                    }

                    return items;
                default:
                    return value;
            }
        }
    }
}
