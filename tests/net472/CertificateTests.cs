using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PhotoUpdatePolicy.Internal;
using PhotoUpdatePolicy.Native;


namespace PhotoUpdatePolicy.Net472Tests
{
    /// <summary>
    /// Certificate sign-in on .NET Framework: the private key leaves the X509Certificate2 through
    /// the hand-written PKCS#1 encoder (.NET Framework has no PKCS#8 export), and the native
    /// library signs Entra ID client assertions with it that the emulator verifies.
    /// A fresh RSA key and self-signed certificate come from openssl for each run.
    /// </summary>
    public sealed class CertificateTests : IClassFixture<EmulatorFixture>, IDisposable
    {
        private const string Tenant = "net472cert.onmicrosoft.com";
        private const string ClientId = "5a0d3c3e-7f6b-4f0e-9d7e-2b1c0a9f8e71";
        private const string Password = "pfx-password-1";
        private readonly EmulatorFixture emulator;
        private readonly string folder;

        public CertificateTests(EmulatorFixture emulator)
        {
            this.emulator = emulator;
            folder = Path.Combine(Path.GetTempPath(), "pup-net472-cert-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            OpenSsl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "2", "-subj", "/CN=PhotoUpdatePolicy net472 test");
            // PKCS#1 (RSAPrivateKey) DER of the same key: what the encoder must produce.
            OpenSsl("rsa", "-in", "key.pem", "-outform", "DER", "-traditional", "-out", "key.pkcs1.der");
            // SHA-1/3DES protection: readable by every .NET Framework and Mono (OpenSSL 3 defaults to AES).
            OpenSsl("pkcs12", "-export", "-in", "cert.pem", "-inkey", "key.pem", "-out", "cert.pfx", "-passout", "pass:" + Password,
                "-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1");
        }

        private void OpenSsl(params string[] arguments)
        {
            var info = new ProcessStartInfo("openssl", string.Join(" ", arguments.Select(a => a.Contains(" ") ? "\"" + a + "\"" : a)))
            {
                WorkingDirectory = folder,
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using (Process process = Process.Start(info)!)
            {
                string errors = process.StandardError.ReadToEnd();
                process.StandardOutput.ReadToEnd();
                process.WaitForExit();
                Assert.True(process.ExitCode == 0, $"openssl {string.Join(" ", arguments)} failed: {errors}");
            }
        }

        private X509Certificate2 LoadPfx() =>
            new X509Certificate2(Path.Combine(folder, "cert.pfx"), Password, X509KeyStorageFlags.Exportable);

        [Fact]
        public void ExportsThePrivateKeyAsTheSamePkcs1DerAsOpenSsl()
        {
            using (X509Certificate2 certificate = LoadPfx())
            {
                (string pem, byte[] key) = CertificateKeys.FromCertificate(certificate, "-Certificate");
                try
                {
                    Assert.Equal(File.ReadAllBytes(Path.Combine(folder, "key.pkcs1.der")), key);
                    // The same certificate (openssl wraps base64 at 64 columns, .NET at 76).
                    Func<string, string> body = text => string.Concat(text.Where(c => !char.IsWhiteSpace(c)));
                    Assert.Equal(body(File.ReadAllText(Path.Combine(folder, "cert.pem"))), body(pem));
                    Assert.StartsWith("-----BEGIN CERTIFICATE-----\n", pem);
                }
                finally
                {
                    Utf8.Zero(key);
                }
            }
        }

        [Fact]
        public void SignsInWithTheCertificateAgainstTheEmulator()
        {
            string certificatePem = File.ReadAllText(Path.Combine(folder, "cert.pem"));
            emulator.Control("POST", "/_emulator/apps", new Dictionary<string, object>
            {
                ["tenantId"] = Tenant,
                ["clientId"] = ClientId,
                ["certificatePem"] = certificatePem,
                ["roles"] = new[] { "PeopleSettings.Read.All" },
            });

            using (X509Certificate2 certificate = LoadPfx())
            {
                (string pem, byte[] key) = CertificateKeys.FromCertificate(certificate, "-Certificate");
                var auth = new Dictionary<string, object?> { ["clientId"] = ClientId, ["certificatePem"] = pem };
                using (ClientHandle client = NativeCallTests.NewClient(NativeCallTests.ConfigJson(emulator, "certificate", auth, Tenant), key))
                using (CallContextHandle ctx = NativeMethods.pup_call_context_new(null, IntPtr.Zero))
                {
                    Dictionary<string, object?> policy = NativeCallTests.Get(client, ctx);
                    Assert.Equal(Tenant, policy["tenantId"]);
                }
            }

            // The emulator saw a client assertion (redacted in its log), never a secret.
            var log = ((object[])emulator.Control("GET", "/_emulator/requests")!).Cast<IDictionary<string, object>>();
            Assert.Contains(log, r => (string)r["route"] == "token" && r["body"]?.ToString()!.Contains("client_assertion") == true);
        }

        [Fact]
        public void ACertificateWithoutItsKeyIsRefusedWithTheFix()
        {
            using (var publicOnly = new X509Certificate2(Path.Combine(folder, "cert.pem")))
            {
                var ex = Assert.Throws<SignInParameterException>(() => CertificateKeys.FromCertificate(publicOnly, "-Certificate"));
                Assert.Equal("PhotoUpdatePolicy.CertificateWithoutPrivateKey", ex.ErrorId);
                Assert.Contains(publicOnly.Thumbprint, ex.Message);
            }
        }

        [Fact]
        public void EncodesKeyIntegersAsPositiveMinimalDer()
        {
            // A modulus with the top bit set needs a leading zero; leading zeros of a value go.
            var p = new RSAParameters
            {
                Modulus = new byte[] { 0x80, 0x01 },
                Exponent = new byte[] { 0x01, 0x00, 0x01 },
                D = new byte[] { 0x00, 0x7F },
                P = new byte[] { 0x03 },
                Q = new byte[] { 0x05 },
                DP = new byte[] { 0x01 },
                DQ = new byte[] { 0x01 },
                InverseQ = new byte[] { 0x02 },
            };
            byte[] der = Pkcs1.Encode(p);
            Assert.Equal(new byte[]
            {
                0x30, 0x1F,
                0x02, 0x01, 0x00,
                0x02, 0x03, 0x00, 0x80, 0x01,
                0x02, 0x03, 0x01, 0x00, 0x01,
                0x02, 0x01, 0x7F,
                0x02, 0x01, 0x03, 0x02, 0x01, 0x05, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02,
            }, der);
            Pkcs1.Zero(p);
            Assert.All(p.D!.Concat(p.P!).Concat(p.InverseQ!), b => Assert.Equal(0, b));
            Assert.Equal(0x80, p.Modulus![0]);
        }

        public void Dispose()
        {
            try
            {
                Directory.Delete(folder, true);
            }
            catch (IOException)
            {
                // A temp folder left behind is harmless.
            }
        }
    }
}
