using System;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using PhotoUpdatePolicy.Native;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// Signs a certificate sign-in's client assertions with the certificate's private key where it
    /// lives (Windows CNG or CryptoAPI, the macOS keychain, a PFX opened in memory): the native
    /// library builds the assertion and calls back here for the signature
    /// (<c>pup_client_new_with_signer</c>). The key is never exported, so keys marked non-exportable
    /// (the machine store, a TPM, a smart card, an HSM) work.
    ///
    /// Lifetime: once handed to the library (<see cref="NewClient"/>), the
    /// library owns it through a <see cref="GCHandle"/> and releases it exactly once, when the last
    /// native client using it is freed (or at once when the client cannot be made): the GC cannot
    /// collect it while native code may call it, and the callbacks are static delegates that live as
    /// long as the module.
    /// </summary>
    internal sealed unsafe class CertificateSigner : IDisposable
    {
        /// <summary>The sign callback, made once: a static delegate is never collected.</summary>
        internal static readonly PupSignCallback SignCallback = SignNative;

        /// <summary>The release callback, made once (see <see cref="SignCallback"/>).</summary>
        internal static readonly PupReleaseCallback ReleaseCallback = ReleaseNative;

        private readonly object gate = new object();
        private readonly RSA key;
        private readonly X509Certificate2? ownedCertificate;
        private bool disposed;

        /// <summary>
        /// A signer for <paramref name="certificate"/> (public part) that signs with
        /// <paramref name="key"/> (its private key, which this signer disposes).
        /// <paramref name="ownedCertificate"/> is disposed with the signer (a certificate this module
        /// opened); a certificate the user passed stays theirs.
        /// </summary>
        internal CertificateSigner(X509Certificate2 certificate, RSA key, X509Certificate2? ownedCertificate)
        {
            this.key = key;
            this.ownedCertificate = ownedCertificate;
            CertificatePem = ToPem(certificate);
            Thumbprint = certificate.Thumbprint;
            Algorithms = AlgorithmsOf(key);
        }

        /// <summary>The certificate (public part) as PEM, for the client config.</summary>
        internal string CertificatePem { get; }

        /// <summary>The certificate's SHA-1 thumbprint (for messages).</summary>
        internal string Thumbprint { get; }

        /// <summary>What the key can sign: <c>PupSignatureAlgorithm</c> values, OR-ed.</summary>
        internal uint Algorithms { get; }

        /// <summary>
        /// Creates a native client for a certificate sign-in whose assertions
        /// <paramref name="signer"/> signs where the key lives (no network, no signing here). The
        /// library takes the signer over, whatever the outcome: it releases (disposes) it when the
        /// last client using it is freed, or at once when the client cannot be made. Throws a
        /// <see cref="PhotoPolicyException"/> for a config the library refuses.
        /// </summary>
        internal static ClientHandle NewClient(string configJson, CertificateSigner signer)
        {
            byte[] config = Utf8.Encode(configJson);
            GCHandle userData = GCHandle.Alloc(signer);
            uint status;
            ClientHandle client;
            ErrorHandle error;
            try
            {
                fixed (byte* c = config)
                {
                    status = NativeMethods.pup_client_new_with_signer(
                        c, (UIntPtr)config.Length, SignCallback, ReleaseCallback, GCHandle.ToIntPtr(userData), signer.Algorithms,
                        out client, out error);
                }
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException || ex is DllNotFoundException)
            {
                // The library never saw the signer: release it here.
                userData.Free();
                signer.Dispose();
                throw;
            }

            using (error)
            {
                if (status == 0)
                {
                    return client;
                }

                client.Dispose();
                throw NativeResults.ToException(status, error);
            }
        }

        /// <summary>
        /// Signs <paramref name="data"/> (the JWT signing input) with the key: SHA-256 with PKCS#1
        /// v1.5 (RS256) or PSS (PS256). Throws what the key store throws.
        /// </summary>
        internal byte[] Sign(PupSignatureAlgorithm algorithm, byte[] data)
        {
            RSASignaturePadding padding = algorithm switch
            {
                PupSignatureAlgorithm.Rs256 => RSASignaturePadding.Pkcs1,
                PupSignatureAlgorithm.Ps256 => RSASignaturePadding.Pss,
                _ => throw new CryptographicException($"The signature algorithm {(uint)algorithm} is not known to this module."),
            };

            // One signature at a time: a fleet run may ask from several threads, and not every key
            // object (RSACryptoServiceProvider) is safe to use concurrently. Signing takes
            // milliseconds; tokens are cached for an hour.
            lock (gate)
            {
                if (disposed)
                {
                    throw new ObjectDisposedException(nameof(CertificateSigner), "The certificate's signer was already released.");
                }

                return key.SignData(data, HashAlgorithmName.SHA256, padding);
            }
        }

        /// <summary>Disposes the key object (and the certificate, when this module opened it).</summary>
        public void Dispose()
        {
            lock (gate)
            {
                if (disposed)
                {
                    return;
                }

                disposed = true;
                key.Dispose();
                ownedCertificate?.Dispose();
            }
        }

        /// <summary>
        /// Which algorithms to offer. RS256 always: every RSA key can make it. PS256 too only for the
        /// platform's own key types known to make PSS signatures: a CNG key in the software key
        /// storage provider, and the OpenSSL and Apple keys of .NET on Linux and macOS. Not for the
        /// Windows CryptoAPI (RSACryptoServiceProvider, also Mono's only RSA), CNG keys in other
        /// providers (smart cards, TPMs and HSMs often lack PSS), or RSA classes from elsewhere.
        /// Entra ID accepts both algorithms.
        /// </summary>
        internal static uint AlgorithmsOf(RSA key)
        {
            const uint rs256 = (uint)PupSignatureAlgorithm.Rs256;
            const uint both = rs256 | (uint)PupSignatureAlgorithm.Ps256;
            if (key is RSACryptoServiceProvider)
            {
                return rs256;
            }

            if (key is RSACng cng)
            {
                if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
                {
                    return rs256;
                }

                try
                {
                    return cng.Key.Provider == CngProvider.MicrosoftSoftwareKeyStorageProvider ? both : rs256;
                }
                catch (CryptographicException)
                {
                    return rs256;
                }
            }

            // The platform's own types (RSAOpenSsl, the Apple Security keys) live beside RSA itself.
            bool platformType = key.GetType().Assembly == typeof(RSACng).Assembly || key.GetType().Assembly == typeof(RSA).Assembly
                || key.GetType().Namespace == typeof(RSA).Namespace;
            return platformType && !RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? both : rs256;
        }

        private static string ToPem(X509Certificate2 certificate) =>
            "-----BEGIN CERTIFICATE-----\n"
            + Convert.ToBase64String(certificate.RawData, Base64FormattingOptions.InsertLineBreaks).Replace("\r\n", "\n")
            + "\n-----END CERTIFICATE-----\n";

        /// <summary>
        /// The <c>PupSignFn</c>: runs on a library thread, maybe several at once. Nothing may escape
        /// into native code: every exception becomes a failure status with its message (the key
        /// store's words; the signing input and the key never appear in it).
        /// </summary>
        private static unsafe uint SignNative(IntPtr userData, uint algorithm, byte* data, UIntPtr dataLength, byte* signature, UIntPtr* signatureLength, byte* message, UIntPtr* messageLength)
        {
            try
            {
                var signer = (CertificateSigner)GCHandle.FromIntPtr(userData).Target!;
                var input = new byte[checked((int)dataLength)];
                Marshal.Copy((IntPtr)data, input, 0, input.Length);
                byte[] signed = signer.Sign((PupSignatureAlgorithm)algorithm, input);
                if ((ulong)signed.Length > (ulong)*signatureLength)
                {
                    return Fail($"the signature has {signed.Length} bytes, more than the {(ulong)*signatureLength} the library takes", message, messageLength);
                }

                Marshal.Copy(signed, 0, (IntPtr)signature, signed.Length);
                *signatureLength = (UIntPtr)signed.Length;
                return 0;
            }
            catch (Exception ex)
            {
                return Fail(Describe(ex), message, messageLength);
            }
        }

        private static unsafe uint Fail(string reason, byte* message, UIntPtr* messageLength)
        {
            try
            {
                byte[] bytes = Encoding.UTF8.GetBytes(reason);
                int length = (int)Math.Min((ulong)bytes.Length, (ulong)*messageLength);
                Marshal.Copy(bytes, 0, (IntPtr)message, length);
                *messageLength = (UIntPtr)length;
            }
            catch (Exception)
            {
                // The reason is a courtesy; the failure status alone still fails the sign-in.
            }

            return 1;
        }

        /// <summary>A key store's CryptographicException speaks for itself; other exceptions are named.</summary>
        private static string Describe(Exception ex) =>
            ex is CryptographicException ? ex.Message : ex.GetType().Name + ": " + ex.Message;

        /// <summary>The <c>PupReleaseFn</c>: frees the handle and disposes the signer, once.</summary>
        private static void ReleaseNative(IntPtr userData)
        {
            try
            {
                GCHandle handle = GCHandle.FromIntPtr(userData);
                var signer = handle.Target as CertificateSigner;
                handle.Free();
                signer?.Dispose();
            }
            catch (Exception)
            {
                // Never let an exception reach native code; a signer not disposed is only garbage.
            }
        }
    }
}
