using System.Security.Cryptography;
using System.Text;
using Weft.Crypto.Keys;

namespace Weft.Security.Tests;

/// <summary>Public test fixtures (the multiserver test keys) and helpers.</summary>
internal static class Fixtures
{
    /// <summary>multiserver's test app key: sha256("TEST").</summary>
    public static byte[] NetworkKey { get; } = SHA256.HashData(Encoding.UTF8.GetBytes("TEST"));

    /// <summary>multiserver's test server seed: sha256("TESTSEED").</summary>
    public static byte[] ServerSeed { get; } = SHA256.HashData(Encoding.UTF8.GetBytes("TESTSEED"));

    /// <summary>The public key multiserver prints for <see cref="ServerSeed"/>.</summary>
    public const string ServerPublicKey = "+y42DK+BGzqvU00EWMKiyj4fITskSm+Drxq1Dt2s3Yw=";

    public static Ed25519Identity ServerIdentity() => Ed25519Identity.FromSeed(ServerSeed);

    public static SecretHandshakeOptions Options(double timeoutSeconds = 10) =>
        new() { HandshakeTimeout = TimeSpan.FromSeconds(timeoutSeconds) };

    /// <summary>A pair of session keys for the two ends of one direction of a box-stream.</summary>
    public static (SessionKeys Writer, SessionKeys Reader) KeyPair(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce)
    {
        var someone = Ed25519PublicKey.FromBytes(new byte[32]);
        var writer = new SessionKeys(someone);
        var reader = new SessionKeys(someone);
        key.CopyTo(writer.EncryptKey);
        nonce.CopyTo(writer.EncryptNonce);
        key.CopyTo(reader.DecryptKey);
        nonce.CopyTo(reader.DecryptNonce);
        return (writer, reader);
    }

    /// <summary>Reads <paramref name="stream"/> to its end.</summary>
    public static async Task<byte[]> ReadToEndAsync(Stream stream, CancellationToken ct)
    {
        using var all = new MemoryStream();
        await stream.CopyToAsync(all, ct);
        return all.ToArray();
    }
}
