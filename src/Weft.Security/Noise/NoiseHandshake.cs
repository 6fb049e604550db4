using System.Buffers.Binary;
using Weft.Crypto;
using Weft.Crypto.Keys;

namespace Weft.Security;

/// <summary>
/// Weft's native secure channel: Noise_IK_25519_ChaChaPoly_SHA256 (Noise Protocol Framework, revision 34) with
/// Weft identities. Both static keys are the peers' Ed25519 identity keys converted to X25519, so one key file
/// serves <c>shs</c> and <c>noise</c>. The initiator knows the responder's key in advance (from its address), so the
/// handshake is one round trip; it sends its own Ed25519 public key as the (encrypted) payload of msg1, and the
/// responder checks that it converts to the static key the handshake proved, then asks its authorisation callback.
/// The result is a <see cref="NoiseStream"/> over the same stream. Wire format: docs/protocol.md, "Noise".
/// </summary>
/// <remarks>
/// <para>
/// The handshake runs under <see cref="NoiseOptions.HandshakeTimeout"/>. On any failure (bad peer, timeout,
/// cancellation) the inner stream is disposed and a <see cref="SecureChannelException"/> (or an
/// <see cref="OperationCanceledException"/> for the caller's own token) is thrown; an I/O error of the inner stream
/// propagates as it is.
/// </para>
/// <para>
/// What each side sees on failure: an initiator that dialled another key than the responder's, or whose network key
/// differs, makes the responder report <see cref="SecureChannelError.ClientAuthenticationFailed"/> and the initiator
/// <see cref="SecureChannelError.HandshakeRejected"/>; an initiator refused by the authorisation callback makes the
/// responder report <see cref="SecureChannelError.ClientUnauthorized"/> and the initiator
/// <see cref="SecureChannelError.HandshakeRejected"/> (with a message that says it was not authorised).
/// </para>
/// </remarks>
public static class NoiseHandshake
{
    /// <summary>Size of a network key in bytes: 32.</summary>
    public const int NetworkKeySize = 32;

    /// <summary>The Noise protocol name.</summary>
    public const string ProtocolName = "Noise_IK_25519_ChaChaPoly_SHA256";

    /// <summary>An authorisation callback that accepts every initiator that proves its identity.</summary>
    public static Func<Ed25519PublicKey, CancellationToken, ValueTask<bool>> AllowAnyInitiator { get; } =
        static (_, _) => ValueTask.FromResult(true);

    /// <summary>Runs the initiator (client) side of the handshake over <paramref name="stream"/>.</summary>
    /// <param name="stream">A connected duplex stream; owned by the result from now on.</param>
    /// <param name="localIdentity">This side's long-term identity; it must outlive the handshake.</param>
    /// <param name="responderPublicKey">The responder's public key, known in advance (for example from its address).</param>
    /// <param name="options">Network key, timeout and ownership settings, or <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the handshake (the stream is then disposed).</param>
    /// <returns>The encrypted stream; its <see cref="NoiseStream.RemotePublicKey"/> is <paramref name="responderPublicKey"/>.</returns>
    /// <exception cref="SecureChannelException">The handshake failed; <see cref="SecureChannelException.Error"/> says why.</exception>
    /// <exception cref="ArgumentException"><paramref name="responderPublicKey"/> is not a valid Ed25519 point, or an option is invalid.</exception>
    public static ValueTask<NoiseStream> InitiatorAsync(
        Stream stream,
        Ed25519Identity localIdentity,
        Ed25519PublicKey responderPublicKey,
        NoiseOptions? options = null,
        CancellationToken cancellationToken = default) =>
        InitiatorAsync(stream, localIdentity, responderPublicKey, options, ReadOnlyMemory<byte>.Empty, cancellationToken);

    /// <summary>Runs the responder (server) side of the handshake over <paramref name="stream"/>.</summary>
    /// <param name="stream">A connected duplex stream; owned by the result from now on.</param>
    /// <param name="localIdentity">This side's long-term identity; it must outlive the handshake.</param>
    /// <param name="authorize">
    /// Called with the initiator's proven public key before the responder answers; return <see langword="false"/> to
    /// refuse (the initiator is told it is not authorised, and the connection is closed). Use
    /// <see cref="AllowAnyInitiator"/> to accept everyone.
    /// </param>
    /// <param name="options">Network key, timeout and ownership settings, or <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the handshake (the stream is then disposed).</param>
    /// <returns>The encrypted stream; its <see cref="NoiseStream.RemotePublicKey"/> is the initiator's key.</returns>
    /// <exception cref="SecureChannelException">The handshake failed; <see cref="SecureChannelException.Error"/> says why.</exception>
    public static ValueTask<NoiseStream> ResponderAsync(
        Stream stream,
        Ed25519Identity localIdentity,
        Func<Ed25519PublicKey, CancellationToken, ValueTask<bool>> authorize,
        NoiseOptions? options = null,
        CancellationToken cancellationToken = default) =>
        ResponderAsync(stream, localIdentity, authorize, options, ReadOnlyMemory<byte>.Empty, cancellationToken);

    /// <summary>The initiator, with an optional fixed ephemeral secret (test vectors only).</summary>
    internal static async ValueTask<NoiseStream> InitiatorAsync(
        Stream stream,
        Ed25519Identity localIdentity,
        Ed25519PublicKey responderPublicKey,
        NoiseOptions? options,
        ReadOnlyMemory<byte> ephemeralSecret,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(localIdentity);
        ArgumentNullException.ThrowIfNull(responderPublicKey);
        options ??= NoiseOptions.Default;
        options.Validate();
        byte[] responderStatic = new byte[X25519.PublicKeySize];
        if (!Ed25519.TryPublicKeyToCurve25519(responderPublicKey.AsSpan(), responderStatic))
        {
            throw new ArgumentException("The responder's public key is not a valid Ed25519 point.", nameof(responderPublicKey));
        }

        var localStatic = new IdentityStaticKey(localIdentity);
        using NoiseIKHandshake state = NoiseIKHandshake.Initiator(localStatic, responderStatic, options.BuildPrologue(), ephemeralSecret.Span);
        using var guard = new HandshakeGuard(stream, options.HandshakeTimeout, options.TimeProvider, "Noise handshake", cancellationToken);
        byte[] buffer = new byte[NoiseWire.LengthSize + NoiseWire.Message1Size];
        try
        {
            BinaryPrimitives.WriteUInt16BigEndian(buffer, NoiseWire.Message1Size);
            int written = state.WriteMessage1(localIdentity.PublicKey.AsSpan(), buffer.AsSpan(NoiseWire.LengthSize));
            await WriteAsync(stream, buffer.AsMemory(0, NoiseWire.LengthSize + written), guard.Token).ConfigureAwait(false);

            await stream.ReadExactlyAsync(buffer.AsMemory(0, NoiseWire.LengthSize), guard.Token).ConfigureAwait(false);
            int length = BinaryPrimitives.ReadUInt16BigEndian(buffer);
            if (length == NoiseWire.RefusalSize)
            {
                await stream.ReadExactlyAsync(buffer.AsMemory(0, NoiseWire.RefusalSize), guard.Token).ConfigureAwait(false);
                throw Refused((NoiseRefusal)buffer[0], localIdentity.PublicKey);
            }

            if (length != NoiseWire.Message2Size)
            {
                throw new SecureChannelException(
                    SecureChannelError.ProtocolViolation,
                    $"Noise handshake failed: the responder's reply (msg2) is {length} bytes, not {NoiseWire.Message2Size}; it is not a Weft noise responder.");
            }

            await stream.ReadExactlyAsync(buffer.AsMemory(0, length), guard.Token).ConfigureAwait(false);
            if (!state.TryReadMessage2(buffer.AsSpan(0, length), Span<byte>.Empty))
            {
                throw new SecureChannelException(
                    SecureChannelError.ServerAuthenticationFailed,
                    "Noise handshake failed: the responder's reply (msg2) does not authenticate, so the responder does not hold the key that was dialled.");
            }

            await guard.CompleteAsync().ConfigureAwait(false);
            (NoiseCipherState send, NoiseCipherState receive) = state.Split(NoiseWire.RekeyInterval);
            return new NoiseStream(stream, send, receive, responderPublicKey, state.Hash, options.LeaveInnerStreamOpen);
        }
        catch (Exception e)
        {
            Exception mapped = await guard.FailAsync(
                e,
                new SecureChannelException(
                    SecureChannelError.HandshakeRejected,
                    "Noise handshake failed: the responder hung up without answering the initiator's first message. It may not speak noise, or it dropped the connection.")).ConfigureAwait(false);
            if (ReferenceEquals(mapped, e))
            {
                throw;
            }

            throw mapped;
        }
    }

    /// <summary>The responder, with an optional fixed ephemeral secret (test vectors only).</summary>
    internal static async ValueTask<NoiseStream> ResponderAsync(
        Stream stream,
        Ed25519Identity localIdentity,
        Func<Ed25519PublicKey, CancellationToken, ValueTask<bool>> authorize,
        NoiseOptions? options,
        ReadOnlyMemory<byte> ephemeralSecret,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(localIdentity);
        ArgumentNullException.ThrowIfNull(authorize);
        options ??= NoiseOptions.Default;
        options.Validate();
        var localStatic = new IdentityStaticKey(localIdentity);
        using NoiseIKHandshake state = NoiseIKHandshake.Responder(localStatic, options.BuildPrologue(), ephemeralSecret.Span);
        using var guard = new HandshakeGuard(stream, options.HandshakeTimeout, options.TimeProvider, "Noise handshake", cancellationToken);
        byte[] buffer = new byte[NoiseWire.LengthSize + NoiseWire.Message1Size];
        try
        {
            await stream.ReadExactlyAsync(buffer.AsMemory(0, NoiseWire.LengthSize), guard.Token).ConfigureAwait(false);
            int length = BinaryPrimitives.ReadUInt16BigEndian(buffer);
            if (length != NoiseWire.Message1Size)
            {
                // Judged from the length alone: an oversize message is never read.
                throw new SecureChannelException(
                    SecureChannelError.ProtocolViolation,
                    $"Noise handshake failed: the initiator's first message (msg1) is {length} bytes, not {NoiseWire.Message1Size}; it is not a Weft noise initiator.");
            }

            await stream.ReadExactlyAsync(buffer.AsMemory(0, length), guard.Token).ConfigureAwait(false);
            byte[] payload = new byte[NoiseWire.IdentityPayloadSize];
            if (!state.TryReadMessage1(buffer.AsSpan(0, length), payload))
            {
                await RefuseAsync(stream, NoiseRefusal.CannotAuthenticate, guard.Token).ConfigureAwait(false);
                throw new SecureChannelException(
                    SecureChannelError.ClientAuthenticationFailed,
                    "Noise handshake failed: the initiator's first message (msg1) does not decrypt. The initiator dialled a different key than this responder's, or the two sides use different network keys.");
            }

            Span<byte> claimed = stackalloc byte[X25519.PublicKeySize];
            if (!Ed25519.TryPublicKeyToCurve25519(payload, claimed) || !claimed.SequenceEqual(state.RemoteStaticKey))
            {
                await RefuseAsync(stream, NoiseRefusal.CannotAuthenticate, guard.Token).ConfigureAwait(false);
                throw new SecureChannelException(
                    SecureChannelError.ClientAuthenticationFailed,
                    "Noise handshake failed: the initiator's Ed25519 identity does not match the static key it proved; it is not a Weft noise initiator.");
            }

            var initiator = Ed25519PublicKey.FromBytes(payload);
            if (!await authorize(initiator, guard.Token).ConfigureAwait(false))
            {
                await RefuseAsync(stream, NoiseRefusal.Unauthorized, guard.Token).ConfigureAwait(false);
                throw new SecureChannelException(
                    SecureChannelError.ClientUnauthorized,
                    $"Noise handshake refused: the authorisation callback rejected the initiator's public key {initiator}.");
            }

            BinaryPrimitives.WriteUInt16BigEndian(buffer, NoiseWire.Message2Size);
            int written = state.WriteMessage2(ReadOnlySpan<byte>.Empty, buffer.AsSpan(NoiseWire.LengthSize));
            (NoiseCipherState send, NoiseCipherState receive) = state.Split(NoiseWire.RekeyInterval);
            try
            {
                await WriteAsync(stream, buffer.AsMemory(0, NoiseWire.LengthSize + written), guard.Token).ConfigureAwait(false);
                await guard.CompleteAsync().ConfigureAwait(false);
            }
            catch
            {
                send.Dispose();
                receive.Dispose();
                throw;
            }

            return new NoiseStream(stream, send, receive, initiator, state.Hash, options.LeaveInnerStreamOpen);
        }
        catch (Exception e)
        {
            Exception mapped = await guard.FailAsync(
                e,
                new SecureChannelException(SecureChannelError.UnexpectedHangup, "Noise handshake failed: the initiator hung up before its first message (msg1) was complete.")).ConfigureAwait(false);
            if (ReferenceEquals(mapped, e))
            {
                throw;
            }

            throw mapped;
        }
    }

    private static SecureChannelException Refused(NoiseRefusal reason, Ed25519PublicKey self) => reason switch
    {
        NoiseRefusal.CannotAuthenticate => new SecureChannelException(
            SecureChannelError.HandshakeRejected,
            "Noise handshake rejected: the responder could not authenticate the first message. The address names a different key than the responder's own, or the two sides use different network keys."),
        NoiseRefusal.Unauthorized => new SecureChannelException(
            SecureChannelError.HandshakeRejected,
            $"Noise handshake rejected: the responder does not authorise this identity ({self}); ask its operator to allow that key."),
        _ => new SecureChannelException(
            SecureChannelError.HandshakeRejected,
            $"Noise handshake rejected by the responder (unknown reason code {(byte)reason})."),
    };

    /// <summary>Tells the initiator why (best effort, unauthenticated), before the guard closes the connection.</summary>
    private static async ValueTask RefuseAsync(Stream stream, NoiseRefusal reason, CancellationToken cancellationToken)
    {
        byte[] refusal = [0, NoiseWire.RefusalSize, (byte)reason];
        try
        {
            await WriteAsync(stream, refusal, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException)
        {
            // The connection fails anyway; the error thrown next says why.
        }
    }

    private static async ValueTask WriteAsync(Stream stream, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
