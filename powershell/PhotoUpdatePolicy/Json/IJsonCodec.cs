using System.Collections.Generic;

namespace PhotoUpdatePolicy.Json
{
    /// <summary>
    /// Reads and writes the JSON documents that cross the C ABI, as a neutral tree:
    /// objects are <see cref="Dictionary{TKey,TValue}"/> of string to value (ordinal keys, document
    /// order kept), arrays are <see cref="List{T}"/> of values, and scalars are <see cref="string"/>,
    /// <see cref="bool"/>, <see cref="long"/>, <see cref="double"/> or null.
    ///
    /// Two implementations because the module ships no third-party DLLs: System.Text.Json is inbox
    /// on .NET 8, JavaScriptSerializer (System.Web.Extensions) is inbox on .NET Framework.
    /// </summary>
    internal interface IJsonCodec
    {
        /// <summary>Parses a document into the neutral tree.</summary>
        object? Parse(string json);

        /// <summary>Writes a neutral tree (also accepts arrays of strings) as compact JSON.</summary>
        string Serialize(object? value);
    }

    /// <summary>The codec for this target framework.</summary>
    internal static class JsonCodec
    {
#if NET
        /// <summary>The process-wide codec.</summary>
        internal static readonly IJsonCodec Instance = new SystemTextJsonCodec();
#else
        /// <summary>The process-wide codec.</summary>
        internal static readonly IJsonCodec Instance = new JavaScriptSerializerCodec();
#endif
    }
}
