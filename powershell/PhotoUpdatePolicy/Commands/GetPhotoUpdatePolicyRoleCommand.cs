using System;
using System.Linq;
using System.Management.Automation;
using PhotoUpdatePolicy.Internal;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// <para type="synopsis">Lists the directory roles that may appear in the photo update policy's allowed roles.</para>
    /// <para type="description">Offline: the catalog ships with the module. -Name accepts display names,
    /// aliases, template IDs and wildcards.</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "PhotoUpdatePolicyRole")]
    [OutputType(typeof(RoleInfo))]
    public sealed class GetPhotoUpdatePolicyRoleCommand : PhotoPolicyCmdlet
    {
        /// <summary>Role names, aliases or template IDs; wildcards are allowed. Omit to list all.</summary>
        [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(RoleNameCompleter))]
        public string[]? Name { get; set; }

        /// <summary>Writes the matching roles.</summary>
        protected override void ProcessRecord()
        {
            RoleInfo[] catalog;
            try
            {
                catalog = RoleCatalog.Load();
            }
            catch (PhotoPolicyException ex)
            {
                WriteNativeError(ex, null);
                return;
            }

            if (Name == null)
            {
                WriteObject(catalog, enumerateCollection: true);
                return;
            }

            foreach (string name in Name)
            {
                if (WildcardPattern.ContainsWildcardCharacters(name))
                {
                    var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
                    foreach (RoleInfo role in catalog.Where(r => pattern.IsMatch(r.Name) || pattern.IsMatch(r.Id) || r.Aliases.Any(pattern.IsMatch)))
                    {
                        WriteObject(role);
                    }

                    continue;
                }

                try
                {
                    // The core's resolver accepts aliases, any casing, braces and whitespace, and
                    // names the closest role when nothing matches.
                    string? id = RoleCatalog.ResolveId(name);
                    RoleInfo? match = catalog.FirstOrDefault(r => string.Equals(r.Id, id, StringComparison.OrdinalIgnoreCase));
                    if (match != null)
                    {
                        WriteObject(match);
                    }
                }
                catch (PhotoPolicyException ex)
                {
                    WriteNativeError(ex, name, "PhotoUpdatePolicy.InvalidRole");
                }
            }
        }
    }
}
