using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using PhotoUpdatePolicy.Json;
using PhotoUpdatePolicy.Native;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// Base of the cmdlets that work on one tenant or a fleet (Test-, Import-PhotoUpdatePolicy).
    ///
    /// Tenants come from <c>-TenantId a,b,c</c> (sharing one credential set) and/or from pipeline
    /// objects with a <c>TenantId</c> and their own <c>AccessToken</c>. Each record's tenants get a
    /// client in ProcessRecord (credentials resolved by <see cref="Internal.SignInParameters.Build"/>,
    /// so every sign-in mode of the module works per tenant); EndProcessing runs them all in one
    /// native fleet call (<c>pup_fleet_run</c>) with -ThrottleLimit tenants at a time. The desired
    /// state is a policy document (see docs/policy-as-code.md) from -Path or -InputObject.
    /// </summary>
    public abstract class FleetCmdlet : GraphCmdlet
    {
        private readonly List<FleetTarget> targets = new List<FleetTarget>();

        /// <summary>
        /// One or more tenant IDs or verified domains. Several tenants are processed in parallel, up
        /// to -ThrottleLimit at a time; each gets its own result.
        /// </summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public new string[]? TenantId { get; set; }

        /// <summary>
        /// A Microsoft Graph access token (SecureString or string). From the pipeline, each object's
        /// own AccessToken is used for its tenant.
        /// </summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateNotNull]
        public new object? AccessToken { get; set; }

        /// <summary>How many tenants are processed at the same time (1 to 1024).</summary>
        [Parameter]
        [ValidateRange(1, 1024)]
        public int ThrottleLimit { get; set; } = 10;

        /// <summary>The tenants collected so far (with their clients, or why no client could be made).</summary>
        internal IReadOnlyList<FleetTarget> Targets => targets;

        /// <summary>Collects this record's tenants and creates a client for each.</summary>
        protected override void ProcessRecord()
        {
            // The base class reads its own TenantId/AccessToken: hand it this record's values.
            base.AccessToken = AccessToken;
            string?[] tenants = TenantId is { Length: > 0 } ? TenantId : new string?[] { null };
            foreach (string? tenant in tenants)
            {
                base.TenantId = tenant;
                string label = string.IsNullOrWhiteSpace(tenant) ? "the token's tenant" : tenant!.Trim();
                try
                {
                    ClientHandle? client = TryCreateClient();
                    targets.Add(new FleetTarget(label, tenant, client));
                }
                finally
                {
                    base.TenantId = null;
                }
            }
        }

        /// <summary>One client per tenant of the run, not kept for later commands.</summary>
        internal override bool ReusesClients => false;

        /// <summary>Frees every client (also after Ctrl+C or a terminating error).</summary>
        protected void DisposeTargets()
        {
            foreach (FleetTarget t in targets)
            {
                t.Client?.Dispose();
            }

            targets.Clear();
        }

        /// <summary>
        /// Runs <paramref name="operation"/> (<c>test</c> or <c>apply</c>) for <paramref name="run"/>
        /// in one native call, pumping its progress and messages, and returns one entry per target
        /// (in order). Throws <see cref="PhotoPolicyException"/> only when the whole run fails
        /// (bad document, cancelled).
        /// </summary>
        internal List<FleetEntry> RunFleet(IReadOnlyList<FleetTarget> run, string operation, string desiredJson, string? backupFolder)
        {
            var request = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["operation"] = operation,
                ["desired"] = JsonCodec.Instance.Parse(desiredJson),
                ["concurrency"] = (long)Math.Min(ThrottleLimit, Math.Max(1, run.Count)),
            };
            if (backupFolder != null)
            {
                request["backupFolder"] = backupFolder;
            }

            byte[] requestBytes = Utf8.Encode(JsonCodec.Instance.Serialize(request));

            // A fleet run can take minutes and reports progress: it keeps the worker path, which
            // relays progress from whatever thread raises it while the pipeline thread waits.
            Native.Inline = false;
            Dictionary<string, object?> report = JsonTree.AsObject(
                Native.InvokeJson((CallContextHandle ctx, out ResultHandle r, out ErrorHandle e) => Invoke(run, requestBytes, ctx, out r, out e)),
                "a fleet result");

            var entries = new List<FleetEntry>();
            List<object?> results = JsonTree.List(report, "results");
            for (int i = 0; i < results.Count; i++)
            {
                if (results[i] is Dictionary<string, object?> item)
                {
                    entries.Add(FleetEntry.FromJson(item, run[i]));
                }
            }

            Dictionary<string, object?>? summary = JsonTree.Object(report, "summary");
            if (summary != null)
            {
                string text = string.Format(
                    CultureInfo.InvariantCulture,
                    "{0} tenant(s) in {1:0.0} s: {2}",
                    JsonTree.Long(summary, "total") ?? 0,
                    (JsonTree.Long(summary, "elapsedMs") ?? 0) / 1000.0,
                    operation == "test"
                        ? $"{JsonTree.Long(summary, "compliant")} compliant, {JsonTree.Long(summary, "drifted")} drifted, {JsonTree.Long(summary, "failed")} failed"
                        : $"{JsonTree.Long(summary, "changed")} changed, {JsonTree.Long(summary, "unchanged")} unchanged, {JsonTree.Long(summary, "failed")} failed");
                WriteVerbose(text);
                WriteInformation(JsonTree.ToPowerShell(summary), new[] { "PhotoUpdatePolicy", "Summary" });
            }

            WriteProgress(new ProgressRecord(1, operation == "test" ? "Testing the photo update policy" : "Applying the photo update policy", "Done") { RecordType = ProgressRecordType.Completed });
            return entries;
        }

        /// <summary>Reads a policy document from a file (resolved against the PowerShell location).</summary>
        internal string ReadDocumentFile(string path)
        {
            string full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
            try
            {
                return System.IO.File.ReadAllText(full);
            }
            catch (Exception ex) when (ex is System.IO.IOException || ex is UnauthorizedAccessException || ex is NotSupportedException || ex is ArgumentException)
            {
                ThrowUsageError("PhotoUpdatePolicy.DocumentNotReadable", $"The policy document '{full}' could not be read: {ex.Message}", ErrorCategory.ReadError, path);
                return string.Empty;
            }
        }

        /// <summary>
        /// Checks a document offline (the core's strict reader) and returns its normalised JSON and
        /// summary; a bad document stops the cmdlet before anything is sent.
        /// </summary>
        internal (string Json, string Summary) ParseDocument(string text, object? target)
        {
            byte[] bytes = Utf8.Encode(text);
            try
            {
                Dictionary<string, object?> parsed = JsonTree.AsObject(
                    Native.InvokeJson((CallContextHandle ctx, out ResultHandle r, out ErrorHandle e) => Parse(bytes, out r, out e)),
                    "a parsed document");
                return (JsonCodec.Instance.Serialize(parsed["document"]), JsonTree.String(parsed, "summary") ?? string.Empty);
            }
            catch (PhotoPolicyException ex)
            {
                ThrowTerminatingError(ex.ToErrorRecord(target, "PhotoUpdatePolicy.InvalidDocument"));
                throw;
            }
        }

        /// <summary>
        /// A document given as an object (Export output, ConvertFrom-Json, hashtable) or JSON text, as
        /// JSON text. An object that cannot be a document (a cycle, absurd nesting or size, a
        /// property that throws) stops the cmdlet with a PhotoUpdatePolicy.* ErrorRecord; see
        /// <see cref="InputObjectTree"/>.
        /// </summary>
        internal string DocumentText(object value)
        {
            if ((value is PSObject p ? p.BaseObject : value) is string text)
            {
                return text;
            }

            try
            {
                return JsonCodec.Instance.Serialize(InputObjectTree.Convert(value));
            }
            catch (InputObjectException ex)
            {
                // The target is the type's name, not the object: a cyclic object as TargetObject
                // would trip whatever formats or serialises the error record next.
                ThrowUsageError(ex.ErrorId, ex.Message, ErrorCategory.InvalidArgument, TypeName(value));
            }
            catch (Exception ex) when (ex is InvalidOperationException || ex is RuntimeException || ex is NotSupportedException || ex is ArgumentException || ex is FormatException)
            {
                ThrowUsageError("PhotoUpdatePolicy.InvalidDocument", $"The input object could not be read as a policy document: {ex.Message}", ErrorCategory.InvalidArgument, TypeName(value));
            }

            return string.Empty;
        }

        private static string TypeName(object value) =>
            (value is PSObject p ? p.BaseObject : value)?.GetType().FullName ?? "null";

        /// <summary>Writes a failed tenant's error (non-terminating).</summary>
        internal void WriteTenantError(FleetEntry entry)
        {
            if (entry.Exception != null)
            {
                WriteError(entry.Exception.ToErrorRecord(entry.TenantId ?? entry.Target.Label));
            }
        }

        private static unsafe uint Parse(byte[] document, out ResultHandle result, out ErrorHandle error)
        {
            fixed (byte* p = document)
            {
                return NativeMethods.pup_document_parse(p, (UIntPtr)document.Length, out result, out error);
            }
        }

        private static unsafe uint Invoke(IReadOnlyList<FleetTarget> run, byte[] request, CallContextHandle ctx, out ResultHandle result, out ErrorHandle error)
        {
            // Each handle is kept alive (AddRef) for the whole native call.
            var raw = new IntPtr[run.Count];
            var added = new bool[run.Count];
            try
            {
                for (int i = 0; i < run.Count; i++)
                {
                    ClientHandle client = run[i].Client ?? throw new InvalidOperationException("A fleet target has no client.");
                    client.DangerousAddRef(ref added[i]);
                    raw[i] = client.DangerousGetHandle();
                }

                fixed (IntPtr* clients = raw)
                fixed (byte* p = request)
                {
                    return NativeMethods.pup_fleet_run(clients, (UIntPtr)raw.Length, p, (UIntPtr)request.Length, ctx, out result, out error);
                }
            }
            finally
            {
                for (int i = 0; i < run.Count; i++)
                {
                    if (added[i])
                    {
                        run[i].Client!.DangerousRelease();
                    }
                }
            }
        }
    }

    /// <summary>One tenant of a fleet run: how the user named it and its client (null when it could not be created).</summary>
    internal sealed class FleetTarget
    {
        internal FleetTarget(string label, string? tenantId, ClientHandle? client)
        {
            Label = label;
            TenantId = tenantId;
            Client = client;
        }

        internal string Label { get; }

        internal string? TenantId { get; }

        internal ClientHandle? Client { get; }
    }

    /// <summary>One tenant's entry of a native fleet result.</summary>
    internal sealed class FleetEntry
    {
        private FleetEntry(FleetTarget target, Dictionary<string, object?> json)
        {
            Target = target;
            Json = json;
        }

        internal FleetTarget Target { get; }

        internal Dictionary<string, object?> Json { get; }

        internal string Status => JsonTree.String(Json, "status") ?? "failed";

        internal string? TenantId => JsonTree.String(Json, "tenantId") ?? Target.TenantId;

        internal PhotoPolicyException? Exception { get; private set; }

        internal Policy? Current => Json.TryGetValue("current", out object? c) && c != null ? Policy.FromJson(c) : null;

        internal Policy? Previous => Json.TryGetValue("previous", out object? c) && c != null ? Policy.FromJson(c) : null;

        internal PolicyDifference[] Differences
        {
            get
            {
                var list = new List<PolicyDifference>();
                foreach (object? d in JsonTree.List(Json, "differences"))
                {
                    if (d is Dictionary<string, object?> diff)
                    {
                        list.Add(PolicyDifference.FromJson(diff));
                    }
                }

                return list.ToArray();
            }
        }

        internal static FleetEntry FromJson(Dictionary<string, object?> json, FleetTarget target)
        {
            var entry = new FleetEntry(target, json);
            if (JsonTree.Object(json, "error") is Dictionary<string, object?> error)
            {
                entry.Exception = ExceptionFromJson(error);
            }

            return entry;
        }

        /// <summary>Builds the module's exception from the error JSON of the C ABI.</summary>
        internal static PhotoPolicyException ExceptionFromJson(Dictionary<string, object?> e)
        {
            long? retry = JsonTree.Long(e, "retryAfterMs");
            long? http = JsonTree.Long(e, "httpStatus");
            return new PhotoPolicyException(
                (PhotoPolicyStatus)(uint)(JsonTree.Long(e, "status") ?? (long)PhotoPolicyStatus.Internal),
                JsonTree.String(e, "message") ?? "The tenant failed.",
                http.HasValue ? (int?)http.Value : null,
                JsonTree.String(e, "code"),
                JsonTree.String(e, "requestId"),
                JsonTree.String(e, "clientRequestId"),
                JsonTree.String(e, "date"),
                retry.HasValue ? TimeSpan.FromMilliseconds(retry.Value) : (TimeSpan?)null,
                JsonTree.String(e, "recommendedAction"),
                JsonTree.String(e, "target"),
                JsonTree.String(e, "serviceMessage"),
                JsonTree.String(e, "kind"),
                JsonTree.String(e, "aadsts"));
        }
    }
}
