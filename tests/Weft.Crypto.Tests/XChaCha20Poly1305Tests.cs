using System.Security.Cryptography;
using System.Text;
using Weft.Crypto.Sodium;

namespace Weft.Crypto.Tests;

public sealed class XChaCha20Poly1305Tests
{
    [Fact]
    public void HChaCha20_DraftIrtfCfrgXChachaSection221_MatchesExpected()
    {
        byte[] key = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        byte[] input = Convert.FromHexString("000000090000004a0000000031415927");
        var output = new byte[32];

        HChaCha20.DeriveSubkey(key, input, output);

        Assert.Equal("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc", Convert.ToHexStringLower(output));
    }

    [Fact]
    public void Encrypt_DraftIrtfCfrgXChachaAppendixA31_MatchesExpected()
    {
        byte[] plaintext = Encoding.ASCII.GetBytes(
            "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
        byte[] aad = Convert.FromHexString("50515253c0c1c2c3c4c5c6c7");
        byte[] key = Convert.FromHexString("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        byte[] nonce = Convert.FromHexString("404142434445464748494a4b4c4d4e4f5051525354555657");
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[16];

        using var aead = new XChaCha20Poly1305(key);
        aead.Encrypt(nonce, plaintext, ciphertext, tag, aad);

        Assert.Equal(
            "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e",
            Convert.ToHexStringLower(ciphertext));
        Assert.Equal("c0875924c1c7987947deafd8780acf49", Convert.ToHexStringLower(tag));
    }

    [Fact]
    public void Encrypt_RandomInputs_IdenticalToLibsodium()
    {
        Assert.True(XChaCha20Poly1305.IsHardwareAccelerated, "the in-box ChaCha20Poly1305 must be available for this comparison to mean anything");
        foreach (int length in new[] { 0, 1, 15, 16, 63, 64, 65, 1000, 4096, 65_536, 100_003 })
        {
            foreach (int adLength in new[] { 0, 1, 36, 300 })
            {
                byte[] key = RandomNumberGenerator.GetBytes(32);
                byte[] nonce = RandomNumberGenerator.GetBytes(24);
                byte[] ad = RandomNumberGenerator.GetBytes(adLength);
                byte[] plaintext = RandomNumberGenerator.GetBytes(length);
                var inBoxCt = new byte[length];
                var inBoxTag = new byte[16];
                var sodiumCt = new byte[length];
                var sodiumTag = new byte[16];

                using var aead = new XChaCha20Poly1305(key);
                aead.Encrypt(nonce, plaintext, inBoxCt, inBoxTag, ad);
                AeadXChaCha20Poly1305.EncryptDetached(key, nonce, plaintext, sodiumCt, sodiumTag, ad);

                Assert.Equal(sodiumCt, inBoxCt);
                Assert.Equal(sodiumTag, inBoxTag);

                var back = new byte[length];
                Assert.True(aead.TryDecrypt(nonce, sodiumCt, sodiumTag, back, ad));
                Assert.Equal(plaintext, back);
                Assert.True(AeadXChaCha20Poly1305.TryDecryptDetached(key, nonce, inBoxCt, inBoxTag, back, ad));
                Assert.Equal(plaintext, back);
            }
        }
    }

    [Fact]
    public void TryDecrypt_TamperedCiphertextTagOrAd_ReturnsFalseAndDecryptThrows()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] nonce = RandomNumberGenerator.GetBytes(24);
        byte[] ad = RandomNumberGenerator.GetBytes(36);
        byte[] plaintext = RandomNumberGenerator.GetBytes(500);
        var ct = new byte[500];
        var tag = new byte[16];
        using var aead = new XChaCha20Poly1305(key);
        aead.Encrypt(nonce, plaintext, ct, tag, ad);
        var output = new byte[500];

        byte[] badCt = (byte[])ct.Clone();
        badCt[250] ^= 4;
        byte[] badTag = (byte[])tag.Clone();
        badTag[0] ^= 1;
        byte[] badAd = (byte[])ad.Clone();
        badAd[35] ^= 1;
        byte[] badNonce = (byte[])nonce.Clone();
        badNonce[3] ^= 1; // a byte that only reaches the HChaCha20 subkey

        Assert.False(aead.TryDecrypt(nonce, badCt, tag, output, ad));
        Assert.False(aead.TryDecrypt(nonce, ct, badTag, output, ad));
        Assert.False(aead.TryDecrypt(nonce, ct, tag, output, badAd));
        Assert.False(aead.TryDecrypt(badNonce, ct, tag, output, ad));
        Assert.False(AeadXChaCha20Poly1305.TryDecryptDetached(key, nonce, badCt, tag, output, ad));
        Assert.Throws<AuthenticationTagMismatchException>(() => aead.Decrypt(nonce, ct, badTag, output, ad));
    }

    [Fact]
    public void EncryptAndDecrypt_SteadyState_AllocateNothing()
    {
        // The subkey changes with every nonce; the OpenSSL contexts are re-keyed, not re-created.
        Assert.True(XChaCha20Poly1305.UsesOpenSslContexts, "libcrypto should be found on Linux (it is what the in-box AEAD uses)");
        using var aead = new XChaCha20Poly1305(RandomNumberGenerator.GetBytes(32));
        byte[] nonce = new byte[24];
        byte[] ad = new byte[36];
        byte[] plain = new byte[64];
        byte[] cipher = new byte[64];
        byte[] tag = new byte[16];
        for (int i = 0; i < 100; i++)
        {
            aead.Encrypt(nonce, plain, cipher, tag, ad);
            Assert.True(aead.TryDecrypt(nonce, cipher, tag, plain, ad));
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            nonce[0] = (byte)i;
            aead.Encrypt(nonce, plain, cipher, tag, ad);
            Assert.True(aead.TryDecrypt(nonce, cipher, tag, plain, ad));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData(new[] { 1, 1 })]
    [InlineData(new[] { 63, 1, 64, 200 })]
    [InlineData(new[] { 4096, 4096, 4096, 1000 })]
    [InlineData(new[] { 0, 100, 0, 900 })]
    [InlineData(new[] { 65_536 })]
    public void TryDecrypt_CiphertextInPieces_MatchesLibsodium(int[] pieces)
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] nonce = RandomNumberGenerator.GetBytes(24);
        byte[] ad = RandomNumberGenerator.GetBytes(36);
        byte[] plain = RandomNumberGenerator.GetBytes(pieces.Sum());
        byte[] cipher = new byte[plain.Length];
        byte[] tag = new byte[16];
        AeadXChaCha20Poly1305.EncryptDetached(key, nonce, plain, cipher, tag, ad);
        using var aead = new XChaCha20Poly1305(key);

        byte[] opened = new byte[plain.Length];
        Assert.True(aead.TryDecrypt(nonce, Pieces(cipher, pieces), tag, opened, ad));
        Assert.Equal(plain, opened);

        // Any changed byte, in any piece, in the tag or the associated data: false, and nothing of the plaintext left.
        foreach (int at in new[] { 0, cipher.Length / 2, cipher.Length - 1 })
        {
            byte[] forged = (byte[])cipher.Clone();
            forged[at] ^= 0x04;
            byte[] output = new byte[plain.Length];
            Array.Fill(output, (byte)0xAA);
            Assert.False(aead.TryDecrypt(nonce, Pieces(forged, pieces), tag, output, ad));
            Assert.True(output.All(b => b == 0), "the plaintext must be cleared when the tag does not verify");
        }

        byte[] badTag = (byte[])tag.Clone();
        badTag[15] ^= 1;
        Assert.False(aead.TryDecrypt(nonce, Pieces(cipher, pieces), badTag, new byte[plain.Length], ad));
        byte[] badAd = (byte[])ad.Clone();
        badAd[0] ^= 1;
        Assert.False(aead.TryDecrypt(nonce, Pieces(cipher, pieces), tag, new byte[plain.Length], badAd));
    }

    [Fact]
    public void TryDecrypt_CiphertextInPieces_WrongPlaintextLength_Throws()
    {
        using var aead = new XChaCha20Poly1305(RandomNumberGenerator.GetBytes(32));
        Assert.Throws<ArgumentException>(() => aead.TryDecrypt(new byte[24], Pieces(new byte[100], [50, 50]), new byte[16], new byte[99]));
    }

    [Fact]
    public void TryDecrypt_CiphertextInPieces_SteadyState_AllocatesNothing()
    {
        Assert.True(XChaCha20Poly1305.UsesOpenSslContexts, "libcrypto should be found on Linux (it is what the in-box AEAD uses)");
        byte[] key = RandomNumberGenerator.GetBytes(32);
        using var aead = new XChaCha20Poly1305(key);
        byte[] nonce = new byte[24];
        byte[] ad = new byte[36];
        byte[] plain = RandomNumberGenerator.GetBytes(9000);
        byte[] cipher = new byte[plain.Length];
        byte[] tag = new byte[16];
        aead.Encrypt(nonce, plain, cipher, tag, ad);
        System.Buffers.ReadOnlySequence<byte> pieces = Pieces(cipher, [4000, 4096, 904]);
        byte[] opened = new byte[plain.Length];
        for (int i = 0; i < 100; i++)
        {
            Assert.True(aead.TryDecrypt(nonce, pieces, tag, opened, ad));
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            Assert.True(aead.TryDecrypt(nonce, pieces, tag, opened, ad));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(plain, opened);
    }

    /// <summary>The bytes as a sequence of separate segments of the given lengths (empty ones included).</summary>
    private static System.Buffers.ReadOnlySequence<byte> Pieces(byte[] bytes, int[] lengths)
    {
        Piece? first = null;
        Piece? last = null;
        int offset = 0;
        foreach (int length in lengths)
        {
            var piece = new Piece(bytes.AsMemory(offset, length).ToArray(), last);
            first ??= piece;
            last = piece;
            offset += length;
        }

        return new System.Buffers.ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Piece : System.Buffers.ReadOnlySequenceSegment<byte>
    {
        public Piece(byte[] bytes, Piece? previous)
        {
            Memory = bytes;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }

    [Fact]
    public async Task EncryptAndDecrypt_FromManyThreadsAtOnce_MatchLibsodium()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        using var aead = new XChaCha20Poly1305(key);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(seed => Task.Run(() =>
        {
            var random = new Random(seed);
            for (int i = 0; i < 300; i++)
            {
                byte[] nonce = new byte[24];
                byte[] plain = new byte[random.Next(0, 3000)];
                byte[] ad = new byte[random.Next(0, 40)];
                random.NextBytes(nonce);
                random.NextBytes(plain);
                random.NextBytes(ad);
                byte[] cipher = new byte[plain.Length];
                byte[] tag = new byte[16];
                byte[] expected = new byte[plain.Length];
                byte[] expectedTag = new byte[16];
                aead.Encrypt(nonce, plain, cipher, tag, ad);
                AeadXChaCha20Poly1305.EncryptDetached(key, nonce, plain, expected, expectedTag, ad);
                Assert.Equal(expected, cipher);
                Assert.Equal(expectedTag, tag);
                byte[] opened = new byte[plain.Length];
                Assert.True(aead.TryDecrypt(nonce, cipher, tag, opened, ad));
                Assert.Equal(plain, opened);
                tag[i % 16] ^= 1;
                Assert.False(aead.TryDecrypt(nonce, cipher, tag, opened, ad));
                Assert.All(opened, b => Assert.Equal(0, b));
            }
        }, TestContext.Current.CancellationToken))).WaitAsync(TimeSpan.FromSeconds(120), TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Encrypt_AfterDispose_Throws()
    {
        var aead = new XChaCha20Poly1305(new byte[32]);
        aead.Dispose();

        Assert.Throws<ObjectDisposedException>(() => aead.Encrypt(new byte[24], [1], new byte[1], new byte[16]));
    }
}
