using System.Collections.ObjectModel;
using System.IO;
using System.Management.Automation;
using PhotoUpdatePolicy.Internal;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// <para type="synopsis">Saves the tenant's photo update policy as a policy document (JSON).</para>
    /// <para type="description">With -Path or -LiteralPath the document is written to the file
    /// atomically (an existing file needs -Force; -WhatIf and -Confirm ask first) and the file is
    /// returned, as New-Item returns it, so it pipes into Test- and Import-PhotoUpdatePolicy. Without
    /// them the document is written to the pipeline as an object that Test- and
    /// Import-PhotoUpdatePolicy take as -InputObject (also from the pipeline).</para>
    /// </summary>
    [Cmdlet(VerbsData.Export, "PhotoUpdatePolicy", SupportsShouldProcess = true, DefaultParameterSetName = DocumentSet)]
    [OutputType(typeof(PSObject), ParameterSetName = new[] { DocumentSet })]
    [OutputType(typeof(FileInfo), ParameterSetName = new[] { PathSet, LiteralPathSet })]
    public sealed class ExportPhotoUpdatePolicyCommand : GraphCmdlet
    {
        private const string DocumentSet = "Document";
        private const string PathSet = "Path";
        private const string LiteralPathSet = "LiteralPath";

        /// <summary>
        /// The file to write. Relative paths are resolved against the PowerShell location; ~ and
        /// PSDrives work; a wildcard must match exactly one existing file (use -LiteralPath for a
        /// name that holds wildcard characters).
        /// </summary>
        [Parameter(ParameterSetName = PathSet, Mandatory = true, Position = 0)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string? Path { get; set; }

        /// <summary>The file to write, used exactly as given (no wildcard expansion).</summary>
        [Parameter(ParameterSetName = LiteralPathSet, Mandatory = true)]
        [Alias("PSPath", "LP")]
        [ValidateNotNullOrEmpty]
        public string? LiteralPath { get; set; }

        /// <summary>Replaces an existing file.</summary>
        [Parameter(ParameterSetName = PathSet)]
        [Parameter(ParameterSetName = LiteralPathSet)]
        public SwitchParameter Force { get; set; }

        /// <summary>Reads the policy and writes the document (to the file, after ShouldProcess, or to the pipeline).</summary>
        protected override void ProcessRecord()
        {
            string? file = null;
            if (ParameterSetName != DocumentSet)
            {
                file = ResolveFile();
                bool exists = File.Exists(file);
                string action = !exists ? "Export the photo update policy document"
                    : Force ? "Replace the file with the photo update policy document"
                    : "Export the photo update policy document (the file exists: without -Force nothing would be written)";
                if (!ShouldProcess(file, action))
                {
                    return;
                }
            }

            using NativeClient? client = TryCreateClient();
            if (client == null)
            {
                return;
            }

            try
            {
                PolicyDocument document = client.Export(file, Force.IsPresent);
                if (file == null)
                {
                    WriteObject(document.ToPSObject());
                }
                else
                {
                    WriteObject(WrittenFile(file));
                }
            }
            catch (PhotoPolicyException ex)
            {
                WriteNativeError(ex, (object?)file ?? TenantId);
            }
        }

        /// <summary>The file system path of -Path or -LiteralPath; a path that cannot be written stops the cmdlet.</summary>
        private string ResolveFile()
        {
            try
            {
                return ParameterSetName == LiteralPathSet
                    ? FileSystemPaths.Resolve(this, LiteralPath!, literal: true)
                    : FileSystemPaths.Resolve(this, Path!, literal: false);
            }
            catch (UsageException ex)
            {
                ThrowUsageError(ex.ErrorId, ex.Message, ErrorCategory.InvalidArgument, ex.Target);
                throw;
            }
        }

        /// <summary>
        /// The file written, as Get-Item shows it (with PSPath, so it binds to -LiteralPath of Test-
        /// and Import-PhotoUpdatePolicy and formats as a file listing).
        /// </summary>
        private object WrittenFile(string file)
        {
            try
            {
                Collection<PSObject> items = InvokeProvider.Item.Get(new[] { file }, false, true);
                if (items.Count == 1)
                {
                    return items[0];
                }
            }
            catch (RuntimeException)
            {
                // The file was written; a provider that cannot show it still leaves the file.
            }

            return new FileInfo(file);
        }
    }
}
