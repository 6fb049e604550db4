using System.Security.Cryptography;
using Weft.Crypto;
using Weft.Crypto.Keys;

namespace Weft.Security;

/// <summary>
/// What both roles of secret-handshake hold: the network key, the long-term identity, a fresh ephemeral X25519 key
/// pair, and the shared secrets as they are learnt. Pure computation, no I/O. Naming follows the protocol guide:
/// lower case = ephemeral, upper case = long-term, a/A = client, b/B = server; <c>ab</c> is the X25519 of the
/// two ephemeral keys, <c>aB</c> client-ephemeral with server-long-term, <c>Ab</c> client-long-term with
/// server-ephemeral.
/// </summary>
internal abstract class HandshakeState : IDisposable
{
    private readonly List<byte[]> _secrets = [];

    protected HandshakeState(ReadOnlySpan<byte> networkKey, Ed25519Identity localIdentity, ReadOnlySpan<byte> ephemeralSecret)
    {
        if (networkKey.Length != HandshakeWire.NetworkKeySize)
        {
            throw new ArgumentException($"The network key must be {HandshakeWire.NetworkKeySize} bytes.", nameof(networkKey));
        }

        ArgumentNullException.ThrowIfNull(localIdentity);
        LocalIdentity = localIdentity;
        NetworkKey = Secret(32);
        networkKey.CopyTo(NetworkKey);
        EphemeralSecret = Secret(32);
        if (ephemeralSecret.IsEmpty)
        {
            X25519.GenerateKeyPair(EphemeralSecret, EphemeralPublic);
        }
        else
        {
            ephemeralSecret.CopyTo(EphemeralSecret);
            X25519.ScalarMultBase(EphemeralSecret, EphemeralPublic);
        }

        SharedAb = Secret(32);
        SharedaB = Secret(32);
        SharedAbLong = Secret(32);
        SharedAbHash = Secret(32);
    }

    protected Ed25519Identity LocalIdentity { get; }

    protected byte[] NetworkKey { get; }

    protected byte[] EphemeralSecret { get; }

    protected byte[] EphemeralPublic { get; } = new byte[32];

    protected byte[] RemoteEphemeralPublic { get; } = new byte[32];

    /// <summary><c>ab</c>: ephemeral × ephemeral.</summary>
    protected byte[] SharedAb { get; }

    /// <summary><c>aB</c>: client ephemeral × server long-term.</summary>
    protected byte[] SharedaB { get; }

    /// <summary><c>Ab</c>: client long-term × server ephemeral.</summary>
    protected byte[] SharedAbLong { get; }

    /// <summary><c>sha256(ab)</c>, part of both signed messages.</summary>
    protected byte[] SharedAbHash { get; }

    public void Dispose()
    {
        foreach (byte[] secret in _secrets)
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>msg1/msg2: <c>hmac_K(eph_pk) ‖ eph_pk</c>.</summary>
    protected void WriteHello(Span<byte> destination)
    {
        HmacSha512256.Compute(EphemeralPublic, NetworkKey, destination[..32]);
        EphemeralPublic.CopyTo(destination[32..]);
    }

    /// <summary>Checks the peer's hello and learns its ephemeral key and <c>ab</c>.</summary>
    /// <returns><see langword="false"/> when the HMAC does not verify (different network key).</returns>
    protected bool TryReadHello(ReadOnlySpan<byte> hello)
    {
        if (!HmacSha512256.Verify(hello[..32], hello[32..HandshakeWire.HelloSize], NetworkKey))
        {
            return false;
        }

        hello[32..HandshakeWire.HelloSize].CopyTo(RemoteEphemeralPublic);
        if (!X25519.TryScalarMult(EphemeralSecret, RemoteEphemeralPublic, SharedAb))
        {
            throw new SecureChannelException(SecureChannelError.ProtocolViolation, "The peer's ephemeral key is degenerate (small order).");
        }

        SHA256.HashData(SharedAb, SharedAbHash);
        return true;
    }

    /// <summary>msg3's key: <c>sha256(K ‖ ab ‖ aB)</c>.</summary>
    protected void DeriveClientAuthKey(Span<byte> key)
    {
        Span<byte> input = stackalloc byte[96];
        NetworkKey.CopyTo(input);
        SharedAb.CopyTo(input[32..]);
        SharedaB.CopyTo(input[64..]);
        SHA256.HashData(input, key);
        CryptographicOperations.ZeroMemory(input);
    }

    /// <summary>msg4's key: <c>sha256(K ‖ ab ‖ aB ‖ Ab)</c>.</summary>
    protected void DeriveServerAcceptKey(Span<byte> key)
    {
        Span<byte> input = stackalloc byte[128];
        NetworkKey.CopyTo(input);
        SharedAb.CopyTo(input[32..]);
        SharedaB.CopyTo(input[64..]);
        SharedAbLong.CopyTo(input[96..]);
        SHA256.HashData(input, key);
        CryptographicOperations.ZeroMemory(input);
    }

    /// <summary>The message the client signs: <c>K ‖ B_pk ‖ sha256(ab)</c>.</summary>
    protected void BuildClientSignedMessage(ReadOnlySpan<byte> serverPublicKey, Span<byte> message)
    {
        NetworkKey.CopyTo(message);
        serverPublicKey.CopyTo(message[32..]);
        SharedAbHash.CopyTo(message[64..]);
    }

    /// <summary>The message the server signs: <c>K ‖ sig_A ‖ A_pk ‖ sha256(ab)</c>.</summary>
    protected void BuildServerSignedMessage(ReadOnlySpan<byte> clientSignature, ReadOnlySpan<byte> clientPublicKey, Span<byte> message)
    {
        NetworkKey.CopyTo(message);
        clientSignature.CopyTo(message[32..]);
        clientPublicKey.CopyTo(message[96..]);
        SharedAbHash.CopyTo(message[128..]);
    }

    /// <summary>
    /// Session keys: <c>secret = sha256(sha256(K‖ab‖aB‖Ab))</c>; encrypt key <c>sha256(secret ‖ remote_pk)</c>,
    /// decrypt key <c>sha256(secret ‖ local_pk)</c>; encrypt nonce <c>hmac_K(remote eph)[..24]</c>, decrypt nonce
    /// <c>hmac_K(local eph)[..24]</c>.
    /// </summary>
    protected SessionKeys DeriveSessionKeys(Ed25519PublicKey remotePublicKey)
    {
        var keys = new SessionKeys(remotePublicKey);
        Span<byte> secretInput = stackalloc byte[64];
        Span<byte> mac = stackalloc byte[32];
        try
        {
            DeriveServerAcceptKey(secretInput[..32]);
            SHA256.HashData(secretInput[..32], secretInput[..32]);

            remotePublicKey.AsSpan().CopyTo(secretInput[32..]);
            SHA256.HashData(secretInput, keys.EncryptKey);
            LocalIdentity.PublicKey.AsSpan().CopyTo(secretInput[32..]);
            SHA256.HashData(secretInput, keys.DecryptKey);

            HmacSha512256.Compute(RemoteEphemeralPublic, NetworkKey, mac);
            mac[..HandshakeWire.NonceSize].CopyTo(keys.EncryptNonce);
            HmacSha512256.Compute(EphemeralPublic, NetworkKey, mac);
            mac[..HandshakeWire.NonceSize].CopyTo(keys.DecryptNonce);
            return keys;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secretInput);
        }
    }

    private byte[] Secret(int size)
    {
        byte[] secret = GC.AllocateArray<byte>(size, pinned: true);
        _secrets.Add(secret);
        return secret;
    }
}
