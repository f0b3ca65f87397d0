using System;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.IO;
using System.Management.Automation;
using PhotoUpdatePolicy.Json;
using PhotoUpdatePolicy.Native;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// <para type="synopsis">Saves the tenant's photo update policy as a policy document (JSON).</para>
    /// <para type="description">With -Path the document is written to the file atomically (an existing
    /// file needs -Force); without it the document is written to the pipeline as an object that
    /// Import- and Test-PhotoUpdatePolicy accept as -InputObject.</para>
    /// </summary>
    [Cmdlet(VerbsData.Export, "PhotoUpdatePolicy")]
    [OutputType(typeof(PSObject), typeof(FileInfo))]
    public sealed class ExportPhotoUpdatePolicyCommand : GraphCmdlet
    {
        /// <summary>The file to write; relative paths are resolved against the current location.</summary>
        [Parameter(Position = 0)]
        [ValidateNotNullOrEmpty]
        public string? Path { get; set; }

        /// <summary>Overwrites an existing file.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>With -Path: returns the file written.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <summary>Reads the policy and writes the document.</summary>
        protected override void ProcessRecord()
        {
            using ClientHandle? client = TryCreateClient();
            if (client == null)
            {
                return;
            }

            string? full = Path == null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
            var options = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (full != null)
            {
                options["path"] = full;
                options["overwrite"] = Force.IsPresent;
            }

            byte[] optionsBytes = Utf8.Encode(JsonCodec.Instance.Serialize(options));
            try
            {
                Dictionary<string, object?> result = JsonTree.AsObject(
                    Native.InvokeJson((CallContextHandle ctx, out ResultHandle r, out ErrorHandle e) => Export(client, optionsBytes, ctx, out r, out e)),
                    "an export result");
                if (full == null)
                {
                    WriteObject(ToPSObject(JsonTree.ToPowerShell(result["document"])));
                }
                else if (PassThru)
                {
                    WriteObject(new FileInfo(full));
                }
            }
            catch (PhotoPolicyException ex)
            {
                WriteNativeError(ex, (object?)full ?? TenantId);
            }
        }

        /// <summary>Ordered dictionaries (the JSON tree) as PSObjects, so the document reads like ConvertFrom-Json output.</summary>
        internal static object? ToPSObject(object? value)
        {
            switch (value)
            {
                case OrderedDictionary dict:
                    var obj = new PSObject();
                    foreach (System.Collections.DictionaryEntry kv in dict)
                    {
                        // additionalProperties stays a dictionary: its keys are the service's, verbatim.
                        object? inner = (string)kv.Key == "additionalProperties" ? kv.Value : ToPSObject(kv.Value);
                        obj.Properties.Add(new PSNoteProperty((string)kv.Key, inner));
                    }

                    return obj;
                case object?[] items:
                    var list = new object?[items.Length];
                    for (int i = 0; i < items.Length; i++)
                    {
                        list[i] = ToPSObject(items[i]);
                    }

                    return list;
                default:
                    return value;
            }
        }

        private static unsafe uint Export(ClientHandle client, byte[] options, CallContextHandle ctx, out ResultHandle result, out ErrorHandle error)
        {
            fixed (byte* p = options)
            {
                return NativeMethods.pup_policy_export(client, p, (UIntPtr)options.Length, ctx, out result, out error);
            }
        }
    }
}
