using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using PhotoUpdatePolicy.Native;


namespace PhotoUpdatePolicy.Net472Tests
{
    /// <summary>
    /// The net472 build's native loading path: the library's place in the module folder, anchored
    /// on the assembly (never the current directory), the platform checks and their messages, and
    /// the ABI check through real P/Invoke calls.
    /// </summary>
    public class NativeLoadingTests
    {
        [Fact]
        public void FindsTheModuleRootFromTheAssemblyInLibNet472()
        {
            Assert.Equal(Path.GetFullPath(TestEnvironment.ModuleRoot), Path.GetFullPath(NativeLibraryLoader.ModuleRoot()));
        }

        [Fact]
        public void ThePathIsUnderRuntimesRidNativeOfTheModuleAndTheFileIsThere()
        {
            string rid = NativeLibraryLoader.CurrentRid();
            Assert.Contains(rid, NativeLibraryLoader.SupportedRids);
            string expected = Path.Combine(TestEnvironment.ModuleRoot, "runtimes", rid, "native");
            string path = NativeLibraryLoader.NativeLibraryPath();
            Assert.Equal(Path.GetFullPath(expected), Path.GetDirectoryName(Path.GetFullPath(path)));
            Assert.True(File.Exists(path), path);
        }

        [Fact]
        public void DoesNotDependOnTheCurrentDirectory()
        {
            string before = Environment.CurrentDirectory;
            string elsewhere = Path.Combine(Path.GetTempPath(), "pup-net472-cwd-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(elsewhere);
            try
            {
                string fromHere = NativeLibraryLoader.NativeLibraryPath();
                Environment.CurrentDirectory = elsewhere;
                Assert.Equal(fromHere, NativeLibraryLoader.NativeLibraryPath());
            }
            finally
            {
                Environment.CurrentDirectory = before;
                Directory.Delete(elsewhere, true);
            }
        }

        [Fact]
        public void ListsThePlatformsTheFolderCarries()
        {
            Assert.Contains(NativeLibraryLoader.CurrentRid(), NativeLibraryLoader.RidsPresent(TestEnvironment.ModuleRoot));
            Assert.Empty(NativeLibraryLoader.RidsPresent(Path.Combine(Path.GetTempPath(), "pup-no-such-folder-" + Guid.NewGuid().ToString("N"))));
        }

        [Fact]
        public void TellsAnotherPlatformsBuildFromAnIncompleteFolder()
        {
            string root = Path.Combine(Path.GetTempPath(), "pup-net472-rids-" + Guid.NewGuid().ToString("N"));
            try
            {
                Directory.CreateDirectory(Path.Combine(root, "runtimes", "win-x64", "native"));
                File.WriteAllText(Path.Combine(root, "runtimes", "win-x64", "native", "photo_update_policy.dll"), "x");
                string missing = Path.Combine(root, "runtimes", "linux-arm64", "native", "libphoto_update_policy.so");

                Exception other = NativeLibraryLoader.MissingLibrary(missing, "linux-arm64", NativeLibraryLoader.RidsPresent(root));
                Assert.IsType<PlatformNotSupportedException>(other);
                Assert.StartsWith("PhotoUpdatePolicy: this platform (linux-arm64) is not supported by this build (found: win-x64).", other.Message);

                Directory.CreateDirectory(Path.GetDirectoryName(missing)!);
                Exception incomplete = NativeLibraryLoader.MissingLibrary(missing, "linux-arm64", NativeLibraryLoader.RidsPresent(root));
                Assert.IsType<DllNotFoundException>(incomplete);
                Assert.Equal($"PhotoUpdatePolicy native library not found at '{missing}'. The module folder is incomplete: reinstall the module.", incomplete.Message);
            }
            finally
            {
                Directory.Delete(root, true);
            }
        }

        [Fact]
        public void RefusesAnotherAbiVersionWithTheReinstallMessage()
        {
            var ex = Assert.Throws<InvalidOperationException>(() => NativeLibraryLoader.CheckAbiVersion(1, 2));
            Assert.Equal("PhotoUpdatePolicy native library ABI version 1, module expects 2: reinstall the module.", ex.Message);
            NativeLibraryLoader.CheckAbiVersion(NativeMethods.ExpectedAbiVersion, NativeMethods.ExpectedAbiVersion);
        }

        [Fact]
        public void EnsureLoadedLoadsOnWindowsAndExplainsOtherSystems()
        {
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                NativeLibraryLoader.EnsureLoaded();
                Assert.Equal(NativeLibraryLoader.NativeLibraryPath(), NativeLibraryLoader.LoadedPath);
                Assert.False(string.IsNullOrEmpty(NativeLibraryLoader.LibraryVersion));
            }
            else
            {
                // The preload (LoadLibraryW) is Windows PowerShell's; elsewhere the build says so
                // instead of failing somewhere inside a cmdlet.
                var ex = Assert.Throws<PlatformNotSupportedException>(() => NativeLibraryLoader.EnsureLoaded());
                Assert.Contains("on .NET Framework", ex.Message);
                Assert.Contains("Supported: win-x64", ex.Message);
            }
        }

        [Fact]
        public void CallsTheModulesOwnLibraryThroughPInvoke()
        {
            Assert.Equal(NativeMethods.ExpectedAbiVersion, NativeMethods.pup_abi_version());
            Assert.Equal(0u, NativeMethods.pup_library_version(out IntPtr ptr, out UIntPtr len));
            string? version = Utf8.Decode(ptr, len);
            Version assembly = typeof(NativeLibraryLoader).Assembly.GetName().Version!;
            Assert.Equal($"{assembly.Major}.{assembly.Minor}.{assembly.Build}", version);

            if (File.Exists("/proc/self/maps"))
            {
                // The library mapped into this process is the module folder's file, not another copy.
                string expected = Path.GetFullPath(NativeLibraryLoader.NativeLibraryPath());
                string[] maps = File.ReadAllLines("/proc/self/maps");
                Assert.Contains(maps, line => line.EndsWith(expected, StringComparison.Ordinal));
                Assert.DoesNotContain(maps, line => line.Contains("photo_update_policy") && !line.EndsWith(expected, StringComparison.Ordinal));
            }
        }
    }
}
