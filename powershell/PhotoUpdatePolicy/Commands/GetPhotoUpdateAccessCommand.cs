using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using PhotoUpdatePolicy.Internal;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// <para type="synopsis">Shows who may change profile photos under the policy, and which apps will break.</para>
    /// <para type="description">Reads the photo update policy and the directory behind it (role
    /// assignments, PIM eligibilities, role-assignable groups, the apps' Microsoft Graph application
    /// permissions) and returns one object per user, group and service principal: whether it may
    /// change photos (CanChangeOthersPhotos), through which role (Via), where (Scope), why (Reason)
    /// and what to do (Fix). Apps whose photo writes the service will refuse have WillBeRefused.
    /// Only reads are sent; one tenant or many.</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "PhotoUpdateAccess")]
    [OutputType(typeof(PhotoUpdateAccess))]
    public sealed class GetPhotoUpdateAccessCommand : FleetCmdlet
    {
        /// <summary>Also lists each member of a role-assignable group that holds a role, as a principal of its own.</summary>
        [Parameter]
        public SwitchParameter ExpandGroups { get; set; }

        /// <summary>
        /// Judges these roles (names or template IDs) instead of the policy's, e.g. before setting
        /// them; @() for no restriction. The tenant's policy is not changed.
        /// </summary>
        [Parameter]
        [AllowEmptyCollection]
        [ArgumentCompleter(typeof(RoleNameCompleter))]
        public string[]? AllowedRoles { get; set; }

        /// <summary>Reads every tenant collected and writes their principals.</summary>
        protected override void EndProcessing()
        {
            try
            {
                List<FleetTarget> runnable = Targets.Where(t => t.Client != null).ToList();
                if (runnable.Count == 0)
                {
                    return;
                }

                List<PhotoAccessTenant> tenants = AccessRun.Get(Native, runnable, ExpandGroups, AllowedRoles, ThrottleLimit);
                bool many = tenants.Count > 1;
                foreach (PhotoAccessTenant tenant in tenants)
                {
                    string label = tenant.TenantId ?? tenant.Label;
                    if (tenant.Exception != null)
                    {
                        WriteNativeError(tenant.Exception, label);
                        continue;
                    }

                    foreach (string warning in tenant.Warnings)
                    {
                        WriteWarning(many ? $"[{label}] {warning}" : warning);
                    }

                    if (tenant.Summary != null)
                    {
                        WriteVerbose(many ? $"[{label}] {tenant.Summary}" : tenant.Summary);
                        WriteInformation(tenant.Summary, new[] { "PhotoUpdatePolicy", "Summary" });
                    }

                    foreach (PhotoUpdateAccess principal in tenant.Principals)
                    {
                        WriteObject(principal);
                    }
                }
            }
            catch (PhotoPolicyException ex)
            {
                ThrowTerminatingError(ex.ToErrorRecord(null));
            }
            finally
            {
                DisposeTargets();
            }
        }
    }
}
