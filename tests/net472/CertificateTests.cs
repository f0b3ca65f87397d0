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
    /// Certificate sign-in on .NET Framework: the private key never leaves its X509Certificate2 or
    /// RSA object; the native library builds each Entra ID client assertion and calls back into
    /// this build's CertificateSigner for the signature, which the emulator verifies. A key that
    /// refuses every export signs in all the same. A fresh RSA key and self-signed certificate come
    /// from openssl for each run.
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

        // Not exportable: the module never asks for the key, only for signatures.
        private X509Certificate2 LoadPfx() =>
            new X509Certificate2(Path.Combine(folder, "cert.pfx"), Password, X509KeyStorageFlags.DefaultKeySet);

        private void RegisterApp()
        {
            emulator.Control("POST", "/_emulator/apps", new Dictionary<string, object>
            {
                ["tenantId"] = Tenant,
                ["clientId"] = ClientId,
                ["certificatePem"] = File.ReadAllText(Path.Combine(folder, "cert.pem")),
                ["roles"] = new[] { "PeopleSettings.Read.All" },
            });
        }

        private ClientHandle SignerClient(CertificateSigner signer)
        {
            var auth = new Dictionary<string, object?> { ["clientId"] = ClientId, ["certificatePem"] = signer.CertificatePem };
            return CertificateSigner.NewClient(NativeCallTests.ConfigJson(emulator, "certificate", auth, Tenant), signer);
        }

        [Fact]
        public void TheSignerCarriesTheCertificateAndSignsWithItsKeyInPlace()
        {
            using (X509Certificate2 certificate = LoadPfx())
            using (CertificateSigner signer = CertificateKeys.SignerFor(certificate, "-Certificate", owned: false))
            {
                // The same certificate (openssl wraps base64 at 64 columns, .NET at 76).
                Func<string, string> body = text => string.Concat(text.Where(c => !char.IsWhiteSpace(c)));
                Assert.Equal(body(File.ReadAllText(Path.Combine(folder, "cert.pem"))), body(signer.CertificatePem));
                Assert.StartsWith("-----BEGIN CERTIFICATE-----\n", signer.CertificatePem);
                Assert.Equal(certificate.Thumbprint, signer.Thumbprint);

                // RS256 is offered by every key; the signature verifies with the certificate.
                Assert.True((signer.Algorithms & (uint)PupSignatureAlgorithm.Rs256) != 0);
                byte[] input = System.Text.Encoding.ASCII.GetBytes("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ0ZXN0In0");
                byte[] signature = signer.Sign(PupSignatureAlgorithm.Rs256, input);
                using (RSA publicKey = certificate.GetRSAPublicKey()!)
                {
                    Assert.True(publicKey.VerifyData(input, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
                }
            }
        }

        [Fact]
        public void CryptoApiAndForeignKeysOfferRs256Only()
        {
            // The Windows CryptoAPI (and Mono's RSA) has no PSS: only RS256 is offered for it.
            using (var capi = new RSACryptoServiceProvider(2048))
            {
                Assert.Equal((uint)PupSignatureAlgorithm.Rs256, CertificateSigner.AlgorithmsOf(capi));

                // A key class from elsewhere (a vendor's, or this test's wrapper) may lack PSS too.
                using (var other = new NonExportableRsa(capi))
                {
                    Assert.Equal((uint)PupSignatureAlgorithm.Rs256, CertificateSigner.AlgorithmsOf(other));
                }
            }
        }

        [Fact]
        public void SignsInWithTheCertificateAgainstTheEmulator()
        {
            RegisterApp();
            using (X509Certificate2 certificate = LoadPfx())
            using (ClientHandle client = SignerClient(CertificateKeys.SignerFor(certificate, "-Certificate", owned: false)))
            using (CallContextHandle ctx = NativeMethods.pup_call_context_new(null, IntPtr.Zero))
            {
                Dictionary<string, object?> policy = NativeCallTests.Get(client, ctx);
                Assert.Equal(Tenant, policy["tenantId"]);
            }

            // The emulator saw a client assertion (redacted in its log), never a secret.
            var log = ((object[])emulator.Control("GET", "/_emulator/requests")!).Cast<IDictionary<string, object>>();
            Assert.Contains(log, r => (string)r["route"] == "token" && r["body"]?.ToString()!.Contains("client_assertion") == true);
        }

        [Fact]
        public void AKeyThatRefusesEveryExportSignsInWhereItLives()
        {
            RegisterApp();
            using (X509Certificate2 certificate = LoadPfx())
            {
                var key = new NonExportableRsa(certificate.GetRSAPrivateKey()!);
                Assert.Throws<CryptographicException>(() => key.ExportParameters(true));
                int refusedBefore = key.PrivateExports;
                var signer = new CertificateSigner(certificate, key, ownedCertificate: null);
                using (ClientHandle client = SignerClient(signer))
                using (CallContextHandle ctx = NativeMethods.pup_call_context_new(null, IntPtr.Zero))
                {
                    Dictionary<string, object?> policy = NativeCallTests.Get(client, ctx);
                    Assert.Equal(Tenant, policy["tenantId"]);
                    Assert.True(key.Signatures == 1, $"one signature for the sign-in (was {key.Signatures})");
                    Assert.False(key.Disposed, "the library still holds the signer while the client lives");
                }

                Assert.Equal(refusedBefore, key.PrivateExports);
                Assert.True(key.Disposed, "freeing the client released the signer and its key");
            }
        }

        [Fact]
        public void AKeyStoreFailureIsAClearSignInErrorAndNothingIsSent()
        {
            RegisterApp();
            emulator.Control("DELETE", "/_emulator/requests");
            using (X509Certificate2 certificate = LoadPfx())
            {
                var key = new NonExportableRsa(certificate.GetRSAPrivateKey()!) { Failure = "The smart card was removed." };
                using (ClientHandle client = SignerClient(new CertificateSigner(certificate, key, ownedCertificate: null)))
                using (CallContextHandle ctx = NativeMethods.pup_call_context_new(null, IntPtr.Zero))
                {
                    var ex = Assert.Throws<PhotoPolicyException>(() => NativeCallTests.Get(client, ctx));
                    Assert.Equal(PhotoPolicyStatus.Authentication, ex.Status);
                    Assert.Contains("could not sign the client assertion: The smart card was removed", ex.Message);
                    Assert.Contains(certificate.Thumbprint, ex.Message);
                }
            }

            var log = ((object[])emulator.Control("GET", "/_emulator/requests")!).Cast<IDictionary<string, object>>();
            Assert.DoesNotContain(log, r => (string)r["route"] == "token");
        }

        [Fact]
        public void ACertificateWithoutItsKeyIsRefusedWithTheFix()
        {
            using (var publicOnly = new X509Certificate2(Path.Combine(folder, "cert.pem")))
            {
                var ex = Assert.Throws<SignInParameterException>(() => CertificateKeys.SignerFor(publicOnly, "-Certificate", owned: false));
                Assert.Equal("PhotoUpdatePolicy.CertificateWithoutPrivateKey", ex.ErrorId);
                Assert.Contains(publicOnly.Thumbprint, ex.Message);
            }
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

    /// <summary>
    /// A key as a non-exportable store holds it: it signs (through the real key it wraps) but
    /// refuses to give out its private parameters, counting every attempt. Optionally every
    /// signature fails, as with a removed smart card.
    /// </summary>
    internal sealed class NonExportableRsa : RSA
    {
        private readonly RSA inner;

        internal NonExportableRsa(RSA inner)
        {
            this.inner = inner;
            KeySizeValue = inner.KeySize;
            LegalKeySizesValue = inner.LegalKeySizes;
        }

        internal int PrivateExports { get; private set; }

        internal int Signatures { get; private set; }

        internal bool Disposed { get; private set; }

        internal string? Failure { get; set; }

        public override RSAParameters ExportParameters(bool includePrivateParameters)
        {
            if (includePrivateParameters)
            {
                PrivateExports++;
                throw new CryptographicException("Key not valid for use in specified state (the key is not exportable).");
            }

            return inner.ExportParameters(false);
        }

        public override void ImportParameters(RSAParameters parameters) =>
            throw new CryptographicException("This key store does not import keys.");

        public override byte[] SignHash(byte[] hash, HashAlgorithmName hashAlgorithm, RSASignaturePadding padding)
        {
            if (Failure != null)
            {
                throw new CryptographicException(Failure);
            }

            Signatures++;
            return inner.SignHash(hash, hashAlgorithm, padding);
        }

        public override bool VerifyHash(byte[] hash, byte[] signature, HashAlgorithmName hashAlgorithm, RSASignaturePadding padding) =>
            inner.VerifyHash(hash, signature, hashAlgorithm, padding);

        protected override byte[] HashData(byte[] data, int offset, int count, HashAlgorithmName hashAlgorithm)
        {
            using (SHA256 sha = SHA256.Create())
            {
                return sha.ComputeHash(data, offset, count);
            }
        }

        protected override byte[] HashData(Stream data, HashAlgorithmName hashAlgorithm)
        {
            using (SHA256 sha = SHA256.Create())
            {
                return sha.ComputeHash(data);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Disposed = true;
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
