using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using PhotoUpdatePolicy.Json;

namespace PhotoUpdatePolicy
{
    /// <summary>One property where a tenant differs from the desired state.</summary>
    public sealed class PolicyDifference
    {
        /// <summary>Creates a difference.</summary>
        public PolicyDifference(string property, object? expected, object? actual)
        {
            Property = property;
            Expected = expected;
            Actual = actual;
        }

        /// <summary><c>Source</c> or <c>AllowedRoles</c>.</summary>
        public string Property { get; }

        /// <summary>What the document asks for (Source text, or role names).</summary>
        public object? Expected { get; }

        /// <summary>What the tenant has.</summary>
        public object? Actual { get; }

        /// <summary><c>Property: expected … actual …</c>.</summary>
        public override string ToString() => $"{Property}: expected {Show(Expected)}, actual {Show(Actual)}";

        private static string Show(object? value) => value switch
        {
            null => "NotSet",
            DisplayList<string> items => items.Count == 0 ? "(everyone)" : items.ToString(),
            _ => value.ToString() ?? string.Empty,
        };

        internal static PolicyDifference FromJson(Dictionary<string, object?> diff)
        {
            string wire = JsonTree.String(diff, "property") ?? string.Empty;
            bool source = wire == "source";
            object? Value(string key)
            {
                if (source)
                {
                    return Policy.DisplaySource(JsonTree.String(diff, key));
                }

                return DisplayList.Of(JsonTree.List(diff, key).Select(v => JsonTree.Scalar(v) ?? string.Empty));
            }

            return new PolicyDifference(source ? "Source" : wire == "allowedRoles" ? "AllowedRoles" : wire, Value("expected"), Value("actual"));
        }
    }

    /// <summary>
    /// What Test-PhotoUpdatePolicy reports for one tenant: whether it matches the desired state and,
    /// when not, how it differs (or why it could not be read).
    /// </summary>
    public sealed class PolicyTestResult
    {
        internal PolicyTestResult(string? tenantId, string status, IEnumerable<PolicyDifference> differences, Policy? current, object? desired, DateTime checkedAt, ErrorRecord? error)
        {
            TenantId = tenantId;
            Status = status;
            Differences = DisplayList.Sentences(differences);
            Current = current;
            Desired = desired is System.Collections.IDictionary dict && !(desired is PropertyBag) ? new PropertyBag(dict) : desired;
            CheckedAt = checkedAt;
            Error = error;
        }

        /// <summary>The tenant tested.</summary>
        public string? TenantId { get; }

        /// <summary>True when the tenant matches the desired state (false when it could not be read).</summary>
        public bool Compliant => Status == "Compliant";

        /// <summary>Same as <see cref="Compliant"/> (the name DSC-style reports use).</summary>
        public bool InDesiredState => Compliant;

        /// <summary><c>Compliant</c>, <c>Drifted</c> or <c>Failed</c>.</summary>
        public string Status { get; }

        /// <summary>Each property that differs: Property, Expected, Actual.</summary>
        public DisplayList<PolicyDifference> Differences { get; }

        /// <summary>The tenant's policy as read (null when it could not be read).</summary>
        public Policy? Current { get; }

        /// <summary>The desired state (the policy document).</summary>
        public object? Desired { get; }

        /// <summary>When the tenant was read (UTC).</summary>
        public DateTime CheckedAt { get; }

        /// <summary>Why the tenant could not be read, when it failed.</summary>
        public ErrorRecord? Error { get; }

        /// <summary>A one-line summary.</summary>
        public override string ToString() => $"{TenantId}: {Status}{(Differences.Count > 0 ? " (" + Differences + ")" : string.Empty)}";
    }

    /// <summary>What Import-PhotoUpdatePolicy did to one tenant.</summary>
    public sealed class PolicyImportResult
    {
        internal PolicyImportResult(string? tenantId, string status, IEnumerable<PolicyDifference> differences, Policy? previous, Policy? current, string? backupPath, string? description, ErrorRecord? error, string? outcome = null)
        {
            Outcome = outcome;
            TenantId = tenantId;
            Status = status;
            Differences = DisplayList.Sentences(differences);
            PreviousPolicy = previous;
            Current = current;
            BackupPath = backupPath;
            Description = description;
            Error = error;
        }

        /// <summary>The tenant.</summary>
        public string? TenantId { get; }

        /// <summary><c>Changed</c>, <c>Unchanged</c>, <c>Skipped</c> (-WhatIf or declined) or <c>Failed</c>.</summary>
        public string Status { get; }

        /// <summary>Whether a write was sent.</summary>
        public bool Applied => Status == "Changed";

        /// <summary>How the tenant differed from the document before the import.</summary>
        public DisplayList<PolicyDifference> Differences { get; }

        /// <summary>The policy before the import.</summary>
        public Policy? PreviousPolicy { get; }

        /// <summary>The policy after the import, as read back.</summary>
        public Policy? Current { get; }

        /// <summary>The backup written before the change, when -BackupPath was given.</summary>
        public string? BackupPath { get; }

        /// <summary>The change in words.</summary>
        public string? Description { get; }

        /// <summary>Why the tenant failed, when it did.</summary>
        public ErrorRecord? Error { get; }

        /// <summary>
        /// What the write did to the tenant, as read back: <c>Applied</c>, <c>NotApplied</c> or
        /// <c>Unknown</c> (check the policy before trying again); null when nothing was written.
        /// </summary>
        public string? Outcome { get; }

        /// <summary>A one-line summary.</summary>
        public override string ToString() => $"{TenantId}: {Status}{(Description != null ? " (" + Description + ")" : string.Empty)}";
    }
}
