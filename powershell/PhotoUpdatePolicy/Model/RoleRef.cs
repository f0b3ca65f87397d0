namespace PhotoUpdatePolicy
{
    /// <summary>A directory role in a policy's allowed roles: its display name and template ID.</summary>
    public sealed class RoleRef
    {
        /// <summary>Creates a role reference.</summary>
        public RoleRef(string? name, string id, bool known)
        {
            Name = name;
            Id = id;
            Known = known;
        }

        /// <summary>The role's display name (null for a template ID the catalog does not know).</summary>
        public string? Name { get; }

        /// <summary>The directory role template ID.</summary>
        public string Id { get; }

        /// <summary>Whether the role is in the module's catalog of roles.</summary>
        public bool Known { get; }

        /// <summary>The display name, or the ID when the role is unknown.</summary>
        public override string ToString() => Name ?? Id;
    }
}
