using Weft.Crypto.Keys;

namespace Weft.Security;

/// <summary>
/// secret-handshake v1 (shs1), the Scuttlebutt/multiserver handshake: both peers prove they share a network key,
/// the client proves its Ed25519 identity to a server whose public key it already knows, and the server proves
/// it holds that key. The result is a <see cref="BoxStream"/> over the same stream.
/// </summary>
/// <remarks>
/// <para>
/// The handshake runs under <see cref="SecretHandshakeOptions.HandshakeTimeout"/>. On any failure (bad peer,
/// timeout, cancellation) the inner stream is disposed and a <see cref="SecureChannelException"/> (or an
/// <see cref="OperationCanceledException"/> for the caller's own token) is thrown; an I/O error of the inner
/// stream propagates as it is.
/// </para>
/// <para>
/// What each side sees on failure: a wrong network key is <see cref="SecureChannelError.NetworkKeyMismatch"/> on
/// both sides; a client that dialled the wrong server key makes the server report
/// <see cref="SecureChannelError.ClientAuthenticationFailed"/> and the client
/// <see cref="SecureChannelError.HandshakeRejected"/>; a client refused by the authorisation callback makes the server
/// report <see cref="SecureChannelError.ClientUnauthorized"/> and the client
/// <see cref="SecureChannelError.HandshakeRejected"/>.
/// </para>
/// </remarks>
public static class SecretHandshake
{
    /// <summary>Size of a network key (app key) in bytes: 32.</summary>
    public const int NetworkKeySize = HandshakeWire.NetworkKeySize;

    /// <summary>An authorisation callback that accepts every client that proves its identity.</summary>
    public static Func<Ed25519PublicKey, CancellationToken, ValueTask<bool>> AllowAnyClient { get; } =
        static (_, _) => ValueTask.FromResult(true);

    /// <summary>Runs the client side of the handshake over <paramref name="stream"/>.</summary>
    /// <param name="stream">A connected duplex stream; owned by the result from now on.</param>
    /// <param name="networkKey">The 32-byte network key (app key) shared by all peers of the network.</param>
    /// <param name="localIdentity">This client's long-term identity; it must outlive the handshake.</param>
    /// <param name="serverPublicKey">The server's public key, known in advance (for example from its address).</param>
    /// <param name="options">Timeout and ownership settings, or <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the handshake (the stream is then disposed).</param>
    /// <returns>The encrypted stream; its <see cref="BoxStream.RemotePublicKey"/> is <paramref name="serverPublicKey"/>.</returns>
    /// <exception cref="SecureChannelException">The handshake failed; <see cref="SecureChannelException.Error"/> says why.</exception>
    public static async ValueTask<BoxStream> ClientAsync(
        Stream stream,
        ReadOnlyMemory<byte> networkKey,
        Ed25519Identity localIdentity,
        Ed25519PublicKey serverPublicKey,
        SecretHandshakeOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= SecretHandshakeOptions.Default;
        bool leaveOpen = options.LeaveInnerStreamOpen;
        SessionKeys keys = await ClientHandshakeAsync(stream, networkKey, localIdentity, serverPublicKey, options, cancellationToken)
            .ConfigureAwait(false);
        return new BoxStream(stream, keys, leaveOpen);
    }

    /// <summary>Runs the server side of the handshake over <paramref name="stream"/>.</summary>
    /// <param name="stream">A connected duplex stream; owned by the result from now on.</param>
    /// <param name="networkKey">The 32-byte network key (app key) shared by all peers of the network.</param>
    /// <param name="localIdentity">This server's long-term identity; it must outlive the handshake.</param>
    /// <param name="authorize">
    /// Called with the client's proven public key before the server accepts; return <see langword="false"/> to refuse
    /// (the connection is then closed without msg4). Use <see cref="AllowAnyClient"/> to accept everyone.
    /// </param>
    /// <param name="options">Timeout and ownership settings, or <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the handshake (the stream is then disposed).</param>
    /// <returns>The encrypted stream; its <see cref="BoxStream.RemotePublicKey"/> is the client's key.</returns>
    /// <exception cref="SecureChannelException">The handshake failed; <see cref="SecureChannelException.Error"/> says why.</exception>
    public static async ValueTask<BoxStream> ServerAsync(
        Stream stream,
        ReadOnlyMemory<byte> networkKey,
        Ed25519Identity localIdentity,
        Func<Ed25519PublicKey, CancellationToken, ValueTask<bool>> authorize,
        SecretHandshakeOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= SecretHandshakeOptions.Default;
        bool leaveOpen = options.LeaveInnerStreamOpen;
        SessionKeys keys = await ServerHandshakeAsync(stream, networkKey, localIdentity, authorize, options, cancellationToken)
            .ConfigureAwait(false);
        return new BoxStream(stream, keys, leaveOpen);
    }

    /// <summary>The client handshake; returns the raw session keys (used by the shs1-test adapter).</summary>
    internal static async ValueTask<SessionKeys> ClientHandshakeAsync(
        Stream stream,
        ReadOnlyMemory<byte> networkKey,
        Ed25519Identity localIdentity,
        Ed25519PublicKey serverPublicKey,
        SecretHandshakeOptions options,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options.Validate();
        using var state = new ClientHandshake(networkKey.Span, localIdentity, serverPublicKey);
        using var guard = new HandshakeGuard(stream, options, cancellationToken);
        byte[] buffer = new byte[HandshakeWire.ClientAuthSize];
        HandshakeStep step = HandshakeStep.Hello;
        try
        {
            state.WriteMsg1(buffer);
            await WriteAsync(stream, buffer.AsMemory(0, HandshakeWire.HelloSize), guard.Token).ConfigureAwait(false);

            step = HandshakeStep.AwaitingServerHello;
            await stream.ReadExactlyAsync(buffer.AsMemory(0, HandshakeWire.HelloSize), guard.Token).ConfigureAwait(false);
            state.ReadMsg2(buffer);

            step = HandshakeStep.Authenticating;
            state.WriteMsg3(buffer);
            await WriteAsync(stream, buffer.AsMemory(0, HandshakeWire.ClientAuthSize), guard.Token).ConfigureAwait(false);

            step = HandshakeStep.AwaitingServerAccept;
            int received = await ReadUpToAsync(stream, buffer.AsMemory(0, HandshakeWire.ServerAcceptSize), guard.Token).ConfigureAwait(false);
            if (received < HandshakeWire.ServerAcceptSize)
            {
                throw HungUpAfterMsg3(buffer.AsSpan(0, received));
            }

            SessionKeys keys = state.ReadMsg4(buffer);
            try
            {
                await guard.CompleteAsync().ConfigureAwait(false);
            }
            catch
            {
                keys.Dispose();
                throw;
            }

            return keys;
        }
        catch (Exception e)
        {
            Exception mapped = await guard.FailAsync(e, ClientEndOfStream(step)).ConfigureAwait(false);
            if (ReferenceEquals(mapped, e))
            {
                throw;
            }

            throw mapped;
        }
    }

    /// <summary>The server handshake; returns the raw session keys (used by the shs1-test adapter).</summary>
    internal static async ValueTask<SessionKeys> ServerHandshakeAsync(
        Stream stream,
        ReadOnlyMemory<byte> networkKey,
        Ed25519Identity localIdentity,
        Func<Ed25519PublicKey, CancellationToken, ValueTask<bool>> authorize,
        SecretHandshakeOptions options,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(authorize);
        options.Validate();
        using var state = new ServerHandshake(networkKey.Span, localIdentity);
        using var guard = new HandshakeGuard(stream, options, cancellationToken);
        byte[] buffer = new byte[HandshakeWire.ClientAuthSize];
        HandshakeStep step = HandshakeStep.AwaitingClientHello;
        try
        {
            await stream.ReadExactlyAsync(buffer.AsMemory(0, HandshakeWire.HelloSize), guard.Token).ConfigureAwait(false);
            state.ReadMsg1(buffer);

            step = HandshakeStep.Hello;
            state.WriteMsg2(buffer);
            await WriteAsync(stream, buffer.AsMemory(0, HandshakeWire.HelloSize), guard.Token).ConfigureAwait(false);

            step = HandshakeStep.AwaitingClientAuth;
            await stream.ReadExactlyAsync(buffer.AsMemory(0, HandshakeWire.ClientAuthSize), guard.Token).ConfigureAwait(false);
            Ed25519PublicKey client = state.ReadMsg3(buffer);

            step = HandshakeStep.Authorizing;
            if (!await authorize(client, guard.Token).ConfigureAwait(false))
            {
                await SendRefusalNoticeAsync(stream, guard.Token).ConfigureAwait(false);
                throw new SecureChannelException(
                    SecureChannelError.ClientUnauthorized,
                    "Secret-handshake refused: the authorisation callback rejected the client's public key.");
            }

            step = HandshakeStep.Accepting;
            SessionKeys keys = state.WriteMsg4(buffer);
            try
            {
                await WriteAsync(stream, buffer.AsMemory(0, HandshakeWire.ServerAcceptSize), guard.Token).ConfigureAwait(false);
                await guard.CompleteAsync().ConfigureAwait(false);
            }
            catch
            {
                keys.Dispose();
                throw;
            }

            return keys;
        }
        catch (Exception e)
        {
            Exception mapped = await guard.FailAsync(e, ServerEndOfStream(step)).ConfigureAwait(false);
            if (ReferenceEquals(mapped, e))
            {
                throw;
            }

            throw mapped;
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns the bytes read.</summary>
    private static async ValueTask<int> ReadUpToAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer[total..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    /// <summary>The refusal notice, best effort: the handshake fails whether or not it arrives.</summary>
    private static async ValueTask SendRefusalNoticeAsync(Stream stream, CancellationToken cancellationToken)
    {
        try
        {
            await WriteAsync(stream, HandshakeWire.RefusalNotice.ToArray(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException)
        {
            // The client is gone already.
        }
    }

    /// <summary>
    /// The server hung up where msg4 should be. A Weft server that refused this client's key says so first (the
    /// refusal notice); one that could not verify msg3 (it is not the key that was dialled) hangs up silently, as
    /// does any server that is not Weft, whatever the reason.
    /// </summary>
    private static SecureChannelException HungUpAfterMsg3(ReadOnlySpan<byte> received) =>
        received.SequenceEqual(HandshakeWire.RefusalNotice)
            ? new SecureChannelException(
                SecureChannelError.HandshakeRejected,
                "Secret-handshake rejected: the server refused this client's key. It verified the key (msg3) and does not allow it: ask the server's operator to add this client's public id to its list of allowed keys.")
            : new SecureChannelException(
                SecureChannelError.HandshakeRejected,
                "Secret-handshake rejected: the server hung up after the client authenticated (msg3) without a refusal notice. " +
                "Most likely the server is not the public key that was dialled (check the key after ~shs: in the address); " +
                "a server that is not Weft also hangs up like this when it refuses this client's key.");

    private static async ValueTask WriteAsync(Stream stream, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static SecureChannelException ClientEndOfStream(HandshakeStep step) => step switch
    {
        HandshakeStep.AwaitingServerHello => new SecureChannelException(
            SecureChannelError.NetworkKeyMismatch,
            "Secret-handshake failed: the server hung up without answering the client's hello (msg1). It most likely uses a different network key, or does not speak secret-handshake."),
        HandshakeStep.AwaitingServerAccept => new SecureChannelException(
            SecureChannelError.HandshakeRejected,
            "Secret-handshake rejected: the server hung up after the client authenticated (msg3). Either the server refused this client's key, or the server is not the public key that was dialled."),
        _ => new SecureChannelException(SecureChannelError.UnexpectedHangup, "Secret-handshake failed: the server hung up during the handshake."),
    };

    private static SecureChannelException ServerEndOfStream(HandshakeStep step) => step switch
    {
        HandshakeStep.AwaitingClientHello => new SecureChannelException(
            SecureChannelError.UnexpectedHangup, "Secret-handshake failed: the client hung up before sending its hello (msg1)."),
        HandshakeStep.AwaitingClientAuth => new SecureChannelException(
            SecureChannelError.UnexpectedHangup,
            "Secret-handshake failed: the client hung up after the server's hello (msg2) without authenticating; it may have rejected the server's network key."),
        _ => new SecureChannelException(SecureChannelError.UnexpectedHangup, "Secret-handshake failed: the client hung up during the handshake."),
    };
}
