using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Core;
using Azure.Identity;
using Xunit;

namespace PeerTests;

/// <summary>
/// Azure.Identity's ManagedIdentityCredential, unchanged, gets tokens from the emulator's App
/// Service style endpoint (IDENTITY_ENDPOINT / IDENTITY_HEADER, as on App Service, Functions and
/// Azure Automation), then HttpClient reads and changes the policy with them. Environment
/// variables are process-wide, so the tests of this class run one after another.
/// </summary>
[Collection("process environment")]
public sealed class ManagedIdentityPeerTests : IDisposable
{
    private const string Tenant = "peer-tenant";
    private const string IdentityHeader = "peer-identity-header-value";
    private const string UserAssignedClientId = "aaaaaaaa-1111-2222-3333-444444444444";
    private static readonly string[] GraphScope = ["https://graph.microsoft.com/.default"];

    private readonly EmulatorProcess _emulator = new();
    private readonly HttpClient _http = new();

    public ManagedIdentityPeerTests()
    {
        Control(HttpMethod.Post, "/_emulator/managed-identity", $$"""
            {"tenantId":"{{Tenant}}","roles":["PeopleSettings.Read.All"],"identityHeader":"{{IdentityHeader}}",
             "userAssigned":[{"clientId":"{{UserAssignedClientId}}","roles":["PeopleSettings.ReadWrite.All"]}]}
            """);
        Control(HttpMethod.Put, $"/_emulator/tenants/{Tenant}/policy",
            """{"source":"onPremises","allowedRoles":["024906de-61e5-49c8-8572-40335f1e0e10"]}""");
        Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", _emulator.Url + "/msi/token");
        Environment.SetEnvironmentVariable("IDENTITY_HEADER", IdentityHeader);
    }

    private void Control(HttpMethod method, string path, string json)
    {
        using var req = new HttpRequestMessage(method, _emulator.Url + path)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        using var resp = _http.Send(req);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
    }

    /// <summary>A property by name in any casing, as the service's own key casing varies.</summary>
    private static JsonElement Property(JsonElement obj, string name) =>
        obj.EnumerateObject().Single(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Value;

    private async Task<HttpResponseMessage> Graph(HttpMethod method, AccessToken token, string? json = null)
    {
        var req = new HttpRequestMessage(method, _emulator.Url + "/beta/admin/people/photoUpdateSettings");
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        if (json is not null)
        {
            req.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        return await _http.SendAsync(req);
    }

    [Fact]
    public async Task SystemAssignedIdentityReadsThePolicyButMayNotChangeIt()
    {
        var credential = new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned);
        var token = await credential.GetTokenAsync(new TokenRequestContext(GraphScope));

        Assert.False(string.IsNullOrEmpty(token.Token));
        Assert.True(token.ExpiresOn > DateTimeOffset.UtcNow.AddMinutes(30), $"expires {token.ExpiresOn}");

        using var read = await Graph(HttpMethod.Get, token);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        using var doc = JsonDocument.Parse(await read.Content.ReadAsStringAsync());
        // The service names the source `Source` (its backend's casing) or `source`: read either.
        Assert.Equal("onPremises", Property(doc.RootElement, "source").GetString());
        Assert.Equal("024906de-61e5-49c8-8572-40335f1e0e10", doc.RootElement.GetProperty("allowedRoles")[0].GetString());

        using var write = await Graph(HttpMethod.Patch, token, """{"source":"cloud"}""");
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);

        // What Azure.Identity sent, as the emulator logged it: the App Service protocol, header redacted.
        using var log = JsonDocument.Parse(await _http.GetStringAsync(_emulator.Url + "/_emulator/requests"));
        var msi = log.RootElement.EnumerateArray().First(r => r.GetProperty("route").GetString() == "msi");
        Assert.Equal("/msi/token", msi.GetProperty("path").GetString());
        Assert.Contains("api-version=2019-08-01", msi.GetProperty("query").GetString());
        Assert.Equal("<redacted>", msi.GetProperty("headers").GetProperty("x-identity-header").GetString());
        Assert.DoesNotContain(IdentityHeader, log.RootElement.GetRawText());
    }

    [Fact]
    public async Task UserAssignedIdentityChangesThePolicy()
    {
        var credential = new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(UserAssignedClientId));
        var token = await credential.GetTokenAsync(new TokenRequestContext(GraphScope));

        using var write = await Graph(HttpMethod.Patch, token, """{"source":"cloud"}""");
        Assert.Equal(HttpStatusCode.OK, write.StatusCode);
        using var stored = JsonDocument.Parse(await _http.GetStringAsync(_emulator.Url + $"/_emulator/tenants/{Tenant}/policy"));
        Assert.Equal("cloud", stored.RootElement.GetProperty("source").GetString());
    }

    [Fact]
    public async Task AWrongIdentityHeaderIsRefused()
    {
        Environment.SetEnvironmentVariable("IDENTITY_HEADER", "not-the-right-value");
        var credential = new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned);
        var error = await Assert.ThrowsAnyAsync<AuthenticationFailedException>(
            async () => await credential.GetTokenAsync(new TokenRequestContext(GraphScope)));
        // The emulator's own refusal reached the caller (not a network or parsing failure).
        Assert.Contains("X-IDENTITY-HEADER value is not valid", error.ToString());
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", null);
        Environment.SetEnvironmentVariable("IDENTITY_HEADER", null);
        _http.Dispose();
        _emulator.Dispose();
    }
}
