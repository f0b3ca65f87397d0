#if NET
using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;

namespace PhotoUpdatePolicy.Json
{
    /// <summary>JSON on .NET 8+, with the inbox System.Text.Json (no reflection serializer).</summary>
    internal sealed class SystemTextJsonCodec : IJsonCodec
    {
        public object? Parse(string json)
        {
            using JsonDocument doc = JsonDocument.Parse(json);
            return Convert(doc.RootElement);
        }

        public string Serialize(object? value)
        {
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream))
            {
                Write(writer, value);
            }

            return Encoding.UTF8.GetString(stream.ToArray());
        }

        private static object? Convert(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    var obj = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (JsonProperty p in element.EnumerateObject())
                    {
                        obj[p.Name] = Convert(p.Value);
                    }

                    return obj;
                case JsonValueKind.Array:
                    var list = new List<object?>();
                    foreach (JsonElement item in element.EnumerateArray())
                    {
                        list.Add(Convert(item));
                    }

                    return list;
                case JsonValueKind.String:
                    return element.GetString();
                case JsonValueKind.Number:
                    // Boxed separately: a plain ternary would widen the long to double.
                    return element.TryGetInt64(out long l) ? (object)l : element.GetDouble();
                case JsonValueKind.True:
                    return true;
                case JsonValueKind.False:
                    return false;
                default:
                    return null;
            }
        }

        private static void Write(Utf8JsonWriter writer, object? value)
        {
            switch (value)
            {
                case null:
                    writer.WriteNullValue();
                    break;
                case string s:
                    writer.WriteStringValue(s);
                    break;
                case bool b:
                    writer.WriteBooleanValue(b);
                    break;
                case int i:
                    writer.WriteNumberValue(i);
                    break;
                case long l:
                    writer.WriteNumberValue(l);
                    break;
                case uint u:
                    writer.WriteNumberValue(u);
                    break;
                case double d:
                    writer.WriteNumberValue(d);
                    break;
                case decimal m:
                    writer.WriteNumberValue(m);
                    break;
                case IDictionary dict:
                    writer.WriteStartObject();
                    foreach (DictionaryEntry e in dict)
                    {
                        writer.WritePropertyName(e.Key.ToString()!);
                        Write(writer, e.Value);
                    }

                    writer.WriteEndObject();
                    break;
                case IEnumerable items:
                    writer.WriteStartArray();
                    foreach (object? item in items)
                    {
                        Write(writer, item);
                    }

                    writer.WriteEndArray();
                    break;
                default:
                    throw new ArgumentException($"Cannot write a value of type {value.GetType().FullName} as JSON.", nameof(value));
            }
        }
    }
}
#endif
