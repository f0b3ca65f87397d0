using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Globalization;
using System.Management.Automation;
using PhotoUpdatePolicy.Json;
using PhotoUpdatePolicy.Native;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// A policy document (docs/policy-as-code.md): checked by the core's strict reader, kept as its
    /// normalised JSON, and shown to PowerShell as the object ConvertFrom-Json would make.
    /// </summary>
    internal sealed class PolicyDocument
    {
        private readonly object? tree;

        private PolicyDocument(object? tree, string summary, IReadOnlyList<string>? warnings = null)
        {
            this.tree = tree;
            Summary = summary;
            Warnings = warnings ?? Array.Empty<string>();
        }

        /// <summary>The normalised document as the neutral JSON tree (for a fleet request).</summary>
        internal object? Tree => tree;

        /// <summary>One line: <c>Source: …; Allowed roles: …</c> (empty for an exported document).</summary>
        internal string Summary { get; }

        /// <summary>What to know before applying it (roles the service refuses let through, deprecated roles, IDs outside the catalog).</summary>
        internal IReadOnlyList<string> Warnings { get; }

        /// <summary>
        /// Checks <paramref name="text"/> offline (schemaVersion, types, source, role names and IDs)
        /// and returns the normalised document, or throws the core's error naming the field.
        /// </summary>
        /// <remarks>
        /// With <paramref name="allowRefusedRoles"/> (-AllowRefusedRole) the document's own opt-in,
        /// <c>allowServiceRefusedRoles</c>, is set first, so roles the service refuses pass with a
        /// warning instead of being refused.
        /// </remarks>
        internal static PolicyDocument Parse(string text, bool allowRefusedRoles = false)
        {
            byte[] bytes = Utf8.Encode(allowRefusedRoles ? WithRefusedRolesAllowed(text) : text);
            Dictionary<string, object?> parsed = JsonTree.AsObject(
                JsonCodec.Instance.Parse(NativeResults.InvokeOffline(bytes, ParseCall)),
                "a parsed document");
            var warnings = new List<string>();
            foreach (object? warning in JsonTree.List(parsed, "warnings"))
            {
                if (JsonTree.Scalar(warning) is string w)
                {
                    warnings.Add(w);
                }
            }

            return new PolicyDocument(parsed["document"], JsonTree.String(parsed, "summary") ?? string.Empty, warnings);
        }

        /// <summary>
        /// The document text with its opt-in for roles the service refuses set; text that is not a
        /// JSON object is left as it is, for the core to refuse with its own message.
        /// </summary>
        private static string WithRefusedRolesAllowed(string text)
        {
            const string Field = "allowServiceRefusedRoles";
            object? tree;
            try
            {
                tree = JsonCodec.Instance.Parse(text.TrimStart('\uFEFF'));
            }
            catch (Exception ex) when (!(ex is OutOfMemoryException))
            {
                return text;
            }

            if (!(tree is Dictionary<string, object?> document))
            {
                return text;
            }

            // Field names are read in any casing: replace every spelling of it.
            var spellings = new List<string>();
            foreach (string key in document.Keys)
            {
                if (string.Equals(key.Trim(), Field, StringComparison.OrdinalIgnoreCase))
                {
                    spellings.Add(key);
                }
            }

            foreach (string key in spellings)
            {
                document.Remove(key);
            }

            document[Field] = true;
            return JsonCodec.Instance.Serialize(document);
        }

        /// <summary>A document the native library returned (an export).</summary>
        internal static PolicyDocument FromTree(object? document) => new PolicyDocument(document, string.Empty);

        /// <summary>
        /// A document given as an object (Export output, ConvertFrom-Json, a hashtable, a Policy from
        /// Get-PhotoUpdatePolicy; see <see cref="PolicyObjects"/>) or as JSON text, as JSON text for
        /// <see cref="Parse"/>.
        /// </summary>
        /// <exception cref="UsageException">An object that cannot be a document: a cycle, absurd
        /// nesting or size (<see cref="InputObjectTree"/>), a property that throws. Its target is the
        /// type's name, not the object: a cyclic object as an error's TargetObject would trip
        /// whatever formats or serialises the error record next.</exception>
        internal static string TextOf(object value)
        {
            object inner = value is PolicyDocumentInput input ? input.Value : value;
            if ((inner is PSObject p ? p.BaseObject : inner) is string text)
            {
                return text;
            }

            try
            {
                Dictionary<string, object?>? fromPolicy = PolicyObjects.ToDocument(inner);
                return JsonCodec.Instance.Serialize(fromPolicy ?? InputObjectTree.Convert(inner));
            }
            catch (InputObjectException ex)
            {
                throw new UsageException(ex.ErrorId, ex.Message, TypeName(inner));
            }
            catch (Exception ex) when (ex is InvalidOperationException || ex is RuntimeException || ex is NotSupportedException || ex is ArgumentException || ex is FormatException)
            {
                throw new UsageException("PhotoUpdatePolicy.InvalidDocument", $"The input object could not be read as a policy document: {ex.Message}", TypeName(inner));
            }
        }

        /// <summary>
        /// A document from a desired source (<c>Cloud</c>, <c>OnPremises</c>, <c>NotSet</c>) and
        /// allowed roles, either of which may be null (not part of the desired state); null when both are.
        /// </summary>
        internal static string? TextOf(string? source, IList<string>? allowedRoles)
        {
            if (source == null && allowedRoles == null)
            {
                return null;
            }

            var doc = new Dictionary<string, object?>(StringComparer.Ordinal) { ["schemaVersion"] = 1L };
            if (source != null)
            {
                // NotSet is a desired source of "not set": null in the document.
                doc["source"] = source.ToUpperInvariant() switch { "CLOUD" => "cloud", "ONPREMISES" => "onPremises", _ => null };
            }

            if (allowedRoles != null)
            {
                doc["allowedRoles"] = new List<string>(allowedRoles);
            }

            return JsonCodec.Instance.Serialize(doc);
        }

        /// <summary>
        /// The document as PowerShell shows it: objects as PSObjects, arrays as lists that print as
        /// their items. The document and each of its roles print as text (in Export-Csv, ConvertTo-Csv,
        /// string expansion and logs) through a ToString of their own, since a PSObject would print
        /// as <c>@{id=…; name=…}</c>; ConvertTo-Json still shows the document's fields.
        /// </summary>
        internal object? ToPSObject()
        {
            object? shown = ToPSObject(JsonTree.ToPowerShell(tree), inRoles: false);
            if (shown is PSObject document)
            {
                document.Members.Add(new PSCodeMethod("ToString", DocumentText.DocumentMethod));
            }

            return shown;
        }

        /// <summary>Ordered dictionaries (the JSON tree) as PSObjects, so the document reads like ConvertFrom-Json output.</summary>
        private static object? ToPSObject(object? value, bool inRoles)
        {
            switch (value)
            {
                case OrderedDictionary dict:
                    var obj = new PSObject();
                    foreach (DictionaryEntry kv in dict)
                    {
                        // additionalProperties stays a dictionary: its keys are the service's, verbatim
                        // (a PropertyBag, which prints as name=value pairs in CSV and logs).
                        string name = (string)kv.Key;
                        object? inner = name == "additionalProperties"
                            ? (kv.Value is IDictionary bag ? new PropertyBag(bag) : kv.Value)
                            : ToPSObject(kv.Value, string.Equals(name, "allowedRoles", StringComparison.OrdinalIgnoreCase));
                        obj.Properties.Add(new PSNoteProperty(name, inner));
                    }

                    if (inRoles)
                    {
                        obj.Members.Add(new PSCodeMethod("ToString", DocumentText.RoleMethod));
                    }

                    return obj;
                case object?[] items:
                    var list = new object?[items.Length];
                    for (int i = 0; i < items.Length; i++)
                    {
                        list[i] = ToPSObject(items[i], inRoles);
                    }

                    // A list that prints as its items (an array prints as System.Object[] in CSV).
                    return DisplayList.Of(list);
                default:
                    return value;
            }
        }

        private static string TypeName(object value) =>
            (value is PSObject p ? p.BaseObject : value)?.GetType().FullName ?? "null";

        private static readonly NativeResults.OfflineCall<byte[]> ParseCall = ParseNative;

        private static unsafe uint ParseNative(byte[] document, out ResultHandle result, out ErrorHandle error)
        {
            fixed (byte* p = document)
            {
                return NativeMethods.pup_document_parse(p, (UIntPtr)document.Length, out result, out error);
            }
        }
    }
}
