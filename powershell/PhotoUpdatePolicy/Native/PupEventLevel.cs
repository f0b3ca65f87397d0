namespace PhotoUpdatePolicy.Native
{
    /// <summary>
    /// The <c>level</c> of an event passed to a call context's callback (<c>PupEventLevel</c> in
    /// <c>photo_update_policy.h</c>; a test compares the two). Unknown levels are written as verbose.
    /// </summary>
    internal enum PupEventLevel : uint
    {
        /// <summary>A verbose line (each request, each decision).</summary>
        Verbose = 0,

        /// <summary>A debug line (request and answer details, secrets redacted).</summary>
        Debug = 1,

        /// <summary>A warning the user should read.</summary>
        Warning = 2,

        /// <summary>Progress: the message is a JSON object (activity, status, percent, completed, total).</summary>
        Progress = 3,

        /// <summary>Something the user must act on now (e.g. a device code sign-in's instructions).</summary>
        Information = 4,

        /// <summary>A URL to open in the system browser (an interactive sign-in), or to show when none can open.</summary>
        OpenBrowser = 5,

        /// <summary>
        /// A fleet run's entry for one tenant, sent as soon as that tenant is done (JSON, the shape
        /// of an entry of the run's result): the cmdlet writes each result right away.
        /// </summary>
        Result = 6,
    }
}
