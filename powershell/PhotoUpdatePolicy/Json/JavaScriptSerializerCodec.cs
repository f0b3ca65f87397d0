#if !NET
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Web.Script.Serialization;

namespace PhotoUpdatePolicy.Json
{
    /// <summary>
    /// JSON on .NET Framework with the inbox JavaScriptSerializer (System.Web.Extensions), so
    /// Windows PowerShell 5.1 needs no System.Text.Json DLLs (which clash with other modules).
    /// </summary>
    internal sealed class JavaScriptSerializerCodec : IJsonCodec
    {
        private static JavaScriptSerializer NewSerializer() =>
            new JavaScriptSerializer { MaxJsonLength = int.MaxValue, RecursionLimit = 256 };

        public object? Parse(string json) => Normalize(NewSerializer().DeserializeObject(json));

        public string Serialize(object? value) => NewSerializer().Serialize(ToSerializable(value));

        // DeserializeObject yields Dictionary<string, object>, object[] and int/long/decimal:
        // bring them to the neutral tree both codecs share.
        private static object? Normalize(object? value)
        {
            switch (value)
            {
                case null:
                    return null;
                case IDictionary<string, object> dict:
                    var obj = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (KeyValuePair<string, object> kv in dict)
                    {
                        obj[kv.Key] = Normalize(kv.Value);
                    }

                    return obj;
                case string s:
                    return s;
                case bool b:
                    return b;
                case int i:
                    return (long)i;
                case long l:
                    return l;
                case decimal m:
                    return decimal.Truncate(m) == m && m >= long.MinValue && m <= long.MaxValue ? (object)(long)m : (double)m;
                case double d:
                    return d;
                case IEnumerable items:
                    var list = new List<object?>();
                    foreach (object? item in items)
                    {
                        list.Add(Normalize(item));
                    }

                    return list;
                default:
                    return Convert.ToString(value, CultureInfo.InvariantCulture);
            }
        }

        private static object? ToSerializable(object? value)
        {
            switch (value)
            {
                case null:
                case string _:
                case bool _:
                case int _:
                case long _:
                case uint _:
                case double _:
                case decimal _:
                    return value;
                case IDictionary dict:
                    var obj = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (DictionaryEntry e in dict)
                    {
                        obj[e.Key.ToString()!] = ToSerializable(e.Value);
                    }

                    return obj;
                case IEnumerable items:
                    var list = new List<object?>();
                    foreach (object? item in items)
                    {
                        list.Add(ToSerializable(item));
                    }

                    return list;
                default:
                    throw new ArgumentException($"Cannot write a value of type {value.GetType().FullName} as JSON.", nameof(value));
            }
        }
    }
}
#endif
