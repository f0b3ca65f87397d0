using System.Management.Automation;

namespace PhotoUpdatePolicy
{
    /// <summary>
    /// What Test- and Import-PhotoUpdatePolicy take as -InputObject: a policy document as an object
    /// (Export-PhotoUpdatePolicy output, ConvertFrom-Json output, a hashtable), as JSON text, or a
    /// Policy from Get-PhotoUpdatePolicy. PowerShell converts any of them to this type.
    /// </summary>
    /// <remarks>
    /// A type of its own rather than <c>object</c> so that the pipeline binds a file
    /// (<c>Get-Item x.json</c>, Export-PhotoUpdatePolicy -Path output) to -LiteralPath by its
    /// PSPath/FullName first: PowerShell binds a parameter of type object from the pipeline before
    /// it looks at property names, and would take the file itself as the document.
    /// </remarks>
    public sealed class PolicyDocumentInput
    {
        /// <summary>Wraps <paramref name="value"/> (a PSObject, a dictionary, text, a Policy).</summary>
        public PolicyDocumentInput(object value)
        {
            Value = value;
        }

        /// <summary>The object given.</summary>
        public object Value { get; }

        /// <summary>The object's type, for messages (never the object: it may hold a token).</summary>
        public override string ToString() =>
            (Value is PSObject p ? p.BaseObject : Value)?.GetType().FullName ?? "null";
    }
}
