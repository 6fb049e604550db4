using Weft.Crypto.Keys;
using Weft.Transports;

namespace Weft.Security;

/// <summary>
/// The encrypted stream that a Noise IK handshake produces (<see cref="NoiseHandshake"/>): every write is cut into
/// transport messages of at most 65 024 bytes (reads accept Noise's 65 519), each sent as a 2-byte length and its
/// ChaCha20-Poly1305 ciphertext under a counter nonce; the end of writing is an authenticated empty message (the close).
/// </summary>
/// <remarks>
/// <para>
/// Semantics: <c>Write</c> encrypts and hands the bytes to the inner stream; <c>Flush</c> flushes the inner stream;
/// <see cref="CompleteWritesAsync"/> sends the close message (a half-close: reading continues); <c>Dispose</c> sends the
/// close if it was not sent and disposes the inner stream (unless <see cref="NoiseOptions.LeaveInnerStreamOpen"/>).
/// <c>Read</c> returns 0 only after the peer's valid close; an end of the inner stream before it throws
/// <see cref="SecureChannelError.UnexpectedHangup"/>, and any tampered, replayed, reordered or dropped message throws
/// <see cref="SecureChannelError.MessageAuthenticationFailed"/>. A read failure is permanent. Each direction's key is
/// replaced (Noise <c>Rekey()</c>) every 65 536 messages.
/// </para>
/// <para>
/// Concurrency: one read and one write may run at the same time (from different threads); two concurrent reads or
/// two concurrent writes throw <see cref="InvalidOperationException"/>. Cancelling a read is safe (partial messages
/// stay buffered); a write's token is only observed before any byte is committed, so a message is never torn.
/// </para>
/// </remarks>
public sealed partial class NoiseStream : Stream, IHalfCloseable
{
    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly NoiseCipherState _sendCipher;
    private readonly NoiseCipherState _receiveCipher;
    private readonly byte[] _handshakeHash;
    private int _disposed;

    internal NoiseStream(
        Stream inner, NoiseCipherState send, NoiseCipherState receive, Ed25519PublicKey remotePublicKey, ReadOnlySpan<byte> handshakeHash, bool leaveOpen)
    {
        _inner = inner;
        _sendCipher = send;
        _receiveCipher = receive;
        _leaveOpen = leaveOpen;
        _handshakeHash = handshakeHash.ToArray();
        RemotePublicKey = remotePublicKey;
    }

    /// <summary>The peer's long-term (Ed25519) public key, proven by the handshake.</summary>
    public Ed25519PublicKey RemotePublicKey { get; }

    /// <summary>Whether the peer's close message has been read (reads now return 0).</summary>
    public bool ReadsCompleted => _readsCompleted;

    /// <summary>Whether this side has sent its close message (writes now throw).</summary>
    public bool WritesCompleted => _writesCompleted;

    /// <inheritdoc/>
    public override bool CanRead => _disposed == 0;

    /// <inheritdoc/>
    public override bool CanWrite => _disposed == 0 && !_writesCompleted;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// The Noise handshake hash: identical on both ends and unique to this session, usable as a channel binding
    /// (Noise §11.2). Not secret.
    /// </summary>
    /// <returns>A copy of the 32 bytes.</returns>
    public byte[] GetHandshakeHash() => (byte[])_handshakeHash.Clone();

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Sends the close message if it was not sent, then disposes the inner stream.</summary>
    /// <param name="disposing">Always true: the class has no finaliser.</param>
    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (disposing)
            {
                TrySendCloseOnDispose();
            }
        }
        finally
        {
            if (disposing)
            {
                if (!_leaveOpen)
                {
                    _inner.Dispose();
                }

                DisposeCiphers();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>Sends the close message if it was not sent, then disposes the inner stream.</summary>
    /// <returns>A task that completes when the stream is closed.</returns>
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await TrySendCloseOnDisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            if (!_leaveOpen)
            {
                await _inner.DisposeAsync().ConfigureAwait(false);
            }

            DisposeCiphers();

            // Stream.DisposeAsync calls Dispose(), which returns at once now that _disposed is set.
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void DisposeCiphers()
    {
        // A read or write still running on another thread owns its cipher; it fails with ObjectDisposedException
        // from the inner stream, and ExitRead/ExitWrite wipe the key when it leaves.
        if (Interlocked.Exchange(ref _readBusy, 1) == 0)
        {
            ReleaseReadSide();
        }

        if (Interlocked.Exchange(ref _writeBusy, 1) == 0)
        {
            ReleaseWriteSide();
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed != 0, this);
}
