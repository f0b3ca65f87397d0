using System;
using System.Runtime.InteropServices;
using System.Security;
using System.Text;
using PhotoUpdatePolicy.Native;


namespace PhotoUpdatePolicy.Net472Tests
{
    /// <summary>
    /// UTF-8 marshalling by hand (LPUTF8Str does not exist on .NET Framework) and secrets as bytes.
    /// </summary>
    public class Utf8AndSecretsTests
    {
        [Fact]
        public void EncodesWithoutBomOrTerminator()
        {
            Assert.Equal(new byte[] { 0x5A, 0x6F, 0xC3, 0xAB, 0xF0, 0x9F, 0x98, 0x80 }, Utf8.Encode("Zo\u00eb\ud83d\ude00"));
            Assert.Empty(Utf8.Encode(string.Empty));
        }

        [Fact]
        public void RefusesALoneSurrogateInsteadOfSendingReplacementCharacters()
        {
            Assert.ThrowsAny<ArgumentException>(() => Utf8.Encode("role\ud800"));
        }

        [Fact]
        public void DecodesNativeMemoryAndTreatsNullAsAbsent()
        {
            byte[] bytes = Encoding.UTF8.GetBytes("\u65e5\u672c Zo\u00eb");
            IntPtr native = Marshal.AllocHGlobal(bytes.Length);
            try
            {
                Marshal.Copy(bytes, 0, native, bytes.Length);
                Assert.Equal("\u65e5\u672c Zo\u00eb", Utf8.Decode(native, (UIntPtr)bytes.Length));
                Assert.Equal(string.Empty, Utf8.Decode(native, UIntPtr.Zero));
            }
            finally
            {
                Marshal.FreeHGlobal(native);
            }

            Assert.Null(Utf8.Decode(IntPtr.Zero, UIntPtr.Zero));
        }

        [Fact]
        public void CopiesASecureStringIntoUtf8BytesAndZeroesThem()
        {
            using (var secret = new SecureString())
            {
                foreach (char c in "p\u00e4ss \ud83d\ude00")
                {
                    secret.AppendChar(c);
                }

                byte[] bytes = Utf8.SecretToUtf8(secret);
                Assert.Equal(Encoding.UTF8.GetBytes("p\u00e4ss \ud83d\ude00"), bytes);
                Utf8.Zero(bytes);
                Assert.All(bytes, b => Assert.Equal(0, b));
            }

            Assert.Equal(Encoding.UTF8.GetBytes("plain"), Utf8.SecretToUtf8("plain"));
            Utf8.Zero(null);
        }
    }
}
