using System.Security.Cryptography;
using Weft.Crypto;

namespace Weft.Security;

/// <summary>
/// The IK pattern (Noise §7.5) as pure steps, no I/O:
/// <code>
/// IK:
///   &lt;- s
///   ...
///   -&gt; e, es, s, ss
///   &lt;- e, ee, se
/// </code>
/// The initiator knows the responder's static key in advance (from the address), so the handshake is one round trip.
/// Payloads are opaque here; <see cref="NoiseHandshake"/> gives them their Weft meaning.
/// </summary>
internal sealed class NoiseIKHandshake : IDisposable
{
    private readonly NoiseSymmetricState _symmetric;
    private readonly INoiseStaticKey _static;
    private readonly bool _initiator;
    private readonly byte[] _ephemeralSecret = GC.AllocateArray<byte>(X25519.SecretKeySize, pinned: true);
    private readonly byte[] _ephemeralPublic = new byte[X25519.PublicKeySize];
    private readonly byte[] _remoteStatic = new byte[X25519.PublicKeySize];
    private readonly byte[] _remoteEphemeral = new byte[X25519.PublicKeySize];
    private readonly byte[] _shared = GC.AllocateArray<byte>(X25519.SharedSecretSize, pinned: true);

    private NoiseIKHandshake(INoiseStaticKey staticKey, bool initiator, ReadOnlySpan<byte> prologue, ReadOnlySpan<byte> ephemeralSecret)
    {
        _static = staticKey;
        _initiator = initiator;
        _symmetric = new NoiseSymmetricState(prologue);
        if (ephemeralSecret.IsEmpty)
        {
            X25519.GenerateKeyPair(_ephemeralSecret, _ephemeralPublic);
        }
        else
        {
            // Fixed ephemeral keys exist only for the test vectors.
            ephemeralSecret.CopyTo(_ephemeralSecret);
            X25519.ScalarMultBase(_ephemeralSecret, _ephemeralPublic);
        }
    }

    /// <summary>The peer's static X25519 key: known in advance by the initiator, learnt from msg1 by the responder.</summary>
    internal ReadOnlySpan<byte> RemoteStaticKey => _remoteStatic;

    /// <summary>The handshake hash (after msg2: the channel binding).</summary>
    internal ReadOnlySpan<byte> Hash => _symmetric.Hash;

    /// <summary>Starts an initiator: the pre-message <c>&lt;- s</c> mixes the responder's static key into h.</summary>
    internal static NoiseIKHandshake Initiator(
        INoiseStaticKey staticKey, ReadOnlySpan<byte> responderStaticKey, ReadOnlySpan<byte> prologue, ReadOnlySpan<byte> ephemeralSecret = default)
    {
        var handshake = new NoiseIKHandshake(staticKey, initiator: true, prologue, ephemeralSecret);
        responderStaticKey.CopyTo(handshake._remoteStatic);
        handshake._symmetric.MixHash(responderStaticKey);
        return handshake;
    }

    /// <summary>Starts a responder: the pre-message <c>&lt;- s</c> mixes its own static key into h.</summary>
    internal static NoiseIKHandshake Responder(INoiseStaticKey staticKey, ReadOnlySpan<byte> prologue, ReadOnlySpan<byte> ephemeralSecret = default)
    {
        var handshake = new NoiseIKHandshake(staticKey, initiator: false, prologue, ephemeralSecret);
        handshake._symmetric.MixHash(staticKey.PublicKey);
        return handshake;
    }

    /// <summary>Size of msg1 for a payload of <paramref name="payloadLength"/> bytes.</summary>
    internal static int Message1Size(int payloadLength) => NoiseWire.KeySize + NoiseWire.KeySize + NoiseWire.TagSize + payloadLength + NoiseWire.TagSize;

    /// <summary>Size of msg2 for a payload of <paramref name="payloadLength"/> bytes.</summary>
    internal static int Message2Size(int payloadLength) => NoiseWire.KeySize + payloadLength + NoiseWire.TagSize;

    /// <summary>Initiator: <c>-&gt; e, es, s, ss</c> and the payload.</summary>
    /// <returns>The message length.</returns>
    internal int WriteMessage1(ReadOnlySpan<byte> payload, Span<byte> message)
    {
        EnsureRole(initiator: true);
        int at = 0;
        _ephemeralPublic.CopyTo(message);
        _symmetric.MixHash(_ephemeralPublic);
        at += NoiseWire.KeySize;
        MixDh(X25519.TryScalarMult(_ephemeralSecret, _remoteStatic, _shared));                 // es
        at += _symmetric.EncryptAndHash(_static.PublicKey, message[at..]);                      // s
        MixDh(_static.TryAgree(_remoteStatic, _shared));                                        // ss
        at += _symmetric.EncryptAndHash(payload, message[at..]);
        return at;
    }

    /// <summary>Responder: reads <c>e, es, s, ss</c> and the payload (message length minus 96 bytes).</summary>
    /// <returns><see langword="false"/> when s or the payload fails authentication (wrong responder key or prologue).</returns>
    internal bool TryReadMessage1(ReadOnlySpan<byte> message, Span<byte> payload)
    {
        EnsureRole(initiator: false);
        if (message.Length < Message1Size(0))
        {
            return false;
        }

        message[..NoiseWire.KeySize].CopyTo(_remoteEphemeral);
        _symmetric.MixHash(_remoteEphemeral);
        ReadOnlySpan<byte> rest = message[NoiseWire.KeySize..];
        MixDh(_static.TryAgree(_remoteEphemeral, _shared));                                     // es
        if (!_symmetric.TryDecryptAndHash(rest[..(NoiseWire.KeySize + NoiseWire.TagSize)], _remoteStatic))
        {
            return false;
        }

        rest = rest[(NoiseWire.KeySize + NoiseWire.TagSize)..];
        MixDh(_static.TryAgree(_remoteStatic, _shared));                                        // ss
        return _symmetric.TryDecryptAndHash(rest, payload);
    }

    /// <summary>Responder: <c>&lt;- e, ee, se</c> and the payload.</summary>
    /// <returns>The message length.</returns>
    internal int WriteMessage2(ReadOnlySpan<byte> payload, Span<byte> message)
    {
        EnsureRole(initiator: false);
        _ephemeralPublic.CopyTo(message);
        _symmetric.MixHash(_ephemeralPublic);
        MixDh(X25519.TryScalarMult(_ephemeralSecret, _remoteEphemeral, _shared));               // ee
        MixDh(X25519.TryScalarMult(_ephemeralSecret, _remoteStatic, _shared));                  // se
        return NoiseWire.KeySize + _symmetric.EncryptAndHash(payload, message[NoiseWire.KeySize..]);
    }

    /// <summary>Initiator: reads <c>e, ee, se</c> and the payload (message length minus 48 bytes).</summary>
    /// <returns><see langword="false"/> when the payload fails authentication (the responder lacks the dialled key).</returns>
    internal bool TryReadMessage2(ReadOnlySpan<byte> message, Span<byte> payload)
    {
        EnsureRole(initiator: true);
        if (message.Length < Message2Size(0))
        {
            return false;
        }

        message[..NoiseWire.KeySize].CopyTo(_remoteEphemeral);
        _symmetric.MixHash(_remoteEphemeral);
        MixDh(X25519.TryScalarMult(_ephemeralSecret, _remoteEphemeral, _shared));               // ee
        MixDh(_static.TryAgree(_remoteEphemeral, _shared));                                     // se
        return _symmetric.TryDecryptAndHash(message[NoiseWire.KeySize..], payload);
    }

    /// <summary>Split() after msg2: (send, receive) for this side.</summary>
    internal (NoiseCipherState Send, NoiseCipherState Receive) Split(ulong rekeyInterval)
    {
        (NoiseCipherState first, NoiseCipherState second) = _symmetric.Split(rekeyInterval);
        return _initiator ? (first, second) : (second, first);
    }

    public void Dispose()
    {
        _symmetric.Dispose();
        CryptographicOperations.ZeroMemory(_ephemeralSecret);
        CryptographicOperations.ZeroMemory(_shared);
    }

    private void MixDh(bool ok)
    {
        if (!ok)
        {
            // libsodium refuses small-order points (an all-zero DH output), as Noise §12.1 permits.
            throw new SecureChannelException(SecureChannelError.ProtocolViolation, "Noise handshake failed: the peer sent a degenerate (small-order) public key.");
        }

        _symmetric.MixKey(_shared);
        CryptographicOperations.ZeroMemory(_shared);
    }

    private void EnsureRole(bool initiator)
    {
        if (_initiator != initiator)
        {
            throw new InvalidOperationException(initiator ? "Only the initiator does this step." : "Only the responder does this step.");
        }
    }
}
