namespace PhotoUpdatePolicy.Native
{
    /// <summary>
    /// The signature algorithms a certificate signer offers and is asked for
    /// (<c>PupSignatureAlgorithm</c> in <c>photo_update_policy.h</c>; a test compares the two).
    /// Distinct bits, so an offer ORs them.
    /// </summary>
    internal enum PupSignatureAlgorithm : uint
    {
        /// <summary>RS256: RSASSA-PKCS1-v1_5 with SHA-256 (every RSA key store can make it).</summary>
        Rs256 = 1,

        /// <summary>PS256: RSASSA-PSS with SHA-256 and a 32-byte salt.</summary>
        Ps256 = 2,
    }
}
