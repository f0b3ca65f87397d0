using System;
using System.Collections.Generic;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// The -TimeoutSec, -ConnectTimeoutSec, -MaxRetries, -RetryBudgetSec and -MaxRetryAfterSec values
    /// of one cmdlet, as the native <c>timeouts</c> / <c>retry</c> objects (milliseconds, and
    /// seconds for <c>maxRetryAfterSeconds</c>). Only what the user gave is
    /// written, so the rest keeps the client's value (the core's defaults, or the connection's).
    /// </summary>
    internal sealed class CallLimits
    {
        internal CallLimits(int? timeoutSec, int? connectTimeoutSec, int? maxRetries, int? retryBudgetSec, int? maxRetryAfterSec)
        {
            TimeoutSec = timeoutSec;
            ConnectTimeoutSec = connectTimeoutSec;
            MaxRetries = maxRetries;
            RetryBudgetSec = retryBudgetSec;
            MaxRetryAfterSec = maxRetryAfterSec;
        }

        /// <summary>
        /// The limits among <paramref name="bound"/> (the cmdlet's bound parameters): a parameter the
        /// user did not give stays unset, so the client's value applies.
        /// </summary>
        internal static CallLimits FromBound(IDictionary<string, object> bound, int timeoutSec, int connectTimeoutSec, int maxRetries, int retryBudgetSec, int maxRetryAfterSec) => new CallLimits(
            bound.ContainsKey("TimeoutSec") ? timeoutSec : (int?)null,
            bound.ContainsKey("ConnectTimeoutSec") ? connectTimeoutSec : (int?)null,
            bound.ContainsKey("MaxRetries") ? maxRetries : (int?)null,
            bound.ContainsKey("RetryBudgetSec") ? retryBudgetSec : (int?)null,
            bound.ContainsKey("MaxRetryAfterSec") ? maxRetryAfterSec : (int?)null);

        /// <summary>No limits given: the client's own apply.</summary>
        internal static CallLimits None { get; } = new CallLimits(null, null, null, null, null);

        internal int? TimeoutSec { get; }

        internal int? ConnectTimeoutSec { get; }

        internal int? MaxRetries { get; }

        internal int? RetryBudgetSec { get; }

        internal int? MaxRetryAfterSec { get; }

        /// <summary>True when no limit was given.</summary>
        internal bool IsEmpty => TimeoutSec == null && ConnectTimeoutSec == null && MaxRetries == null && RetryBudgetSec == null && MaxRetryAfterSec == null;

        /// <summary>
        /// Writes the limits into <paramref name="document"/> (a client config, or an empty call
        /// limits document), keeping fields already there that the user did not override.
        /// </summary>
        internal Dictionary<string, object?> WriteTo(Dictionary<string, object?> document)
        {
            if (TimeoutSec != null || ConnectTimeoutSec != null)
            {
                Dictionary<string, object?> timeouts = Section(document, "timeouts");
                if (TimeoutSec != null)
                {
                    timeouts["totalMs"] = TimeoutSec.Value * 1000L;
                }

                if (ConnectTimeoutSec != null)
                {
                    timeouts["connectMs"] = ConnectTimeoutSec.Value * 1000L;
                }
            }

            if (MaxRetries != null || RetryBudgetSec != null || MaxRetryAfterSec != null)
            {
                Dictionary<string, object?> retry = Section(document, "retry");
                if (MaxRetries != null)
                {
                    retry["maxRetries"] = (long)MaxRetries.Value;
                }

                if (RetryBudgetSec != null)
                {
                    retry["budgetMs"] = RetryBudgetSec.Value * 1000L;
                }

                if (MaxRetryAfterSec != null)
                {
                    retry["maxRetryAfterSeconds"] = (long)MaxRetryAfterSec.Value;
                }
            }

            return document;
        }

        private static Dictionary<string, object?> Section(Dictionary<string, object?> document, string name)
        {
            if (document.TryGetValue(name, out object? existing) && existing is Dictionary<string, object?> section)
            {
                return section;
            }

            section = new Dictionary<string, object?>(StringComparer.Ordinal);
            document[name] = section;
            return section;
        }
    }
}
