using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// Turns the paths users give (-Path, -LiteralPath, -BackupPath) into file system paths the
    /// core can open, the way PowerShell's own file cmdlets do: relative to the PowerShell location
    /// (not the process's working directory), <c>~</c>, PSDrives (New-PSDrive), and wildcards for
    /// -Path only. A path of another provider (<c>HKLM:\</c>, <c>Env:</c>, <c>Cert:</c>) is refused,
    /// naming it: the core would otherwise read the provider's own path as a file name relative to
    /// the process's directory.
    /// </summary>
    internal static class FileSystemPaths
    {
        /// <summary>
        /// The existing files <paramref name="path"/> names: with <paramref name="literal"/> the path
        /// as given (no wildcard expansion; a missing file is left for the reader to report), else
        /// every file its wildcards match, in PowerShell's order. A pattern that matches nothing, a
        /// folder and a path outside the file system are refused.
        /// </summary>
        /// <exception cref="UsageException">The path cannot name a policy document.</exception>
        internal static IReadOnlyList<string> ResolveExisting(PSCmdlet cmdlet, string path, bool literal)
        {
            var files = new List<string>();
            if (literal || !WildcardPattern.ContainsWildcardCharacters(path))
            {
                files.Add(Resolve(cmdlet, path, literal: true));
            }
            else
            {
                files.AddRange(ResolveMatches(cmdlet, path));
                if (files.Count == 0)
                {
                    throw NothingMatches(path);
                }
            }

            foreach (string file in files)
            {
                if (Directory.Exists(file))
                {
                    throw new UsageException(
                        "PhotoUpdatePolicy.PathIsFolder",
                        $"The path '{path}' names the folder '{file}', not a policy document: give the document's file (e.g. '{System.IO.Path.Combine(file, "*.json")}' for every document in it).",
                        path);
                }
            }

            return files;
        }

        /// <summary>
        /// The file system path of <paramref name="path"/>, which need not exist (a file to read or
        /// write, a backup folder to create): relative to the PowerShell location, <c>~</c> and PSDrives
        /// resolved. Without <paramref name="literal"/>, a path with wildcards that match existing
        /// items must match exactly one; one that matches nothing names a new file as written (as
        /// Out-File's -FilePath does).
        /// </summary>
        /// <exception cref="UsageException">A path of another provider, an unknown drive, or a
        /// pattern that matches several items.</exception>
        internal static string Resolve(PSCmdlet cmdlet, string path, bool literal)
        {
            if (!literal && WildcardPattern.ContainsWildcardCharacters(path))
            {
                IReadOnlyList<string> matches = ResolveMatches(cmdlet, path);
                if (matches.Count > 1)
                {
                    throw new UsageException(
                        "PhotoUpdatePolicy.PathAmbiguous",
                        $"The path '{path}' matches {matches.Count} items ({string.Join(", ", matches)}); it must name one file. Give the file's name, or use -LiteralPath for a name that holds wildcard characters.",
                        path);
                }

                if (matches.Count == 1)
                {
                    return matches[0];
                }
            }

            string full;
            ProviderInfo provider;
            try
            {
                full = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out provider, out PSDriveInfo _);
            }
            catch (Exception ex) when (IsPathError(ex))
            {
                throw NotUsable(path, ex);
            }

            RequireFileSystem(provider, path);
            return full;
        }

        /// <summary>The file system items a wildcard path matches (none when it matches nothing).</summary>
        private static IReadOnlyList<string> ResolveMatches(PSCmdlet cmdlet, string path)
        {
            try
            {
                var matches = new List<string>(cmdlet.SessionState.Path.GetResolvedProviderPathFromPSPath(path, out ProviderInfo provider));
                RequireFileSystem(provider, path);
                return matches;
            }
            catch (ItemNotFoundException)
            {
                return Array.Empty<string>();
            }
            catch (Exception ex) when (IsPathError(ex))
            {
                throw NotUsable(path, ex);
            }
        }

        private static void RequireFileSystem(ProviderInfo provider, string path)
        {
            if (!string.Equals(provider.Name, "FileSystem", StringComparison.OrdinalIgnoreCase))
            {
                throw new UsageException(
                    "PhotoUpdatePolicy.NotAFileSystemPath",
                    $"The path '{path}' is in the {provider.Name} provider, not the file system: policy documents and backups are files. Give a file system path (e.g. './policy.json', '~/policy.json' or a FileSystem PSDrive).",
                    path);
            }
        }

        private static UsageException NothingMatches(string path) => new UsageException(
            "PhotoUpdatePolicy.PathNotFound",
            $"No file matches the path '{path}'. Check the name and the current location; use -LiteralPath for a file whose name holds wildcard characters such as [ ].",
            path);

        private static UsageException NotUsable(string path, Exception ex) => new UsageException(
            "PhotoUpdatePolicy.PathNotUsable",
            $"The path '{path}' cannot be used: {ex.Message}",
            path);

        // What PowerShell's path resolution throws for a path it cannot resolve (an unknown drive or
        // provider, a malformed path); anything else is a bug and is not hidden.
        private static bool IsPathError(Exception ex) =>
            ex is System.Management.Automation.DriveNotFoundException || ex is System.IO.DriveNotFoundException || ex is ProviderNotFoundException || ex is ItemNotFoundException
            || ex is NotSupportedException || ex is ArgumentException || ex is PSInvalidOperationException
            || ex is ProviderInvocationException || ex is IOException || ex is UnauthorizedAccessException;
    }
}
