using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using PhotoUpdatePolicy.Internal;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// Tab completion of role names from the catalog, so nobody types a GUID by hand. Names with
    /// spaces are single-quoted; the tooltip shows the template ID and any note.
    /// </summary>
    public sealed class RoleNameCompleter : IArgumentCompleter
    {
        /// <summary>Returns the catalog roles whose name (or alias) starts with, or contains, the word.</summary>
        public IEnumerable<CompletionResult> CompleteArgument(
            string commandName,
            string parameterName,
            string wordToComplete,
            CommandAst commandAst,
            IDictionary fakeBoundParameters)
        {
            RoleInfo[] roles;
            try
            {
                roles = RoleCatalog.Load();
            }
            catch (Exception)
            {
                // Completion must never throw at the user; no suggestions is the safe answer.
                return Array.Empty<CompletionResult>();
            }

            string word = (wordToComplete ?? string.Empty).Trim('\'', '"');
            IEnumerable<RoleInfo> prefix = roles.Where(r =>
                r.Name.StartsWith(word, StringComparison.OrdinalIgnoreCase)
                || r.Aliases.Any(a => a.StartsWith(word, StringComparison.OrdinalIgnoreCase)));
            IEnumerable<RoleInfo> contains = roles.Where(r => r.Name.IndexOf(word, StringComparison.OrdinalIgnoreCase) >= 0);
            return prefix.Concat(contains).Distinct().Select(r => new CompletionResult(
                Quote(r.Name),
                r.Name,
                CompletionResultType.ParameterValue,
                string.IsNullOrEmpty(r.Note) ? $"{r.Name} ({r.Id})" : $"{r.Name} ({r.Id}): {r.Note}"));
        }

        private static string Quote(string name) =>
            name.IndexOfAny(new[] { ' ', '\'', '$', '`', '(', ')', ',', ';', '@', '{', '}' }) >= 0
                ? "'" + name.Replace("'", "''") + "'"
                : name;
    }
}
