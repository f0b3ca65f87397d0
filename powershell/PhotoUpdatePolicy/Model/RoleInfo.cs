using System.Collections.Generic;
using PhotoUpdatePolicy.Json;

namespace PhotoUpdatePolicy
{
    /// <summary>A directory role from the module's catalog of roles that may appear in allowed roles.</summary>
    public sealed class RoleInfo
    {
        /// <summary>Creates a catalog entry.</summary>
        public RoleInfo(string name, string id, IEnumerable<string> aliases, bool documented, bool deprecated, string? note)
            : this(name, id, aliases, documented, deprecated, note, documented ? "Accepted" : "Refused", null)
        {
        }

        /// <summary>Creates a catalog entry with the service's status and its source.</summary>
        public RoleInfo(string name, string id, IEnumerable<string> aliases, bool documented, bool deprecated, string? note, string status, string? documentedBy)
        {
            Name = name;
            Id = id;
            Aliases = DisplayList.Of(aliases);
            Documented = documented;
            Deprecated = deprecated;
            Note = note;
            Status = status;
            DocumentedBy = documentedBy;
        }

        /// <summary>Display name, e.g. <c>People Administrator</c>.</summary>
        public string Name { get; }

        /// <summary>Directory role template ID.</summary>
        public string Id { get; }

        /// <summary>Other names accepted for the role.</summary>
        public DisplayList<string> Aliases { get; }

        /// <summary>Whether Microsoft documents the role as accepted in allowed roles.</summary>
        public bool Documented { get; }

        /// <summary>Whether the role is deprecated (using it draws a warning).</summary>
        public bool Deprecated { get; }

        /// <summary>What to know about the role.</summary>
        public string? Note { get; }

        /// <summary>
        /// <c>Accepted</c>: the service accepts the role in allowed roles. <c>Refused</c>: the role
        /// holds the photo permission but the service refuses it (sent only with -AllowRefusedRole).
        /// </summary>
        public string Status { get; }

        /// <summary>The public source that documents the status.</summary>
        public string? DocumentedBy { get; }

        /// <summary>The display name.</summary>
        public override string ToString() => Name;

        internal static RoleInfo FromJson(Dictionary<string, object?> obj)
        {
            var aliases = new List<string>();
            foreach (object? a in JsonTree.List(obj, "aliases"))
            {
                if (JsonTree.Scalar(a) is string s)
                {
                    aliases.Add(s);
                }
            }

            return new RoleInfo(
                JsonTree.String(obj, "name") ?? string.Empty,
                JsonTree.String(obj, "id") ?? string.Empty,
                aliases.ToArray(),
                JsonTree.Bool(obj, "documented"),
                JsonTree.Bool(obj, "deprecated"),
                JsonTree.String(obj, "note"),
                JsonTree.String(obj, "status") switch
                {
                    "accepted" => "Accepted",
                    "refused" => "Refused",
                    string other => other,
                    null => JsonTree.Bool(obj, "documented") ? "Accepted" : "Refused",
                },
                JsonTree.String(obj, "documentedBy"));
        }
    }
}
