using System;
using System.Collections.Generic;
using System.Linq;
using PhotoUpdatePolicy.Json;

namespace PhotoUpdatePolicy
{
    /// <summary>One way a principal holds a directory role (Get-PhotoUpdateAccess's Holdings).</summary>
    public sealed class PhotoAccessHolding
    {
        private PhotoAccessHolding(Dictionary<string, object?> json)
        {
            RoleId = JsonTree.String(json, "roleId") ?? string.Empty;
            RoleName = JsonTree.String(json, "roleName") ?? RoleId;
            State = JsonTree.String(json, "state") ?? "Active";
            DirectoryScopeId = JsonTree.String(json, "directoryScopeId") ?? "/";
            Dictionary<string, object?>? group = JsonTree.Object(json, "throughGroup");
            ThroughGroup = group == null ? null : JsonTree.String(group, "displayName") ?? JsonTree.String(group, "id");
            ThroughGroupId = group == null ? null : JsonTree.String(group, "id");
            Counts = JsonTree.Bool(json, "counts");
        }

        /// <summary>The role's template ID.</summary>
        public string RoleId { get; }

        /// <summary>The role's name.</summary>
        public string RoleName { get; }

        /// <summary><c>Active</c>, or <c>Eligible</c> (PIM: usable once activated).</summary>
        public string State { get; }

        /// <summary><c>/</c> (the tenant) or <c>/administrativeUnits/{id}</c>.</summary>
        public string DirectoryScopeId { get; }

        /// <summary>The role-assignable group the role comes through (name), or null when direct.</summary>
        public string? ThroughGroup { get; }

        /// <summary>The group's object ID, or null when direct.</summary>
        public string? ThroughGroupId { get; }

        /// <summary>Whether this role lets its holders change photos under the policy.</summary>
        public bool Counts { get; }

        /// <summary>The role name.</summary>
        public override string ToString() => RoleName;

        internal static PhotoAccessHolding FromJson(Dictionary<string, object?> json) => new PhotoAccessHolding(json);
    }

    /// <summary>
    /// One principal of Get-PhotoUpdateAccess: a user, a group, a service principal (or, with no
    /// restriction, "All users"), whether it may change photos, through what, where, why, and what
    /// to do.
    /// </summary>
    public sealed class PhotoUpdateAccess
    {
        internal PhotoUpdateAccess(Dictionary<string, object?> json, string? tenantId)
        {
            TenantId = tenantId;
            PrincipalType = JsonTree.String(json, "principalType") ?? "User";
            Id = JsonTree.String(json, "id") ?? string.Empty;
            DisplayName = JsonTree.String(json, "displayName");
            UserPrincipalName = JsonTree.String(json, "userPrincipalName");
            AppId = JsonTree.String(json, "appId");
            CanChangeOthersPhotos = JsonTree.Bool(json, "canChangeOthersPhotos");
            CanChangeOwnPhoto = json.TryGetValue("canChangeOwnPhoto", out object? own) && own is bool b ? b : (bool?)null;
            WillBeRefused = JsonTree.Bool(json, "willBeRefused");
            Scope = JsonTree.String(json, "scope") ?? "None";
            ScopeIds = DisplayList.Of(Strings(json, "scopeIds"));
            Via = DisplayList.Sentences(Strings(json, "via"));
            AppPermissions = DisplayList.Of(Strings(json, "appPermissions"));
            Reason = JsonTree.String(json, "reason") ?? string.Empty;
            Fix = JsonTree.String(json, "fix");
            ExpectedError = JsonTree.String(json, "expectedError");
            Holdings = DisplayList.Of(JsonTree.List(json, "holdings")
                .OfType<Dictionary<string, object?>>()
                .Select(PhotoAccessHolding.FromJson));
        }

        /// <summary>The tenant.</summary>
        public string? TenantId { get; }

        /// <summary><c>User</c>, <c>Group</c>, <c>ServicePrincipal</c> or <c>AllUsers</c>.</summary>
        public string PrincipalType { get; }

        /// <summary>The display name.</summary>
        public string? DisplayName { get; }

        /// <summary>The object ID (<c>*</c> for All users).</summary>
        public string Id { get; }

        /// <summary>The sign-in name (users).</summary>
        public string? UserPrincipalName { get; }

        /// <summary>The application ID (service principals, when known).</summary>
        public string? AppId { get; }

        /// <summary>May change other users' photos now (for a group: its members may).</summary>
        public bool CanChangeOthersPhotos { get; }

        /// <summary>Users: may change their own photo now. Null for groups and service principals.</summary>
        public bool? CanChangeOwnPhoto { get; }

        /// <summary>An app with a photo-writing Graph permission that the service will refuse (403 ForbiddenByAdminEditPolicy).</summary>
        public bool WillBeRefused { get; }

        /// <summary><c>Tenant</c>, <c>AdministrativeUnit</c> (which the policy refuses) or <c>None</c>.</summary>
        public string Scope { get; }

        /// <summary>The administrative units of scoped holdings.</summary>
        public DisplayList<string> ScopeIds { get; }

        /// <summary>Each role held: name, Active or Eligible (PIM), direct or through which group, scope.</summary>
        public DisplayList<string> Via { get; }

        /// <summary>Photo-writing Microsoft Graph application permissions (service principals).</summary>
        public DisplayList<string> AppPermissions { get; }

        /// <summary>Why, in words.</summary>
        public string Reason { get; }

        /// <summary>What to do, when something can be done.</summary>
        public string? Fix { get; }

        /// <summary>The error code the service answers a photo change with, when it refuses one.</summary>
        public string? ExpectedError { get; }

        /// <summary>The role holdings behind <see cref="Via"/>.</summary>
        public DisplayList<PhotoAccessHolding> Holdings { get; }

        /// <summary>The display name, else the sign-in name, else the ID.</summary>
        public override string ToString() => DisplayName ?? UserPrincipalName ?? Id;

        internal static string[] Strings(Dictionary<string, object?> json, string key) =>
            JsonTree.List(json, key).Select(v => JsonTree.Scalar(v) ?? string.Empty).ToArray();
    }

    /// <summary>
    /// What Test-PhotoUpdateAccess answers for one principal: can it change photos now, and if not
    /// why and what to do; for the signed-in user also what the service itself answers.
    /// </summary>
    public sealed class PhotoUpdateAccessTest
    {
        internal PhotoUpdateAccessTest(Dictionary<string, object?> json)
        {
            TenantId = JsonTree.String(json, "tenantId");
            Principal = new PhotoUpdateAccess(JsonTree.Object(json, "principal") ?? new Dictionary<string, object?>(), TenantId);
            SignedIn = JsonTree.Bool(json, "signedIn");
            ServiceAllowedOperations = JsonTree.String(json, "serviceAllowedOperations");
            ServiceAgrees = json.TryGetValue("serviceAgrees", out object? a) && a is bool b ? b : (bool?)null;
            Restricted = JsonTree.Bool(json, "restricted");
            AllowedRoles = DisplayList.Of(JsonTree.List(json, "allowedRoles")
                .OfType<Dictionary<string, object?>>()
                .Select(r => JsonTree.String(r, "name") ?? JsonTree.String(r, "id") ?? string.Empty));
            Summary = JsonTree.String(json, "summary") ?? string.Empty;
            Warnings = DisplayList.Sentences(PhotoUpdateAccess.Strings(json, "warnings"));
            MissingPermissions = DisplayList.Of(PhotoUpdateAccess.Strings(json, "missingPermissions"));
            Complete = JsonTree.Bool(json, "complete", true);
        }

        /// <summary>The tenant.</summary>
        public string? TenantId { get; }

        /// <summary><c>User</c> or <c>ServicePrincipal</c>.</summary>
        public string PrincipalType => Principal.PrincipalType;

        /// <summary>The principal's display name.</summary>
        public string? DisplayName => Principal.DisplayName;

        /// <summary>The principal's object ID.</summary>
        public string Id => Principal.Id;

        /// <summary>The sign-in name (users).</summary>
        public string? UserPrincipalName => Principal.UserPrincipalName;

        /// <summary>May change other users' photos now.</summary>
        public bool CanChangeOthersPhotos => Principal.CanChangeOthersPhotos;

        /// <summary>Users: may change their own photo now.</summary>
        public bool? CanChangeOwnPhoto => Principal.CanChangeOwnPhoto;

        /// <summary>An app whose photo writes the service will refuse.</summary>
        public bool WillBeRefused => Principal.WillBeRefused;

        /// <summary><c>Tenant</c>, <c>AdministrativeUnit</c> or <c>None</c>.</summary>
        public string Scope => Principal.Scope;

        /// <summary>Each role held, in words.</summary>
        public DisplayList<string> Via => Principal.Via;

        /// <summary>Why, in words.</summary>
        public string Reason => Principal.Reason;

        /// <summary>What to do, when something can be done.</summary>
        public string? Fix => Principal.Fix;

        /// <summary>Whether the principal is the one signed in.</summary>
        public bool SignedIn { get; }

        /// <summary>For the signed-in user: GET /beta/me/photo/getAllowedOperations (<c>update,delete</c> or empty).</summary>
        public string? ServiceAllowedOperations { get; }

        /// <summary>Whether the service's own answer agrees with the prediction for the user's own photo.</summary>
        public bool? ServiceAgrees { get; }

        /// <summary>Whether the policy restricts who may change photos.</summary>
        public bool Restricted { get; }

        /// <summary>The policy's allowed roles (names).</summary>
        public DisplayList<string> AllowedRoles { get; }

        /// <summary>The answer in one or two sentences.</summary>
        public string Summary { get; }

        /// <summary>Parts that could not be read.</summary>
        public DisplayList<string> Warnings { get; }

        /// <summary>The permissions that would have shown them.</summary>
        public DisplayList<string> MissingPermissions { get; }

        /// <summary>Whether every part was read.</summary>
        public bool Complete { get; }

        /// <summary>The full principal answer (holdings, permissions, expected error).</summary>
        public PhotoUpdateAccess Principal { get; }

        /// <summary>The summary.</summary>
        public override string ToString() => Summary;
    }

    /// <summary>Who gains and who loses the ability to change photos with a planned change.</summary>
    internal sealed class PhotoAccessImpact
    {
        internal PhotoAccessImpact(Dictionary<string, object?> json)
        {
            RolesChange = JsonTree.Bool(json, "rolesChange");
            Known = JsonTree.Bool(json, "known");
            Lines = PhotoUpdateAccess.Strings(json, "lines");
            Gains = Names(json, "gains");
            Loses = Names(json, "loses");
            Warnings = PhotoUpdateAccess.Strings(json, "warnings");
        }

        internal bool RolesChange { get; }

        internal bool Known { get; }

        internal string[] Lines { get; }

        internal string[] Gains { get; }

        internal string[] Loses { get; }

        internal string[] Warnings { get; }

        private static string[] Names(Dictionary<string, object?> json, string key) =>
            JsonTree.List(json, key)
                .OfType<Dictionary<string, object?>>()
                .Select(p => JsonTree.String(p, "name") ?? string.Empty)
                .ToArray();
    }

    /// <summary>One tenant's answer of Get-PhotoUpdateAccess (or why it failed).</summary>
    internal sealed class PhotoAccessTenant
    {
        internal PhotoAccessTenant(Dictionary<string, object?> json, string label)
        {
            Label = label;
            TenantId = JsonTree.String(json, "tenantId");
            Dictionary<string, object?>? report = JsonTree.Object(json, "report");
            if (report != null)
            {
                TenantId ??= JsonTree.String(report, "tenantId");
                Summary = JsonTree.String(report, "summary");
                Warnings = PhotoUpdateAccess.Strings(report, "warnings");
                Principals = JsonTree.List(report, "principals")
                    .OfType<Dictionary<string, object?>>()
                    .Select(p => new PhotoUpdateAccess(p, TenantId))
                    .ToArray();
            }

            if (JsonTree.Object(json, "error") is Dictionary<string, object?> error)
            {
                Exception = PhotoPolicyException.FromErrorJson(error);
            }
        }

        internal string Label { get; }

        internal string? TenantId { get; }

        internal string? Summary { get; }

        internal string[] Warnings { get; } = Array.Empty<string>();

        internal PhotoUpdateAccess[] Principals { get; } = Array.Empty<PhotoUpdateAccess>();

        internal PhotoPolicyException? Exception { get; }
    }
}
