using System.IO;
using System.Management.Automation;
using PhotoUpdatePolicy.Internal;

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
            using NativeClient? client = TryCreateClient();
            if (client == null)
            {
                return;
            }

            string? full = Path == null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
            try
            {
                PolicyDocument document = client.Export(full, Force.IsPresent);
                if (full == null)
                {
                    WriteObject(document.ToPSObject());
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
    }
}
