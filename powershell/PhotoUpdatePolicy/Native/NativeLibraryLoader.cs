using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace PhotoUpdatePolicy.Native
{
    /// <summary>
    /// Finds and loads the native library from the module folder and checks its ABI version.
    ///
    /// PowerShell does not look in <c>runtimes/&lt;rid&gt;/native/</c> for a module's native library,
    /// and the default probing would search the current directory, so the path is anchored on this
    /// assembly's folder (<c>lib/&lt;tfm&gt;/</c>, two levels below the module root). On .NET a
    /// DllImport resolver answers for <see cref="NativeMethods.LibraryName"/>; on .NET Framework
    /// (Windows PowerShell 5.1) the DLL is preloaded by full path so that the DllImport finds the
    /// already-loaded module by name.
    /// </summary>
    internal static class NativeLibraryLoader
    {
        /// <summary>Runtime identifiers the module ships native libraries for.</summary>
        internal static readonly string[] SupportedRids =
        {
            "win-x64", "win-arm64", "linux-x64", "linux-arm64", "osx-x64", "osx-arm64",
        };

        private static readonly object Gate = new object();
        private static bool loaded;
        private static string? loadedPath;
        private static string? libraryVersion;

        /// <summary>The full path of the loaded library (after <see cref="EnsureLoaded"/>).</summary>
        internal static string? LoadedPath => loadedPath;

        /// <summary>The native library's own version string (after <see cref="EnsureLoaded"/>).</summary>
        internal static string? LibraryVersion => libraryVersion;

        /// <summary>
        /// Loads the library once per process and refuses a mismatched ABI. Throws
        /// <see cref="PlatformNotSupportedException"/>, <see cref="DllNotFoundException"/> or
        /// <see cref="InvalidOperationException"/> with a message an admin can act on.
        /// </summary>
        internal static void EnsureLoaded()
        {
            lock (Gate)
            {
                if (loaded)
                {
                    return;
                }

                string path = NativeLibraryPath();
                if (!File.Exists(path))
                {
                    throw MissingLibrary(path, CurrentRid(), RidsPresent(ModuleRoot()));
                }

                Load(path);

                uint actual;
                try
                {
                    actual = NativeMethods.pup_abi_version();
                }
                catch (EntryPointNotFoundException)
                {
                    throw new InvalidOperationException(
                        $"'{path}' is not a PhotoUpdatePolicy native library (no pup_abi_version export): reinstall the module.");
                }

                CheckAbiVersion(actual, NativeMethods.ExpectedAbiVersion);

                if (NativeMethods.pup_library_version(out IntPtr ptr, out UIntPtr len) == 0)
                {
                    libraryVersion = Utf8.Decode(ptr, len);
                }

                loadedPath = path;
                loaded = true;
            }
        }

        /// <summary>
        /// Throws when the library's ABI version differs from the one this module was compiled for.
        /// Separate from loading so a test can prove the message with a wrong expected version.
        /// </summary>
        internal static void CheckAbiVersion(uint actual, uint expected)
        {
            if (actual != expected)
            {
                throw new InvalidOperationException(
                    $"PhotoUpdatePolicy native library ABI version {actual}, module expects {expected}: reinstall the module.");
            }
        }

        /// <summary>The runtime identifier of this process, or an exception naming the supported list.</summary>
        internal static string CurrentRid()
        {
            string os;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                os = "win";
            }
            else if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
            {
                os = "linux";
            }
            else if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX))
            {
                os = "osx";
            }
            else
            {
                throw Unsupported(RuntimeInformation.OSDescription, RuntimeInformation.ProcessArchitecture.ToString());
            }

            string arch = RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => "x64",
                Architecture.Arm64 => "arm64",
                _ => throw Unsupported(os, RuntimeInformation.ProcessArchitecture.ToString()),
            };
            return os + "-" + arch;
        }

        /// <summary>The full path where the native library for this platform must be.</summary>
        internal static string NativeLibraryPath()
        {
            string rid = CurrentRid();
            string fileName = rid.StartsWith("win", StringComparison.Ordinal)
                ? NativeMethods.LibraryName + ".dll"
                : rid.StartsWith("osx", StringComparison.Ordinal)
                    ? "lib" + NativeMethods.LibraryName + ".dylib"
                    : "lib" + NativeMethods.LibraryName + ".so";
            return Path.Combine(ModuleRoot(), "runtimes", rid, "native", fileName);
        }

        /// <summary>The module root: the assembly lives in <c>&lt;root&gt;/lib/&lt;tfm&gt;/</c>.</summary>
        internal static string ModuleRoot()
        {
            string assemblyDir = Path.GetDirectoryName(typeof(NativeLibraryLoader).Assembly.Location)
                ?? throw new InvalidOperationException("Cannot find the folder of the PhotoUpdatePolicy assembly.");
            DirectoryInfo? tfmDir = new DirectoryInfo(assemblyDir);
            DirectoryInfo? root = tfmDir.Parent?.Parent;
            if (root != null && string.Equals(tfmDir.Parent!.Name, "lib", StringComparison.OrdinalIgnoreCase))
            {
                return root.FullName;
            }

            // Loaded from a flat folder (e.g. a developer's bin/): look beside the assembly.
            return assemblyDir;
        }

        /// <summary>
        /// The platforms this copy of the module carries a native library for: the names of the
        /// <c>runtimes/&lt;rid&gt;/native/</c> folders that hold a file, sorted.
        /// </summary>
        internal static string[] RidsPresent(string moduleRoot)
        {
            string runtimes = Path.Combine(moduleRoot, "runtimes");
            if (!Directory.Exists(runtimes))
            {
                return new string[0];
            }

            var rids = new System.Collections.Generic.List<string>();
            foreach (string ridDir in Directory.GetDirectories(runtimes))
            {
                string native = Path.Combine(ridDir, "native");
                if (Directory.Exists(native) && Directory.GetFiles(native).Length > 0)
                {
                    rids.Add(Path.GetFileName(ridDir));
                }
            }

            rids.Sort(StringComparer.Ordinal);
            return rids.ToArray();
        }

        /// <summary>
        /// The error for a native library that is not where it must be. Two different situations
        /// need two different actions: a build made for other platforms (e.g. an x64-only package on
        /// an ARM64 machine) needs a build that includes this platform, and reinstalling the same
        /// package cannot help; a folder that carries no native library at all, or lacks this
        /// platform's file although its folder is there, was copied or extracted incompletely.
        /// </summary>
        internal static Exception MissingLibrary(string path, string rid, string[] ridsPresent)
        {
            bool ridFolderPresent = Directory.Exists(Path.GetDirectoryName(path) ?? string.Empty);
            if (ridsPresent.Length > 0 && !ridFolderPresent)
            {
                return new PlatformNotSupportedException(
                    $"PhotoUpdatePolicy: this platform ({rid}) is not supported by this build (found: {string.Join(", ", ridsPresent)}). " +
                    $"Install a build of the module that includes {rid}; the module supports {string.Join(", ", SupportedRids)}.");
            }

            return new DllNotFoundException(
                $"PhotoUpdatePolicy native library not found at '{path}'. The module folder is incomplete: reinstall the module.");
        }

        private static PlatformNotSupportedException Unsupported(string os, string arch) =>
            new PlatformNotSupportedException(
                $"PhotoUpdatePolicy does not support this platform ({os}, {arch}). Supported: {string.Join(", ", SupportedRids)}.");

#if NET
        private static void Load(string path)
        {
            // SetDllImportResolver may be called once per assembly; `loaded` guards re-imports
            // (Import-Module -Force reuses the already-loaded assembly).
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);
            NativeLibrary.Load(path);
        }

        private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
        {
            if (libraryName != NativeMethods.LibraryName)
            {
                return IntPtr.Zero;
            }

            return NativeLibrary.Load(NativeLibraryPath());
        }
#else
        private static void Load(string path)
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                throw Unsupported(RuntimeInformation.OSDescription + " on .NET Framework", RuntimeInformation.ProcessArchitecture.ToString());
            }

            // Preload by full path: the DllImport then binds to the module already in the process
            // (Windows matches loaded modules by base name) instead of searching the current directory.
            if (LoadLibraryW(path) == IntPtr.Zero)
            {
                int code = Marshal.GetLastWin32Error();
                throw new DllNotFoundException(
                    $"Cannot load the PhotoUpdatePolicy native library '{path}' (Win32 error {code}). Reinstall the module; on Windows make sure the Visual C++ runtime is present.");
            }
        }

        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, SetLastError = true, ExactSpelling = true)]
        private static extern IntPtr LoadLibraryW(string fileName);
#endif
    }
}
