using System;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// Input the user must fix before anything is sent, found below the cmdlets: the cmdlet turns it
    /// into a terminating ErrorRecord with <see cref="ErrorId"/> and category InvalidArgument.
    /// </summary>
    internal sealed class UsageException : Exception
    {
        internal UsageException(string errorId, string message, object? target = null)
            : base(message)
        {
            ErrorId = errorId;
            Target = target;
        }

        /// <summary>The stable PhotoUpdatePolicy.* ErrorId.</summary>
        internal string ErrorId { get; }

        /// <summary>What the error is about (never the offending object itself when that may be cyclic).</summary>
        internal object? Target { get; }
    }
}
