using System.Security.Cryptography;
using Weft.Crypto;
using Weft.Crypto.Keys;

namespace Weft.Security;

/// <summary>The client role of secret-handshake v1 as pure steps: write msg1, read msg2, write msg3, read msg4.</summary>
internal sealed class ClientHandshake : HandshakeState
{
    private readonly Ed25519PublicKey _serverPublicKey;
    private readonly byte[] _serverCurvePublic = new byte[32];
    private readonly byte[] _clientSignature = new byte[Ed25519.SignatureSize];

    internal ClientHandshake(
        ReadOnlySpan<byte> networkKey,
        Ed25519Identity localIdentity,
        Ed25519PublicKey serverPublicKey,
        ReadOnlySpan<byte> ephemeralSecret = default)
        : base(networkKey, localIdentity, ephemeralSecret)
    {
        ArgumentNullException.ThrowIfNull(serverPublicKey);
        if (!Ed25519.TryPublicKeyToCurve25519(serverPublicKey.AsSpan(), _serverCurvePublic))
        {
            throw new ArgumentException("The server public key is not a valid Ed25519 point.", nameof(serverPublicKey));
        }

        _serverPublicKey = serverPublicKey;
    }

    internal void WriteMsg1(Span<byte> msg1) => WriteHello(msg1);

    internal void ReadMsg2(ReadOnlySpan<byte> msg2)
    {
        if (!TryReadHello(msg2))
        {
            throw new SecureChannelException(
                SecureChannelError.NetworkKeyMismatch,
                "Secret-handshake failed: the server's reply (msg2) has a bad HMAC, so the server uses a different network key.");
        }

        if (!X25519.TryScalarMult(EphemeralSecret, _serverCurvePublic, SharedaB))
        {
            throw new SecureChannelException(SecureChannelError.ProtocolViolation, "The server public key is degenerate.");
        }
    }

    internal void WriteMsg3(Span<byte> msg3)
    {
        Span<byte> signed = stackalloc byte[96];
        BuildClientSignedMessage(_serverPublicKey.AsSpan(), signed);
        LocalIdentity.Sign(signed, _clientSignature);

        Span<byte> plaintext = stackalloc byte[96];
        Span<byte> key = stackalloc byte[32];
        try
        {
            _clientSignature.CopyTo(plaintext);
            LocalIdentity.PublicKey.AsSpan().CopyTo(plaintext[64..]);
            DeriveClientAuthKey(key);
            SecretBox.Encrypt(plaintext, HandshakeWire.ZeroNonce, key, msg3);

            if (!LocalIdentity.TryAgreeX25519(RemoteEphemeralPublic, SharedAbLong))
            {
                throw new SecureChannelException(SecureChannelError.ProtocolViolation, "The server's ephemeral key is degenerate.");
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    internal SessionKeys ReadMsg4(ReadOnlySpan<byte> msg4)
    {
        Span<byte> key = stackalloc byte[32];
        Span<byte> serverSignature = stackalloc byte[Ed25519.SignatureSize];
        Span<byte> signed = stackalloc byte[160];
        try
        {
            DeriveServerAcceptKey(key);
            bool ok = SecretBox.TryDecrypt(msg4[..HandshakeWire.ServerAcceptSize], HandshakeWire.ZeroNonce, key, serverSignature);
            if (ok)
            {
                BuildServerSignedMessage(_clientSignature, LocalIdentity.PublicKey.AsSpan(), signed);
                ok = Ed25519.Verify(serverSignature, signed, _serverPublicKey.AsSpan());
            }

            if (!ok)
            {
                throw new SecureChannelException(
                    SecureChannelError.ServerAuthenticationFailed,
                    "Secret-handshake failed: the server's acceptance (msg4) does not verify, so the server does not hold the key that was dialled.");
            }

            return DeriveSessionKeys(_serverPublicKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
