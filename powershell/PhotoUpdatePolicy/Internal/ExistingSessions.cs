using System;
using System.Collections.ObjectModel;
using System.Linq;
using System.Management.Automation;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// -MgGraph and -AzContext: the token of a session the admin already has, taken through that
    /// module's own commands (they are PowerShell commands, so this is the one place that runs them).
    /// The token is handed to the library like -AccessToken: it is not renewed, and lasts as long as
    /// the service issued it for (60-90 minutes).
    /// </summary>
    internal static class ExistingSessions
    {
        /// <summary>The request whose Authorization header carries the Microsoft Graph session's token.</summary>
        internal const string MgGraphProbe = "beta/admin/people/photoUpdateSettings";

        /// <summary>
        /// Takes the token of the current Connect-MgGraph (<paramref name="parameter"/> "-MgGraph") or
        /// Connect-AzAccount ("-AzContext") session into <paramref name="signIn"/>'s AccessToken; the
        /// cloud too, when -Environment was not given. Throws <see cref="SignInParameterException"/>
        /// saying what to do when the module is not loaded or not connected.
        /// </summary>
        internal static void Apply(PSCmdlet cmdlet, SignInParameters signIn, string parameter, bool both)
        {
            if (both || signIn.AccessToken != null)
            {
                throw new SignInParameterException(
                    "PhotoUpdatePolicy.ConflictingSignIn",
                    both
                        ? "-MgGraph and -AzContext name different sessions to reuse; use one of them."
                        : $"{parameter} and -AccessToken both give the token; use one of them.");
            }

            if (parameter == "-MgGraph")
            {
                FromMgGraph(cmdlet, signIn);
            }
            else
            {
                FromAzContext(cmdlet, signIn);
            }
        }

        private static void FromMgGraph(PSCmdlet cmdlet, SignInParameters signIn)
        {
            RequireCommand(cmdlet, "Get-MgContext", "-MgGraph", "Microsoft.Graph.Authentication is not loaded", "Import-Module Microsoft.Graph.Authentication; Connect-MgGraph -Scopes PeopleSettings.ReadWrite.All");
            RequireCommand(cmdlet, "Invoke-MgGraphRequest", "-MgGraph", "Microsoft.Graph.Authentication is not loaded", "Import-Module Microsoft.Graph.Authentication; Connect-MgGraph -Scopes PeopleSettings.ReadWrite.All");
            PSObject? context = Run(cmdlet, "Get-MgContext", null).FirstOrDefault();
            if (context == null)
            {
                throw new SignInParameterException(
                    "PhotoUpdatePolicy.NotConnected",
                    "-MgGraph: Microsoft.Graph.Authentication is loaded but not connected (Get-MgContext returned nothing).",
                    "Run Connect-MgGraph -Scopes PeopleSettings.ReadWrite.All (or with your app), then try again.");
            }

            if (signIn.Environment == null && context.Properties["Environment"]?.Value?.ToString() is string environment
                && new[] { "Global", "USGov", "USGovDoD", "China" }.Contains(environment, StringComparer.OrdinalIgnoreCase))
            {
                signIn.Environment = environment;
            }

            // One request through the session: the response's RequestMessage carries its bearer token.
            var arguments = new System.Collections.Hashtable(StringComparer.OrdinalIgnoreCase)
            {
                ["Method"] = "GET",
                ["Uri"] = MgGraphProbe,
                ["OutputType"] = "HttpResponseMessage",
                ["SkipHttpErrorCheck"] = true,
            };
            PSObject? response = Run(cmdlet, "Invoke-MgGraphRequest", arguments).FirstOrDefault();
            object? value = response?.BaseObject;
            if (!(value is System.Net.Http.HttpResponseMessage message) || message.RequestMessage?.Headers.Authorization?.Parameter == null)
            {
                throw new SignInParameterException(
                    "PhotoUpdatePolicy.NotConnected",
                    "-MgGraph: Invoke-MgGraphRequest returned no request with an Authorization header, so the Connect-MgGraph session's token could not be read.",
                    "Run Connect-MgGraph again, or pass the token with -AccessToken.");
            }

            signIn.AccessToken = message;
        }

        private static void FromAzContext(PSCmdlet cmdlet, SignInParameters signIn)
        {
            RequireCommand(cmdlet, "Get-AzAccessToken", "-AzContext", "Az.Accounts is not loaded", "Import-Module Az.Accounts; Connect-AzAccount");
            RequireCommand(cmdlet, "Get-AzContext", "-AzContext", "Az.Accounts is not loaded", "Import-Module Az.Accounts; Connect-AzAccount");
            if (Run(cmdlet, "Get-AzContext", null).FirstOrDefault() == null)
            {
                throw new SignInParameterException(
                    "PhotoUpdatePolicy.NotConnected",
                    "-AzContext: Az.Accounts is loaded but not connected (Get-AzContext returned nothing).",
                    "Run Connect-AzAccount (or Connect-AzAccount -Identity in a runbook), then try again.");
            }

            // MSGraph: Az picks the Graph resource of the context's own cloud.
            var arguments = new System.Collections.Hashtable(StringComparer.OrdinalIgnoreCase) { ["ResourceTypeName"] = "MSGraph" };
            PSObject? token = Run(cmdlet, "Get-AzAccessToken", arguments).FirstOrDefault();
            if (token?.Properties["Token"]?.Value == null)
            {
                throw new SignInParameterException(
                    "PhotoUpdatePolicy.NotConnected",
                    "-AzContext: Get-AzAccessToken -ResourceTypeName MSGraph returned no token.",
                    "Run Connect-AzAccount again, or pass the token with -AccessToken.");
            }

            signIn.AccessToken = token;
        }

        private static void RequireCommand(PSCmdlet cmdlet, string name, string parameter, string problem, string action)
        {
            if (cmdlet.InvokeCommand.GetCommand(name, CommandTypes.Function | CommandTypes.Cmdlet | CommandTypes.Alias) == null)
            {
                throw new SignInParameterException(
                    "PhotoUpdatePolicy.NotConnected",
                    $"{parameter}: {problem} ({name} was not found in this session).",
                    action);
            }
        }

        /// <summary>Runs one command in the cmdlet's runspace (a nested pipeline on the pipeline thread).</summary>
        private static Collection<PSObject> Run(PSCmdlet cmdlet, string command, System.Collections.Hashtable? arguments)
        {
            using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
            ps.AddCommand(command);
            if (arguments != null)
            {
                ps.AddParameters(arguments);
            }

            try
            {
                return ps.Invoke();
            }
            catch (RuntimeException ex)
            {
                throw new SignInParameterException(
                    "PhotoUpdatePolicy.NotConnected",
                    $"{command} failed: {ex.Message}",
                    "Check that the session is connected (Connect-MgGraph / Connect-AzAccount), or pass the token with -AccessToken.");
            }
        }
    }
}
