using System.Management.Automation;
using PhotoUpdatePolicy.Internal;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// <para type="synopsis">Tells whether one user or app can change profile photos now, and if not why and what to do.</para>
    /// <para type="description">Judges the user (-UserId, object ID or user principal name), the
    /// service principal (-ServicePrincipalId, object ID or application ID), or without either the
    /// signed-in user or app, against the photo update policy and their role assignments. For the
    /// signed-in user it also asks the service itself (GET /beta/me/photo/getAllowedOperations).
    /// Only reads are sent.</para>
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "PhotoUpdateAccess", DefaultParameterSetName = SignedInSet)]
    [OutputType(typeof(PhotoUpdateAccessTest), typeof(bool))]
    public sealed class TestPhotoUpdateAccessCommand : GraphCmdlet
    {
        private const string SignedInSet = "SignedIn";
        private const string UserSet = "User";
        private const string ServicePrincipalSet = "ServicePrincipal";
        private const string InputObjectSet = "InputObject";

        /// <summary>The user: object ID or user principal name.</summary>
        [Parameter(ParameterSetName = UserSet, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("UserPrincipalName")]
        [ValidateNotNullOrEmpty]
        public string? UserId { get; set; }

        /// <summary>The service principal (app or managed identity): object ID or application ID.</summary>
        [Parameter(ParameterSetName = ServicePrincipalSet, Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [Alias("AppId")]
        [ValidateNotNullOrEmpty]
        public string? ServicePrincipalId { get; set; }

        /// <summary>
        /// A user or service principal from Get-PhotoUpdateAccess, from the pipeline. Bound by value,
        /// so its empty UserPrincipalName or AppId never binds to -UserId or -ServicePrincipalId
        /// (which would refuse the record); it is judged by its object ID.
        /// </summary>
        [Parameter(ParameterSetName = InputObjectSet, Mandatory = true, ValueFromPipeline = true)]
        [ValidateNotNull]
        public PhotoUpdateAccess? InputObject { get; set; }

        /// <summary>Returns only True (may change other users' photos now) or False.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        /// <summary>Answers for each input record.</summary>
        protected override void ProcessRecord()
        {
            string? userId = UserId;
            string? servicePrincipalId = ServicePrincipalId;
            if (ParameterSetName == InputObjectSet)
            {
                PhotoUpdateAccess principal = InputObject!;
                if (principal.PrincipalType == "User")
                {
                    userId = principal.Id;
                }
                else if (principal.PrincipalType == "ServicePrincipal")
                {
                    servicePrincipalId = principal.Id;
                }
                else
                {
                    string message = $"Test-PhotoUpdateAccess judges a user or a service principal; '{principal.DisplayName ?? principal.Id}' is {principal.PrincipalType}. Nothing was sent.";
                    var record = new ErrorRecord(new System.ArgumentException(message), "PhotoUpdatePolicy.NotAUserOrApp", ErrorCategory.InvalidArgument, principal);
                    record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = "Filter the input, e.g. Where-Object PrincipalType -in 'User', 'ServicePrincipal'." };
                    WriteError(record);
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
                PhotoUpdateAccessTest answer = client.CheckAccess(userId, servicePrincipalId);
                foreach (string warning in answer.Warnings)
                {
                    WriteWarning(warning);
                }

                WriteVerbose(answer.Summary);
                if (Quiet)
                {
                    WriteObject(answer.CanChangeOthersPhotos);
                }
                else
                {
                    WriteObject(answer);
                }
            }
            catch (PhotoPolicyException ex)
            {
                WriteNativeError(ex, userId ?? servicePrincipalId ?? TenantId);
            }
        }
    }
}
