using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Xunit;

namespace PeerTests;

/// <summary>
/// Azure.Identity's own EnvironmentCredential and WorkloadIdentityCredential, unchanged, sign in
/// to the emulator with the variables -EnvironmentVariable reads (AZURE_TENANT_ID, AZURE_CLIENT_ID,
/// AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE, AZURE_AUTHORITY_HOST): the peer check of the
/// emulator's client secret and federated credential sign-in. Azure.Identity insists on an https
/// authority, so AZURE_AUTHORITY_HOST names the real one and the transport sends its requests to
/// the emulator instead (nothing leaves the machine).
/// </summary>
[Collection("process environment")]
public sealed class WorkloadIdentityPeerTests : IDisposable
{
    private const string Tenant = "peer-workload-tenant";
    private const string FederatedClientId = "bbbbbbbb-1111-2222-3333-444444444444";
    private const string SecretClientId = "cccccccc-1111-2222-3333-444444444444";
    private const string Secret = "peer-test-only-secret";
    private const string Issuer = "https://token.actions.githubusercontent.com";
    private const string Subject = "repo:contoso/photo-policy:ref:refs/heads/main";
    private static readonly string[] GraphScope = ["https://graph.microsoft.com/.default"];
    private static readonly string[] Variables =
    [
        "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE",
        "AZURE_AUTHORITY_HOST", "AZURE_CLIENT_CERTIFICATE_PATH",
    ];

    private readonly EmulatorProcess _emulator = new();
    private readonly HttpClient _http = new();
    private readonly string _tokenFile = Path.GetTempFileName();

    public WorkloadIdentityPeerTests()
    {
        Control("/_emulator/apps", $$"""
            {"tenantId":"{{Tenant}}","clientId":"{{FederatedClientId}}","roles":["PeopleSettings.ReadWrite.All"],
             "federatedCredentials":[{"issuer":"{{Issuer}}","subject":"{{Subject}}"}]}
            """);
        Control("/_emulator/apps", $$"""
            {"tenantId":"{{Tenant}}","clientId":"{{SecretClientId}}","secret":"{{Secret}}","roles":["PeopleSettings.Read.All"]}
            """);
        using var minted = JsonDocument.Parse(Control("/_emulator/federated/tokens",
            $$"""{"issuer":"{{Issuer}}","subject":"{{Subject}}"}"""));
        File.WriteAllText(_tokenFile, minted.RootElement.GetProperty("token").GetString());
        foreach (string name in Variables)
        {
            Environment.SetEnvironmentVariable(name, null);
        }

        Environment.SetEnvironmentVariable("AZURE_TENANT_ID", Tenant);
        Environment.SetEnvironmentVariable("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com/");
    }

    private string Control(string path, string json)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, _emulator.Url + path)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        using var resp = _http.Send(req);
        string body = resp.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        Assert.True(resp.StatusCode == HttpStatusCode.OK, body);
        return body;
    }

    /// <summary>Sends every request Azure.Identity makes to the emulator, path and query kept.</summary>
    private sealed class ToEmulator(string emulatorUrl) : DelegatingHandler(new HttpClientHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var target = new Uri(emulatorUrl);
            request.RequestUri = new UriBuilder(request.RequestUri!) { Scheme = target.Scheme, Host = target.Host, Port = target.Port }.Uri;
            return base.SendAsync(request, cancellationToken);
        }
    }

    private HttpClientTransport Transport() => new(new ToEmulator(_emulator.Url));

    private async Task<HttpStatusCode> ReadPolicy(AccessToken token)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, _emulator.Url + "/beta/admin/people/photoUpdateSettings");
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        using var resp = await _http.SendAsync(req);
        return resp.StatusCode;
    }

    private JsonElement LastTokenRequest()
    {
        using var log = JsonDocument.Parse(_http.GetStringAsync(_emulator.Url + "/_emulator/requests").GetAwaiter().GetResult());
        return log.RootElement.EnumerateArray().Last(r => r.GetProperty("route").GetString() == "token").Clone();
    }

    [Fact]
    public async Task WorkloadIdentityCredentialSignsInWithTheFederatedTokenFile()
    {
        Environment.SetEnvironmentVariable("AZURE_CLIENT_ID", FederatedClientId);
        Environment.SetEnvironmentVariable("AZURE_FEDERATED_TOKEN_FILE", _tokenFile);
        var credential = new WorkloadIdentityCredential(new WorkloadIdentityCredentialOptions
        {
            Transport = Transport(),
            DisableInstanceDiscovery = true,
        });
        var token = await credential.GetTokenAsync(new TokenRequestContext(GraphScope));
        Assert.Equal(HttpStatusCode.OK, await ReadPolicy(token));

        var sent = LastTokenRequest();
        Assert.Equal($"/{Tenant}/oauth2/v2.0/token", sent.GetProperty("path").GetString());
        string body = sent.GetProperty("body").GetString()!;
        Assert.Contains("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer", body);
        Assert.Contains("client_assertion=<redacted>", body);
        Assert.DoesNotContain("client_secret", body);
    }

    [Fact]
    public async Task EnvironmentCredentialPrefersTheSecretOverTheTokenFile()
    {
        // Azure.Identity's order: a client secret wins over a certificate and a federated token.
        Environment.SetEnvironmentVariable("AZURE_CLIENT_ID", SecretClientId);
        Environment.SetEnvironmentVariable("AZURE_CLIENT_SECRET", Secret);
        Environment.SetEnvironmentVariable("AZURE_FEDERATED_TOKEN_FILE", _tokenFile);
        var credential = new EnvironmentCredential(new EnvironmentCredentialOptions
        {
            Transport = Transport(),
            DisableInstanceDiscovery = true,
        });
        var token = await credential.GetTokenAsync(new TokenRequestContext(GraphScope));
        Assert.Equal(HttpStatusCode.OK, await ReadPolicy(token));
        Assert.Contains("client_secret=<redacted>", LastTokenRequest().GetProperty("body").GetString());
    }

    [Fact]
    public async Task ATokenForAnotherSubjectIsRefusedWithAadsts70021()
    {
        using var minted = JsonDocument.Parse(Control("/_emulator/federated/tokens",
            $$"""{"issuer":"{{Issuer}}","subject":"repo:contoso/photo-policy:pull_request"}"""));
        File.WriteAllText(_tokenFile, minted.RootElement.GetProperty("token").GetString());
        Environment.SetEnvironmentVariable("AZURE_CLIENT_ID", FederatedClientId);
        Environment.SetEnvironmentVariable("AZURE_FEDERATED_TOKEN_FILE", _tokenFile);
        var credential = new WorkloadIdentityCredential(new WorkloadIdentityCredentialOptions
        {
            Transport = Transport(),
            DisableInstanceDiscovery = true,
        });
        var error = await Assert.ThrowsAnyAsync<AuthenticationFailedException>(
            async () => await credential.GetTokenAsync(new TokenRequestContext(GraphScope)));
        Assert.Contains("AADSTS70021", error.ToString());
    }

    public void Dispose()
    {
        foreach (string name in Variables)
        {
            Environment.SetEnvironmentVariable(name, null);
        }

        File.Delete(_tokenFile);
        _http.Dispose();
        _emulator.Dispose();
    }
}
