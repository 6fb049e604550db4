using Weft.Crypto.Keys;
using Weft.Transports;

namespace Weft.Security;

/// <summary>
/// The encrypted stream that a secret-handshake produces (box-stream): every write is cut into chunks of at most
/// 4096 bytes, each sent as an authenticated 34-byte header and an encrypted body; the end of writing is an
/// authenticated "goodbye" header.
/// </summary>
/// <remarks>
/// <para>
/// Semantics: <c>Write</c> encrypts and hands the bytes to the inner stream (several chunks per inner write);
/// <c>Flush</c> flushes the inner stream; <see cref="CompleteWrites"/> sends the goodbye (a half-close: reading
/// continues); <c>Dispose</c> sends the goodbye if it was not sent and disposes the inner stream (unless
/// <see cref="SecretHandshakeOptions.LeaveInnerStreamOpen"/>). <c>Read</c> returns 0 only after the peer's valid
/// goodbye; an end of the inner stream before it throws <see cref="SecureChannelError.UnexpectedHangup"/>, and any
/// tampered byte throws <see cref="SecureChannelError.MessageAuthenticationFailed"/>. A read failure is permanent.
/// </para>
/// <para>
/// Concurrency: one read and one write may run at the same time (from different threads); two concurrent reads or
/// two concurrent writes throw <see cref="InvalidOperationException"/>. Cancelling a read is safe (partial chunks
/// stay buffered); a write's token is only observed before any byte is committed, so a chunk is never torn.
/// </para>
/// </remarks>
public sealed partial class BoxStream : Stream, IHalfCloseable
{
    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly SessionKeys _keys;
    private int _disposed;

    internal BoxStream(Stream inner, SessionKeys keys, bool leaveOpen)
    {
        _inner = inner;
        _keys = keys;
        _leaveOpen = leaveOpen;
        RemotePublicKey = keys.RemotePublicKey;
    }

    /// <summary>The peer's long-term public key, proven by the handshake.</summary>
    public Ed25519PublicKey RemotePublicKey { get; }

    /// <summary>Whether the peer's goodbye has been read (reads now return 0).</summary>
    public bool ReadsCompleted => _readsCompleted;

    /// <summary>Whether this side has sent its goodbye (writes now throw).</summary>
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

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Sends the goodbye if it was not sent, then disposes the inner stream.</summary>
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
                TrySendGoodbyeOnDispose();
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

                _keys.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>Sends the goodbye if it was not sent, then disposes the inner stream.</summary>
    /// <returns>A task that completes when the stream is closed.</returns>
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await TrySendGoodbyeOnDisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            if (!_leaveOpen)
            {
                await _inner.DisposeAsync().ConfigureAwait(false);
            }

            _keys.Dispose();

            // Stream.DisposeAsync calls Dispose(), which returns at once now that _disposed is set.
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed != 0, this);
}
