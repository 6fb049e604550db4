using System.Security.Cryptography;
using Weft.Crypto;
using Weft.Crypto.Keys;

namespace Weft.Security;

/// <summary>The server role of secret-handshake v1 as pure steps: read msg1, write msg2, read msg3, write msg4.</summary>
internal sealed class ServerHandshake : HandshakeState
{
    private readonly byte[] _clientSignature = new byte[Ed25519.SignatureSize];
    private Ed25519PublicKey? _clientPublicKey;

    internal ServerHandshake(ReadOnlySpan<byte> networkKey, Ed25519Identity localIdentity, ReadOnlySpan<byte> ephemeralSecret = default)
        : base(networkKey, localIdentity, ephemeralSecret)
    {
    }

    internal void ReadMsg1(ReadOnlySpan<byte> msg1)
    {
        if (!TryReadHello(msg1))
        {
            throw new SecureChannelException(
                SecureChannelError.NetworkKeyMismatch,
                "Secret-handshake failed: the client's hello (msg1) has a bad HMAC, so the client uses a different network key.");
        }

        if (!LocalIdentity.TryAgreeX25519(RemoteEphemeralPublic, SharedaB))
        {
            throw new SecureChannelException(SecureChannelError.ProtocolViolation, "The client's ephemeral key is degenerate.");
        }
    }

    internal void WriteMsg2(Span<byte> msg2) => WriteHello(msg2);

    /// <summary>Opens and verifies msg3.</summary>
    /// <returns>The client's long-term key, to be authorised before <see cref="WriteMsg4"/>.</returns>
    internal Ed25519PublicKey ReadMsg3(ReadOnlySpan<byte> msg3)
    {
        Span<byte> key = stackalloc byte[32];
        Span<byte> plaintext = stackalloc byte[96];
        Span<byte> signed = stackalloc byte[96];
        Span<byte> clientCurve = stackalloc byte[32];
        try
        {
            DeriveClientAuthKey(key);
            bool ok = SecretBox.TryDecrypt(msg3[..HandshakeWire.ClientAuthSize], HandshakeWire.ZeroNonce, key, plaintext);
            if (ok)
            {
                plaintext[..64].CopyTo(_clientSignature);
                BuildClientSignedMessage(LocalIdentity.PublicKey.AsSpan(), signed);
                ok = Ed25519.Verify(_clientSignature, signed, plaintext[64..]) &&
                     Ed25519.TryPublicKeyToCurve25519(plaintext[64..], clientCurve) &&
                     X25519.TryScalarMult(EphemeralSecret, clientCurve, SharedAbLong);
            }

            if (!ok)
            {
                throw new SecureChannelException(
                    SecureChannelError.ClientAuthenticationFailed,
                    "Secret-handshake failed: the client's authentication (msg3) does not verify; the client most likely dialled a different server public key.");
            }

            _clientPublicKey = Ed25519PublicKey.FromBytes(plaintext[64..]);
            return _clientPublicKey;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    internal SessionKeys WriteMsg4(Span<byte> msg4)
    {
        if (_clientPublicKey is null)
        {
            throw new InvalidOperationException("msg3 has not been read.");
        }

        Span<byte> signed = stackalloc byte[160];
        Span<byte> signature = stackalloc byte[Ed25519.SignatureSize];
        Span<byte> key = stackalloc byte[32];
        try
        {
            BuildServerSignedMessage(_clientSignature, _clientPublicKey.AsSpan(), signed);
            LocalIdentity.Sign(signed, signature);
            DeriveServerAcceptKey(key);
            SecretBox.Encrypt(signature, HandshakeWire.ZeroNonce, key, msg4);
            return DeriveSessionKeys(_clientPublicKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
