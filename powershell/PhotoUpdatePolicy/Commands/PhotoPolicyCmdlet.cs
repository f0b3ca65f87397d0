using System;
using System.Management.Automation;
using PhotoUpdatePolicy.Internal;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// Base of every cmdlet of the module: runs native calls through one <see cref="NativeCallRunner"/>
    /// (so StopProcessing cancels whatever is in flight) and turns native errors into ErrorRecords.
    /// </summary>
    public abstract class PhotoPolicyCmdlet : PSCmdlet
    {
        private NativeCallRunner? runner;

        /// <summary>The runner for this cmdlet invocation.</summary>
        internal NativeCallRunner Native => runner ??= new NativeCallRunner(this);

        /// <summary>Writes a verbose line that never prompts, also under -Debug (see <see cref="DebugSafeWrites"/>).</summary>
        /// <param name="text">The line.</param>
        public new void WriteVerbose(string text) => DebugSafeWrites.Verbose(this, text);

        /// <summary>Writes a debug line that never prompts (see <see cref="DebugSafeWrites"/>).</summary>
        /// <param name="text">The line.</param>
        public new void WriteDebug(string text) => DebugSafeWrites.Debug(this, text);

        /// <summary>Ctrl+C: cancel the native call in flight.</summary>
        protected override void StopProcessing()
        {
            runner?.Stop();
            base.StopProcessing();
        }

        /// <summary>
        /// Replaces a plain-text token in <c>MyInvocation.BoundParameters</c> with a placeholder once
        /// the cmdlet has read it: PowerShell attaches that dictionary to every ErrorRecord, verbose,
        /// debug and information record of this invocation, so a token passed as a string would
        /// otherwise show up in $Error, Format-List * and ConvertTo-Json of those records.
        /// </summary>
        internal void RedactBoundSecret(string parameterName)
        {
            if (MyInvocation.BoundParameters.TryGetValue(parameterName, out object? value) && value != null
                && !(value is System.Security.SecureString))
            {
                MyInvocation.BoundParameters[parameterName] = "<redacted>";
            }
        }

        /// <summary>Writes a non-terminating error for a native failure.</summary>
        internal void WriteNativeError(PhotoPolicyException error, object? target, string? errorId = null) =>
            WriteError(error.ToErrorRecord(target, errorId));

        /// <summary>Stops the cmdlet with an error the user must fix first (bad input, no token).</summary>
        internal void ThrowUsageError(string errorId, string message, ErrorCategory category, object? target, string? recommendedAction = null) =>
            ThrowTerminatingError(UsageErrorRecord(errorId, message, category, target, recommendedAction));

        /// <summary>The ErrorRecord of input the user must fix (see <see cref="ThrowUsageError"/>), to write or throw.</summary>
        internal static ErrorRecord UsageErrorRecord(string errorId, string message, ErrorCategory category, object? target, string? recommendedAction = null)
        {
            var record = new ErrorRecord(new ArgumentException(message), errorId, category, target);
            record.ErrorDetails = new ErrorDetails(message);
            if (recommendedAction != null)
            {
                record.ErrorDetails.RecommendedAction = recommendedAction;
            }

            return record;
        }
    }
}
