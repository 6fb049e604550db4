using System.Security.Cryptography;

namespace Weft.Crypto.Tests;

public sealed class SecretBoxTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4096)]
    [InlineData(10_000)]
    public void Encrypt_RoundTrip_RestoresPlaintext(int length)
    {
        byte[] key = RandomNumberGenerator.GetBytes(SecretBox.KeySize);
        byte[] nonce = RandomNumberGenerator.GetBytes(SecretBox.NonceSize);
        byte[] plaintext = RandomNumberGenerator.GetBytes(length);
        var ciphertext = new byte[length + SecretBox.MacSize];
        var decrypted = new byte[length];

        SecretBox.Encrypt(plaintext, nonce, key, ciphertext);

        Assert.True(SecretBox.TryDecrypt(ciphertext, nonce, key, decrypted));
        Assert.Equal(plaintext, decrypted);
    }

    [Fact]
    public void EncryptDetached_SameInputs_EqualsEasyFormSplit()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] nonce = RandomNumberGenerator.GetBytes(24);
        byte[] plaintext = RandomNumberGenerator.GetBytes(300);
        var easy = new byte[316];
        var detached = new byte[300];
        var mac = new byte[16];

        SecretBox.Encrypt(plaintext, nonce, key, easy);
        SecretBox.EncryptDetached(plaintext, nonce, key, detached, mac);

        // crypto_secretbox_easy's layout is MAC ‖ ciphertext.
        Assert.Equal(easy.AsSpan(0, 16).ToArray(), mac);
        Assert.Equal(easy.AsSpan(16).ToArray(), detached);
        var decrypted = new byte[300];
        Assert.True(SecretBox.TryDecryptDetached(detached, mac, nonce, key, decrypted));
        Assert.Equal(plaintext, decrypted);
    }

    [Fact]
    public void TryDecrypt_AnyFlippedByteOrWrongNonce_ReturnsFalse()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] nonce = RandomNumberGenerator.GetBytes(24);
        byte[] plaintext = RandomNumberGenerator.GetBytes(40);
        var ciphertext = new byte[56];
        SecretBox.Encrypt(plaintext, nonce, key, ciphertext);
        var output = new byte[40];

        for (int i = 0; i < ciphertext.Length; i++)
        {
            byte[] bad = (byte[])ciphertext.Clone();
            bad[i] ^= 0x01;
            Assert.False(SecretBox.TryDecrypt(bad, nonce, key, output), $"byte {i}");
        }

        byte[] otherNonce = (byte[])nonce.Clone();
        otherNonce[23] ^= 1;
        Assert.False(SecretBox.TryDecrypt(ciphertext, otherNonce, key, output));
        Assert.False(SecretBox.TryDecrypt(ciphertext.AsSpan(0, 15), nonce, key, output));
    }

    [Fact]
    public void EncryptDetached_InPlace_RoundTrips()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] nonce = RandomNumberGenerator.GetBytes(24);
        byte[] plaintext = RandomNumberGenerator.GetBytes(4096);
        byte[] buffer = (byte[])plaintext.Clone();
        var mac = new byte[16];

        SecretBox.EncryptDetached(buffer, nonce, key, buffer, mac);
        Assert.NotEqual(plaintext, buffer);
        Assert.True(SecretBox.TryDecryptDetached(buffer, mac, nonce, key, buffer));

        Assert.Equal(plaintext, buffer);
    }
}
