using System;
using System.IO;
using System.Linq;
using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using PhotoUpdatePolicy.Native;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// Turns a certificate given to the cmdlets (an X509Certificate2, a store thumbprint or subject, a
    /// PFX or a PEM file) into what the core's certificate sign-in takes: the public certificate as
    /// PEM (in the config) and a <see cref="CertificateSigner"/> that signs with the private key where
    /// it lives; the key is never exported. Only a PEM file's key, already plain bytes on disk, is
    /// passed to the core as bytes. Only marshalling: the core checks the key size, the validity
    /// dates and every signature against the certificate.
    /// </summary>
    internal static class CertificateKeys
    {
        /// <summary>
        /// A signer for <paramref name="certificate"/>'s private key, which stays in its key store.
        /// With <paramref name="owned"/> the signer disposes the certificate when released (this
        /// module opened it); else the certificate stays the caller's (-Certificate).
        /// </summary>
        internal static CertificateSigner SignerFor(X509Certificate2 certificate, string parameter, bool owned)
        {
            try
            {
                if (!certificate.HasPrivateKey)
                {
                    throw new SignInParameterException(
                        "PhotoUpdatePolicy.CertificateWithoutPrivateKey",
                        $"{parameter}: the certificate '{certificate.Subject}' (thumbprint {certificate.Thumbprint}) has no private key; certificate sign-in signs with it.",
                        "Use the certificate with its private key: import the PFX into the store, or pass -CertificatePath with the PFX file.");
                }

                RSA? rsa;
                try
                {
                    rsa = certificate.GetRSAPrivateKey();
                }
                catch (CryptographicException ex)
                {
                    throw new SignInParameterException(
                        "PhotoUpdatePolicy.CertificateKeyUnusable",
                        $"{parameter}: the private key of the certificate '{certificate.Subject}' (thumbprint {certificate.Thumbprint}) cannot be opened: {ex.Message}",
                        "Check that this account may use the key (Windows: certlm.msc or certmgr.msc > the certificate > All Tasks > Manage Private Keys), and that a smart card or hardware key holding it is present.");
                }

                if (rsa == null)
                {
                    throw new SignInParameterException(
                        "PhotoUpdatePolicy.CertificateNotRsa",
                        $"{parameter}: the certificate '{certificate.Subject}' (thumbprint {certificate.Thumbprint}) does not have an RSA key; Entra ID client assertions here need an RSA key (2048 bits or more).",
                        "Create an RSA certificate, e.g. New-SelfSignedCertificate -KeyAlgorithm RSA -KeyLength 2048.");
                }

                return new CertificateSigner(certificate, rsa, owned ? certificate : null);
            }
            catch when (owned)
            {
                certificate.Dispose();
                throw;
            }
        }

        /// <summary>A certificate with a private key from CurrentUser\My, then LocalMachine\My.</summary>
        internal static X509Certificate2 FromStore(string thumbprint)
        {
            // Copying a thumbprint out of the certificate dialog brings spaces and an invisible
            // left-to-right mark along: keep the hex digits only.
            string wanted = new string(thumbprint.Where(Uri.IsHexDigit).ToArray()).ToUpperInvariant();
            if (wanted.Length != 40)
            {
                throw new SignInParameterException(
                    "PhotoUpdatePolicy.InvalidCertificateThumbprint",
                    $"-CertificateThumbprint '{thumbprint}' is not a SHA-1 thumbprint: it must have 40 hexadecimal digits (it has {wanted.Length}).",
                    "Copy the Thumbprint of the certificate, e.g. (Get-ChildItem Cert:\\CurrentUser\\My)[0].Thumbprint.");
            }

            foreach (StoreLocation location in new[] { StoreLocation.CurrentUser, StoreLocation.LocalMachine })
            {
                try
                {
                    using var store = new X509Store(StoreName.My, location);
                    store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
                    X509Certificate2Collection found = store.Certificates.Find(X509FindType.FindByThumbprint, wanted, validOnly: false);
                    if (found.Count > 0)
                    {
                        return found[0];
                    }
                }
                catch (CryptographicException)
                {
                    // This store does not exist on this machine (e.g. LocalMachine\My on Linux).
                }
            }

            throw new SignInParameterException(
                "PhotoUpdatePolicy.CertificateNotFound",
                $"-CertificateThumbprint {wanted}: no certificate with this thumbprint in the CurrentUser\\My or LocalMachine\\My certificate store.",
                "Import the certificate with its private key into one of those stores, or pass it with -CertificatePath (PFX or PEM file) or -Certificate.");
        }

        /// <summary>
        /// -CertificateSubjectName, as Connect-MgGraph reads it: the certificates of CurrentUser\My,
        /// then LocalMachine\My, whose subject is <paramref name="subject"/> (the distinguished name,
        /// e.g. "CN=PhotoPolicy automation", or only the common name), valid now and with a private
        /// key; the newest (latest NotBefore) of the first store that has one.
        /// </summary>
        internal static X509Certificate2 FromStoreBySubject(string subject)
        {
            string wanted = subject.Trim();
            string wantedCn = wanted.StartsWith("CN=", StringComparison.OrdinalIgnoreCase) ? wanted.Substring(3).Trim() : wanted;
            DateTime now = DateTime.Now;
            int seen = 0;
            foreach (StoreLocation location in new[] { StoreLocation.CurrentUser, StoreLocation.LocalMachine })
            {
                try
                {
                    using var store = new X509Store(StoreName.My, location);
                    store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
                    X509Certificate2? best = null;
                    foreach (X509Certificate2 c in store.Certificates)
                    {
                        bool named = string.Equals(c.Subject, wanted, StringComparison.OrdinalIgnoreCase)
                            || string.Equals(c.GetNameInfo(X509NameType.SimpleName, false), wantedCn, StringComparison.OrdinalIgnoreCase);
                        if (!named)
                        {
                            continue;
                        }

                        seen++;
                        if (c.HasPrivateKey && c.NotBefore <= now && now <= c.NotAfter && (best == null || c.NotBefore > best.NotBefore))
                        {
                            best = c;
                        }
                    }

                    if (best != null)
                    {
                        return best;
                    }
                }
                catch (CryptographicException)
                {
                    // This store does not exist on this machine (e.g. LocalMachine\My on Linux).
                }
            }

            throw new SignInParameterException(
                "PhotoUpdatePolicy.CertificateNotFound",
                seen == 0
                    ? $"-CertificateSubjectName '{wanted}': no certificate with this subject in the CurrentUser\\My or LocalMachine\\My certificate store."
                    : $"-CertificateSubjectName '{wanted}': {seen} certificate(s) have this subject, but none is valid now with its private key.",
                "Import the certificate with its private key (e.g. Import-PfxCertificate -CertStoreLocation Cert:\\CurrentUser\\My), or pass -CertificateThumbprint, -CertificatePath or -Certificate.");
        }

        /// <summary>
        /// Reads a PEM file (certificate and unencrypted private key: passed straight to the core as
        /// <c>PrivateKey</c>) or a PFX file (opened with <paramref name="password"/>, its key not
        /// exportable, and signed with where it was loaded: <c>Signer</c>).
        /// </summary>
        internal static (string CertificatePem, byte[]? PrivateKey, CertificateSigner? Signer) FromFile(string path, SecureString? password)
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException || ex is ArgumentException)
            {
                throw new SignInParameterException(
                    "PhotoUpdatePolicy.CertificateFileUnreadable",
                    $"-CertificatePath '{path}' could not be read: {ex.Message}",
                    "Check the path and that this account may read the file.");
            }

            if (LooksLikePem(bytes))
            {
                // Only the certificate block becomes a string: the rest of the file holds the key,
                // which stays in the byte buffer that is zeroed after the call.
                int start = IndexOf(bytes, "-----BEGIN CERTIFICATE-----", 0);
                int end = start < 0 ? -1 : IndexOf(bytes, "-----END CERTIFICATE-----", start);
                if (end < 0)
                {
                    Utf8.Zero(bytes);
                    throw new SignInParameterException(
                        "PhotoUpdatePolicy.CertificateFileInvalid",
                        $"-CertificatePath '{path}' is a PEM file without a CERTIFICATE block; it must hold the certificate and its private key.",
                        "Put the certificate (-----BEGIN CERTIFICATE-----) and the unencrypted private key (-----BEGIN PRIVATE KEY-----) in one file, or use a PFX file.");
                }

                // Only the certificate goes into the config; the whole file (with the key) is the secret.
                string certificatePem = Encoding.ASCII.GetString(bytes, start, end - start + "-----END CERTIFICATE-----".Length);
                return (certificatePem, bytes, null);
            }

            X509Certificate2 certificate;
            try
            {
                certificate = OpenPfx(bytes, password);
            }
            catch (CryptographicException ex)
            {
                throw new SignInParameterException(
                    "PhotoUpdatePolicy.CertificateFileInvalid",
                    $"-CertificatePath '{path}' could not be opened as a PFX (PKCS#12) file{(password == null ? " without a password" : " with the given -CertificatePassword")}: {ex.Message}",
                    password == null
                        ? "Pass the PFX password with -CertificatePassword (Read-Host -AsSecureString), or use a PEM file with the certificate and an unencrypted key."
                        : "Check -CertificatePassword; or use a PEM file with the certificate and an unencrypted key.");
            }
            finally
            {
                Utf8.Zero(bytes);
            }

            CertificateSigner signer = SignerFor(certificate, "-CertificatePath", owned: true);
            return (signer.CertificatePem, null, signer);
        }

        private static X509Certificate2 OpenPfx(byte[] bytes, SecureString? password)
        {
            // Not exportable: the key only ever signs where it was loaded. Ephemeral so nothing is
            // written to the user's key store (not supported everywhere: then the default).
            try
            {
                return new X509Certificate2(bytes, password, X509KeyStorageFlags.EphemeralKeySet);
            }
            catch (PlatformNotSupportedException)
            {
                return new X509Certificate2(bytes, password, X509KeyStorageFlags.DefaultKeySet);
            }
        }

        private static int IndexOf(byte[] bytes, string marker, int from)
        {
            byte[] m = Encoding.ASCII.GetBytes(marker);
            for (int i = from; i <= bytes.Length - m.Length; i++)
            {
                int j = 0;
                while (j < m.Length && bytes[i + j] == m[j])
                {
                    j++;
                }

                if (j == m.Length)
                {
                    return i;
                }
            }

            return -1;
        }

        private static bool LooksLikePem(byte[] bytes)
        {
            int i = 0;
            while (i < bytes.Length && (bytes[i] == ' ' || bytes[i] == '\t' || bytes[i] == '\r' || bytes[i] == '\n' || bytes[i] == 0xEF || bytes[i] == 0xBB || bytes[i] == 0xBF))
            {
                i++;
            }

            byte[] marker = Encoding.ASCII.GetBytes("-----BEGIN");
            return bytes.Length - i >= marker.Length && bytes.Skip(i).Take(marker.Length).SequenceEqual(marker);
        }
    }

    /// <summary>A sign-in parameter problem the user must fix (nothing was sent).</summary>
    internal sealed class SignInParameterException : Exception
    {
        internal SignInParameterException(string errorId, string message, string? recommendedAction = null)
            : base(message)
        {
            ErrorId = errorId;
            RecommendedAction = recommendedAction;
        }

        /// <summary>The stable ErrorId.</summary>
        internal string ErrorId { get; }

        /// <summary>What to do about it.</summary>
        internal string? RecommendedAction { get; }
    }
}
