using System;
using System.Runtime.InteropServices;
using System.Security;
using System.Text;

namespace PhotoUpdatePolicy.Native
{
    /// <summary>
    /// UTF-8 marshalling by hand: the C ABI takes <c>(const uint8_t*, size_t)</c> and
    /// <c>LPUTF8Str</c> is not available on .NET Framework.
    /// </summary>
    internal static class Utf8
    {
        private static readonly UTF8Encoding Strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

        /// <summary>Encodes a managed string (no BOM, no terminator).</summary>
        internal static byte[] Encode(string value) => Strict.GetBytes(value);

        /// <summary>
        /// Copies a borrowed native UTF-8 span into a managed string. (NULL, 0) means absent.
        /// Invalid sequences are replaced rather than thrown: text from the library is for display.
        /// </summary>
        internal static string? Decode(IntPtr ptr, UIntPtr length)
        {
            if (ptr == IntPtr.Zero)
            {
                return null;
            }

            ulong len = length.ToUInt64();
            if (len > int.MaxValue)
            {
                throw new InvalidOperationException("The native library returned a string longer than 2 GiB.");
            }

            var bytes = new byte[(int)len];
            Marshal.Copy(ptr, bytes, 0, bytes.Length);
            return Encoding.UTF8.GetString(bytes);
        }

        /// <summary>
        /// Copies a secret into UTF-8 bytes the caller must zero with <see cref="Zero"/> once the
        /// native call returned. The intermediate UTF-16 copies are zeroed here.
        /// </summary>
        internal static unsafe byte[] SecretToUtf8(SecureString secret)
        {
            IntPtr unicode = Marshal.SecureStringToGlobalAllocUnicode(secret);
            try
            {
                char* chars = (char*)unicode;
                int byteCount = Strict.GetByteCount(chars, secret.Length);
                var bytes = new byte[byteCount];
                fixed (byte* dest = bytes)
                {
                    Strict.GetBytes(chars, secret.Length, dest, byteCount);
                }

                return bytes;
            }
            finally
            {
                Marshal.ZeroFreeGlobalAllocUnicode(unicode);
            }
        }

        /// <summary>Copies a plain-text secret into UTF-8 bytes (zero them after use).</summary>
        internal static byte[] SecretToUtf8(string secret) => Strict.GetBytes(secret);

        /// <summary>Overwrites a buffer that held a secret.</summary>
        internal static void Zero(byte[]? buffer)
        {
            if (buffer != null)
            {
                Array.Clear(buffer, 0, buffer.Length);
            }
        }
    }
}
