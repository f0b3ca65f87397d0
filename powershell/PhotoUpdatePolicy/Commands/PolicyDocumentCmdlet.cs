using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using PhotoUpdatePolicy.Internal;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// Base of the fleet cmdlets that take a policy document as the desired state (Test- and
    /// Import-PhotoUpdatePolicy): from -Path (wildcards), -LiteralPath or -InputObject, given on the
    /// command line or from the pipeline.
    /// </summary>
    /// <remarks>
    /// Given on the command line, every document is read and checked before any tenant is, and each
    /// runs against all the tenants collected from the pipeline (in EndProcessing). Piped in
    /// (<c>Get-ChildItem *.json | Test-PhotoUpdatePolicy</c>, <c>Export-PhotoUpdatePolicy |
    /// Import-PhotoUpdatePolicy</c>), each input object brings its document, which runs against
    /// that record's tenants as soon as it arrives. Piped files bind to -LiteralPath by their
    /// PSPath or FullName, as with PowerShell's own file cmdlets, so a file name holding [ ] is
    /// read as it is.
    /// </remarks>
    public abstract class PolicyDocumentCmdlet : FleetCmdlet
    {
        /// <summary>The parameter set of -Path.</summary>
        protected const string PathSet = "Path";

        /// <summary>The parameter set of -LiteralPath.</summary>
        protected const string LiteralPathSet = "LiteralPath";

        /// <summary>The parameter set of -InputObject.</summary>
        protected const string ObjectSet = "InputObject";

        private List<PolicyDocument>? commandLineDocuments;

        /// <summary>
        /// Policy documents (JSON files), e.g. exports or backups; wildcards are expanded (each file
        /// matched is one document). Relative paths are resolved against the PowerShell location.
        /// </summary>
        [Parameter(ParameterSetName = PathSet, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[]? Path { get; set; }

        /// <summary>
        /// Policy documents (JSON files), used exactly as given: no wildcard expansion. Files piped in
        /// (Get-Item, Get-ChildItem, Export-PhotoUpdatePolicy -Path) bind here by PSPath or FullName.
        /// </summary>
        [Parameter(ParameterSetName = LiteralPathSet, Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [Alias("PSPath", "LP", "FullName")]
        [ValidateNotNullOrEmpty]
        public string[]? LiteralPath { get; set; }

        /// <summary>
        /// The document as an object (Export-PhotoUpdatePolicy output, ConvertFrom-Json output, a
        /// hashtable), as JSON text, or a Policy from Get-PhotoUpdatePolicy (its Source and
        /// AllowedRoles).
        /// </summary>
        [Parameter(ParameterSetName = ObjectSet, Mandatory = true, ValueFromPipeline = true)]
        [ValidateNotNull]
        public PolicyDocumentInput? InputObject { get; set; }

        /// <summary>
        /// Accepts a document whose allowed roles include roles that hold the photo permission but
        /// that the service refuses (Directory Writers, Intune Administrator, Partner Tier1/Tier2
        /// Support), with a warning. Without it such a document is refused before anything is sent.
        /// </summary>
        [Parameter]
        public SwitchParameter AllowRefusedRole { get; set; }

        /// <summary>Reads the desired state given on the command line, before any tenant is read.</summary>
        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            if (DesiredStateOnCommandLine())
            {
                try
                {
                    commandLineDocuments = ReadDesiredState();
                }
                catch (DocumentError error)
                {
                    // Given on the command line: nothing runs until every document is right.
                    ThrowTerminatingError(error.Record);
                }
            }
        }

        /// <summary>Collects this record's tenants; a piped document runs against them now.</summary>
        protected override void ProcessRecord()
        {
            if (commandLineDocuments != null)
            {
                base.ProcessRecord();
                return;
            }

            // The record's document is read and checked before its tenants are signed in to. A
            // piped file or object that is not a document is this record's error (as Get-Content
            // reports a piped folder): the other records still run, unless -ErrorAction Stop.
            List<PolicyDocument> documents;
            try
            {
                documents = ReadDesiredState();
            }
            catch (DocumentError error)
            {
                WriteError(error.Record);
                return;
            }

            base.ProcessRecord();
            try
            {
                foreach (PolicyDocument document in documents)
                {
                    RunDocument(document);
                }
            }
            finally
            {
                DisposeTargets();
            }
        }

        /// <summary>Runs each document given on the command line against every tenant collected.</summary>
        protected override void EndProcessing()
        {
            if (commandLineDocuments == null)
            {
                return;
            }

            try
            {
                foreach (PolicyDocument document in commandLineDocuments)
                {
                    RunDocument(document);
                }
            }
            finally
            {
                DisposeTargets();
            }
        }

        /// <summary>Tests or applies <paramref name="desired"/> for the tenants collected (<see cref="FleetCmdlet.Targets"/>).</summary>
        internal abstract void RunDocument(PolicyDocument desired);

        /// <summary>Whether the desired state is given by parameters other than the document ones (Test's -Source/-AllowedRoles).</summary>
        internal virtual bool HasOtherDesiredState => false;

        /// <summary>The desired state from parameters other than the document ones, as document text; null when none is given.</summary>
        internal virtual string? OtherDesiredStateText() => null;

        /// <summary>
        /// Whether the desired state was given on the command line (then it is read once, before
        /// the pipeline); otherwise each input object brings its own. Pipeline-bound values are
        /// not in MyInvocation.BoundParameters yet when BeginProcessing runs.
        /// </summary>
        private bool DesiredStateOnCommandLine()
        {
            var bound = MyInvocation.BoundParameters;
            return bound.ContainsKey(nameof(Path)) || bound.ContainsKey(nameof(LiteralPath)) || bound.ContainsKey(nameof(InputObject)) || HasOtherDesiredState;
        }

        /// <summary>
        /// The documents of the current parameter values, each checked by the core's reader.
        /// Throws <see cref="DocumentError"/> for a path or document that cannot be used.
        /// </summary>
        private List<PolicyDocument> ReadDesiredState()
        {
            var documents = new List<PolicyDocument>();
            switch (ParameterSetName)
            {
                case PathSet:
                case LiteralPathSet:
                    bool literal = ParameterSetName == LiteralPathSet;
                    foreach (string path in (literal ? LiteralPath : Path) ?? Array.Empty<string>())
                    {
                        foreach (string file in ResolveDocumentPaths(path, literal))
                        {
                            documents.Add(ParseDocument(ReadDocumentFile(file), file));
                        }
                    }

                    break;
                case ObjectSet:
                    object value = InputObject!.Value is PSObject p ? p.BaseObject : InputObject.Value;
                    if (value is FileSystemInfo item)
                    {
                        // A file given as the object (-InputObject (Get-Item x.json)) is read as a file.
                        foreach (string file in ResolveDocumentPaths(item.FullName, literal: true))
                        {
                            documents.Add(ParseDocument(ReadDocumentFile(file), file));
                        }
                    }
                    else
                    {
                        RefuseTenantObject(InputObject);

                        // The target is the type's name, never the object: it may hold a token.
                        documents.Add(ParseDocument(InputObjectText(InputObject), InputObject.ToString()));
                    }

                    break;
                default:
                    string? text = OtherDesiredStateText();
                    if (text == null)
                    {
                        ThrowUsageError("PhotoUpdatePolicy.NoDesiredState", "Nothing to compare: give -Path, -LiteralPath, -InputObject, -Source or -AllowedRoles.", ErrorCategory.InvalidArgument, null);
                    }

                    documents.Add(ParseDocument(text!, null));
                    break;
            }

            return documents;
        }

        /// <summary>
        /// A tenant object (TenantId and AccessToken, as piped for a fleet run) that reached
        /// -InputObject because no document was given: stops with what to give instead, and keeps
        /// its token out of the error record (PowerShell attaches the bound parameters to it).
        /// </summary>
        private void RefuseTenantObject(PolicyDocumentInput input)
        {
            object value = input.Value is PSObject p && !(p.BaseObject is PSCustomObject) ? p.BaseObject : input.Value;
            bool tenant = value is PSObject shown ? shown.Properties["AccessToken"] != null
                : value is IDictionary dictionary && dictionary.Contains("AccessToken");
            if (!tenant)
            {
                return;
            }

            MyInvocation.BoundParameters[nameof(InputObject)] = "<redacted>";
            RedactBoundSecret(nameof(AccessToken));
            ThrowUsageError(
                "PhotoUpdatePolicy.NoDesiredState",
                "The input object has an AccessToken, so it is a tenant to work on, not a policy document: give the desired state with -Path, -LiteralPath or -InputObject when piping tenants.",
                ErrorCategory.InvalidArgument,
                null,
                "Example: $tenants | " + MyInvocation.MyCommand.Name + " -Path ./baseline.json");
        }

        private IReadOnlyList<string> ResolveDocumentPaths(string path, bool literal)
        {
            try
            {
                return FileSystemPaths.ResolveExisting(this, path, literal);
            }
            catch (UsageException ex)
            {
                throw new DocumentError(UsageErrorRecord(ex.ErrorId, ex.Message, ErrorCategory.InvalidArgument, ex.Target));
            }
        }

        /// <summary>Reads a policy document file (a file system path, already resolved).</summary>
        private string ReadDocumentFile(string file)
        {
            try
            {
                return File.ReadAllText(file);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException || ex is ArgumentException)
            {
                throw new DocumentError(UsageErrorRecord("PhotoUpdatePolicy.DocumentNotReadable", $"The policy document '{file}' could not be read: {ex.Message}", ErrorCategory.ReadError, file));
            }
        }

        /// <summary>
        /// Checks a document offline (the core's strict reader) and returns it normalised; a bad
        /// document is a <see cref="DocumentError"/>, before anything is sent.
        /// </summary>
        private PolicyDocument ParseDocument(string text, object? target)
        {
            try
            {
                PolicyDocument document = PolicyDocument.Parse(text, AllowRefusedRole);
                foreach (string warning in document.Warnings)
                {
                    WriteWarning(warning);
                }

                WriteVerbose(target is string file && ParameterSetName != ObjectSet
                    ? $"Desired state from '{file}': {document.Summary}"
                    : $"Desired state: {document.Summary}");
                return document;
            }
            catch (PhotoPolicyException ex)
            {
                throw new DocumentError(ex.ToErrorRecord(target, "PhotoUpdatePolicy.InvalidDocument"));
            }
        }

        /// <summary>
        /// A document given as an object (Export output, ConvertFrom-Json, hashtable, Policy) or JSON
        /// text, as JSON text. An object that cannot be a document (a cycle, absurd nesting or size,
        /// a property that throws) stops the cmdlet with a PhotoUpdatePolicy.* ErrorRecord; see
        /// <see cref="PolicyDocument.TextOf(object)"/>.
        /// </summary>
        private string InputObjectText(PolicyDocumentInput value)
        {
            try
            {
                return PolicyDocument.TextOf(value);
            }
            catch (UsageException ex)
            {
                throw new DocumentError(UsageErrorRecord(ex.ErrorId, ex.Message, ErrorCategory.InvalidArgument, ex.Target));
            }
        }

        /// <summary>A path or document that cannot be used, as the ErrorRecord to write or throw.</summary>
        private sealed class DocumentError : Exception
        {
            internal DocumentError(ErrorRecord record)
                : base(record.Exception.Message)
            {
                Record = record;
            }

            internal ErrorRecord Record { get; }
        }
    }
}
