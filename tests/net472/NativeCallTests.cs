using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using PhotoUpdatePolicy.Json;
using PhotoUpdatePolicy.Native;


namespace PhotoUpdatePolicy.Net472Tests
{
    /// <summary>
    /// Real calls from the net472 build into the native library against the Graph emulator: the
    /// configuration and change documents written by the .NET Framework codec, strings and secrets
    /// marshalled by hand, SafeHandles freeing what the library allocated, the event callback, rich
    /// errors and cancellation.
    /// </summary>
    public class NativeCallTests : IClassFixture<EmulatorFixture>
    {
        private const string Tenant = "net472.onmicrosoft.com";
        private const string GlobalAdministrator = "62e90394-69f5-4237-9190-012177145e10";
        private readonly EmulatorFixture emulator;

        public NativeCallTests(EmulatorFixture emulator)
        {
            this.emulator = emulator;
            emulator.Control("PUT", $"/_emulator/tenants/{Tenant}/policy", new Dictionary<string, object>());
            emulator.Control("DELETE", "/_emulator/requests");
        }

        internal static string ConfigJson(EmulatorFixture emulator, string mode, Dictionary<string, object?>? auth = null, string? tenant = null)
        {
            auth = auth ?? new Dictionary<string, object?>();
            auth["mode"] = mode;
            var config = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["tenantId"] = tenant ?? Tenant,
                ["graphEndpoint"] = emulator.Url,
                ["authorityEndpoint"] = emulator.Url,
                ["allowInsecureLoopback"] = true,
                ["auth"] = auth,
            };
            return JsonCodec.Instance.Serialize(config);
        }

        /// <summary>pup_client_new, as the cmdlets call it; zeroes the secret buffer after the call.</summary>
        internal static unsafe ClientHandle NewClient(string configJson, byte[] secret)
        {
            byte[] config = Utf8.Encode(configJson);
            fixed (byte* c = config)
            fixed (byte* s = secret)
            {
                uint status = NativeMethods.pup_client_new(c, (UIntPtr)config.Length, s, (UIntPtr)secret.Length, out ClientHandle client, out ErrorHandle error);
                // The library keeps its own zeroizing copy; the caller wipes its buffer, as the
                // cmdlets do (NativeClient.Open).
                Utf8.Zero(secret);
                using (error)
                {
                    if (status != 0)
                    {
                        throw NativeResults.ToException(status, error);
                    }
                }

                return client;
            }
        }

        private ClientHandle TokenClient(string permission = "PeopleSettings.ReadWrite.All") =>
            NewClient(ConfigJson(emulator, "accessToken"), Utf8.SecretToUtf8(emulator.MintToken(Tenant, permission)));

        internal static string ResultJson(ResultHandle result)
        {
            using (result)
            {
                Assert.Equal(0u, NativeMethods.pup_result_json(result, out IntPtr ptr, out UIntPtr len));
                return Utf8.Decode(ptr, len)!;
            }
        }

        internal static Dictionary<string, object?> Get(ClientHandle client, CallContextHandle ctx)
        {
            uint status = NativeMethods.pup_policy_get(client, ctx, out ResultHandle result, out ErrorHandle error);
            using (error)
            {
                if (status != 0)
                {
                    result.Dispose();
                    throw NativeResults.ToException(status, error);
                }
            }

            return JsonTree.AsObject(JsonCodec.Instance.Parse(ResultJson(result)), "a policy");
        }

        private static unsafe uint Apply(ClientHandle client, object change, CallContextHandle ctx, out ResultHandle result, out ErrorHandle error)
        {
            byte[] json = Utf8.Encode(JsonCodec.Instance.Serialize(change));
            fixed (byte* p = json)
            {
                return NativeMethods.pup_policy_apply(client, p, (UIntPtr)json.Length, ctx, out result, out error);
            }
        }

        private static CallContextHandle NewContext(PupEventCallback? onEvent = null) =>
            NativeMethods.pup_call_context_new(onEvent, IntPtr.Zero);

        [Fact]
        public void ReadsThePolicyWithATokenClient()
        {
            emulator.Control("PUT", $"/_emulator/tenants/{Tenant}/policy", new Dictionary<string, object>
            {
                ["source"] = "onPremises",
                ["allowedRoles"] = new[] { GlobalAdministrator },
            });
            using (ClientHandle client = TokenClient())
            using (CallContextHandle ctx = NewContext())
            {
                Dictionary<string, object?> policy = Get(client, ctx);
                Assert.Equal("onPremises", policy["source"]);
                var role = (Dictionary<string, object?>)((List<object?>)policy["allowedRoles"]!).Single()!;
                Assert.Equal(GlobalAdministrator, role["id"]);
                Assert.Equal("Global Administrator", role["name"]);
            }
        }

        [Fact]
        public void AppliesAChangeWrittenByTheNet472CodecAndRelaysTheEvents()
        {
            var events = new List<(uint Level, string Text)>();
            PupEventCallback callback = (userData, level, message, length) => events.Add((level, Utf8.Decode(message, length) ?? string.Empty));
            using (ClientHandle client = TokenClient())
            using (CallContextHandle ctx = NewContext(callback))
            {
                var change = new Dictionary<string, object?> { ["source"] = "cloud", ["allowedRoles"] = new[] { "People Administrator", "global administrator" } };
                uint status = Apply(client, change, ctx, out ResultHandle result, out ErrorHandle error);
                error.Dispose();
                Assert.Equal(0u, status);
                var applied = JsonTree.AsObject(JsonCodec.Instance.Parse(ResultJson(result)), "an apply result");
                Assert.Equal(true, applied["applied"]);
                var current = (Dictionary<string, object?>)applied["current"]!;
                Assert.Equal("cloud", current["source"]);
                Assert.Equal(2, ((List<object?>)current["allowedRoles"]!).Count);
            }

            GC.KeepAlive(callback);
            // What the emulator now stores, read through its control API.
            var stored = (IDictionary<string, object>)emulator.Control("GET", $"/_emulator/tenants/{Tenant}/policy")!;
            Assert.Equal("cloud", stored["source"]);
            // The 24-hour reminder arrives as a warning event (level 2) through the delegate.
            Assert.Contains(events, e => e.Level == 2 && e.Text.Contains("24 hours"));
        }

        [Fact]
        public void ABadRoleIsARichErrorAndNothingIsSent()
        {
            using (ClientHandle client = TokenClient())
            using (CallContextHandle ctx = NewContext())
            {
                emulator.Control("DELETE", "/_emulator/requests");
                uint status = Apply(client, new Dictionary<string, object?> { ["allowedRoles"] = new[] { "Photo W\u00f6rker" } }, ctx, out ResultHandle result, out ErrorHandle error);
                result.Dispose();
                using (error)
                {
                    Assert.Equal((uint)PhotoPolicyStatus.InvalidArgument, status);
                    PhotoPolicyException ex = NativeResults.ToException(status, error);
                    Assert.Equal(PhotoPolicyStatus.InvalidArgument, ex.Status);
                    // The non-ASCII value comes back intact through the error accessors.
                    Assert.Contains("Photo W\u00f6rker", ex.Message);
                }
            }

            var log = (object[])emulator.Control("GET", "/_emulator/requests")!;
            Assert.DoesNotContain(log.Cast<IDictionary<string, object>>(), r => (string)r["route"] == "graph" && (string)r["method"] != "GET");
        }

        [Fact]
        public void ARejectedTokenIsAnAuthenticationErrorThatNeverShowsTheToken()
        {
            string token = emulator.MintToken(Tenant, "PeopleSettings.ReadWrite.All");
            string forged = token.Substring(0, token.Length - 4) + (token.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");
            using (ClientHandle client = NewClient(ConfigJson(emulator, "accessToken"), Utf8.SecretToUtf8(forged)))
            using (CallContextHandle ctx = NewContext())
            {
                var ex = Assert.Throws<PhotoPolicyException>(() => Get(client, ctx));
                Assert.Equal(PhotoPolicyStatus.Authentication, ex.Status);
                Assert.Equal(401, ex.HttpStatus);
                Assert.DoesNotContain(forged, ex.ToString());
                Assert.DoesNotContain(forged.Substring(0, 20), ex.ToString());
            }
        }

        [Fact]
        public void ACancelledContextStopsTheCall()
        {
            using (ClientHandle client = TokenClient())
            using (CallContextHandle ctx = NewContext())
            {
                Assert.Equal(0u, NativeMethods.pup_call_context_cancel(ctx));
                var ex = Assert.Throws<PhotoPolicyException>(() => Get(client, ctx));
                Assert.Equal(PhotoPolicyStatus.Cancelled, ex.Status);
            }
        }

        [Fact]
        public void ABorrowedClientOutlivesItsOwner()
        {
            ClientHandle owner = TokenClient();
            ClientHandle borrowed = ClientHandle.Borrow(owner);
            owner.Dispose();
            using (borrowed)
            using (CallContextHandle ctx = NewContext())
            {
                Assert.True(Get(borrowed, ctx).ContainsKey("source"));
            }

            Assert.Throws<ObjectDisposedException>(() => ClientHandle.Borrow(owner));
        }

        [Fact]
        public void TheClientCacheMatchesOnlyTheSameSecretAndZeroesItsCopy()
        {
            PhotoUpdatePolicy.Internal.ClientCache.Clear();
            string config = ConfigJson(emulator, "accessToken");
            string token = emulator.MintToken(Tenant, "PeopleSettings.Read.All");
            int made = 0;
            Func<byte[], ClientHandle> create = secret =>
            {
                made++;
                return NewClient(config, secret);
            };

            byte[] first = Utf8.SecretToUtf8(token);
            using (ClientHandle a = PhotoUpdatePolicy.Internal.ClientCache.GetOrCreate(config, first, () => create(first)))
            {
                byte[] again = Utf8.SecretToUtf8(token);
                using (ClientHandle b = PhotoUpdatePolicy.Internal.ClientCache.GetOrCreate(config, again, () => create(again)))
                {
                    Assert.Equal(a.DangerousGetHandle(), b.DangerousGetHandle());
                }

                byte[] other = Utf8.SecretToUtf8(emulator.MintToken(Tenant, "PeopleSettings.ReadWrite.All"));
                using (ClientHandle c = PhotoUpdatePolicy.Internal.ClientCache.GetOrCreate(config, other, () => create(other)))
                using (CallContextHandle ctx = NewContext())
                {
                    Assert.NotEqual(a.DangerousGetHandle(), c.DangerousGetHandle());
                    Assert.True(Get(c, ctx).ContainsKey("source"));
                }
            }

            Assert.Equal(2, made);
            Assert.Equal(2, PhotoUpdatePolicy.Internal.ClientCache.Clear());
            Assert.Equal(0, PhotoUpdatePolicy.Internal.ClientCache.Count);
        }
    }
}
