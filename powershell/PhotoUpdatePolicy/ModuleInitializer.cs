using System.Management.Automation;
using PhotoUpdatePolicy.Native;

namespace PhotoUpdatePolicy
{
    /// <summary>
    /// Runs when PowerShell imports the module assembly: loads the native library and checks its ABI
    /// version, so a broken or mismatched install fails at Import-Module rather than at first use.
    /// </summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer
    {
        /// <summary>Called by PowerShell on import.</summary>
        public void OnImport() => NativeLibraryLoader.EnsureLoaded();
    }
}
