namespace Weft.Security;

/// <summary>The write side: chunks are encrypted into one batch buffer and written to the inner stream together.</summary>
public sealed partial class BoxStream
{
    // Sixteen full chunks (~66 KB) per inner write.
    private const int SendBufferSize = 16 * BoxStreamWire.MaxFrameSize;

    private readonly byte[] _send = GC.AllocateUninitializedArray<byte>(SendBufferSize);
    private volatile bool _writesCompleted;
    private bool _writeFaulted;
    private int _writeBusy;

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ThrowIfDisposed();
        EnterWrite();
        try
        {
            ThrowIfWritesClosed();
            while (!buffer.IsEmpty)
            {
                int used = EncodeBatch(buffer, out int consumed);
                buffer = buffer[consumed..];
                Commit(() => _inner.Write(_send, 0, used));
            }
        }
        finally
        {
            ExitWrite();
        }
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        EnterWrite();
        try
        {
            ThrowIfWritesClosed();
            while (!buffer.IsEmpty)
            {
                int used = EncodeBatch(buffer.Span, out int consumed);
                buffer = buffer[consumed..];

                // Once a chunk is encrypted its nonce is spent: write it whatever the caller's token says.
                await CommitAsync(_send.AsMemory(0, used)).ConfigureAwait(false);
            }
        }
        finally
        {
            ExitWrite();
        }
    }

    /// <inheritdoc/>
    public override void Flush()
    {
        ThrowIfDisposed();
        _inner.Flush();
    }

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        return _inner.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// Sends the goodbye and flushes: the peer's reads end cleanly after the data written so far. Reading continues.
    /// Idempotent; later writes throw <see cref="InvalidOperationException"/>.
    /// </summary>
    public void CompleteWrites()
    {
        ThrowIfDisposed();
        EnterWrite();
        try
        {
            if (_writesCompleted)
            {
                return;
            }

            ThrowIfWritesClosed();
            BoxStreamWire.EncodeGoodbye(_keys.EncryptNonce, _keys.EncryptKey, _send);
            Commit(() =>
            {
                _inner.Write(_send, 0, BoxStreamWire.HeaderSize);
                _inner.Flush();
            });
            _writesCompleted = true;
        }
        finally
        {
            ExitWrite();
        }
    }

    /// <summary>
    /// Sends the goodbye and flushes: the peer's reads end cleanly after the data written so far. Reading continues.
    /// Idempotent; later writes throw <see cref="InvalidOperationException"/>.
    /// </summary>
    /// <param name="cancellationToken">Observed only before the goodbye is committed.</param>
    /// <returns>A task that completes when the goodbye has been handed to the inner stream and flushed.</returns>
    public async ValueTask CompleteWritesAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        EnterWrite();
        try
        {
            await SendGoodbyeAsync().ConfigureAwait(false);
        }
        finally
        {
            ExitWrite();
        }
    }

    private async ValueTask SendGoodbyeAsync()
    {
        if (_writesCompleted)
        {
            return;
        }

        ThrowIfWritesClosed();
        BoxStreamWire.EncodeGoodbye(_keys.EncryptNonce, _keys.EncryptKey, _send);
        await CommitAsync(_send.AsMemory(0, BoxStreamWire.HeaderSize)).ConfigureAwait(false);
        try
        {
            await _inner.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            _writeFaulted = true;
            throw;
        }

        _writesCompleted = true;
    }

    private void TrySendGoodbyeOnDispose()
    {
        // After the peer's data failed authentication (or broke the framing) this side must not vouch for a clean
        // end: hanging up without a goodbye makes the peer report an unexpected hangup instead of a normal close.
        if (_writesCompleted || _writeFaulted || _readFault is SecureChannelError.MessageAuthenticationFailed or SecureChannelError.ProtocolViolation
            || Interlocked.Exchange(ref _writeBusy, 1) != 0)
        {
            return;
        }

        try
        {
            BoxStreamWire.EncodeGoodbye(_keys.EncryptNonce, _keys.EncryptKey, _send);
            _inner.Write(_send, 0, BoxStreamWire.HeaderSize);
            _inner.Flush();
            _writesCompleted = true;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException)
        {
            // Best effort: the peer will see an unexpected hangup instead of a clean end.
        }
        finally
        {
            ExitWrite();
        }
    }

    private async ValueTask TrySendGoodbyeOnDisposeAsync()
    {
        // After the peer's data failed authentication (or broke the framing) this side must not vouch for a clean
        // end: hanging up without a goodbye makes the peer report an unexpected hangup instead of a normal close.
        if (_writesCompleted || _writeFaulted || _readFault is SecureChannelError.MessageAuthenticationFailed or SecureChannelError.ProtocolViolation
            || Interlocked.Exchange(ref _writeBusy, 1) != 0)
        {
            return;
        }

        try
        {
            await SendGoodbyeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException)
        {
            // Best effort: the peer will see an unexpected hangup instead of a clean end.
        }
        finally
        {
            ExitWrite();
        }
    }

    /// <summary>Encrypts as many chunks of <paramref name="data"/> as fit into the send buffer.</summary>
    /// <returns>The number of bytes of <see cref="_send"/> to write.</returns>
    private int EncodeBatch(ReadOnlySpan<byte> data, out int consumed)
    {
        int used = 0;
        consumed = 0;
        while (consumed < data.Length && used + BoxStreamWire.MaxFrameSize <= _send.Length)
        {
            int n = Math.Min(BoxStreamWire.MaxChunkSize, data.Length - consumed);
            used += BoxStreamWire.EncodeChunk(data.Slice(consumed, n), _keys.EncryptNonce, _keys.EncryptKey, _send.AsSpan(used));
            consumed += n;
        }

        return used;
    }

    private void Commit(Action write)
    {
        try
        {
            write();
        }
        catch
        {
            _writeFaulted = true;
            throw;
        }
    }

    private async ValueTask CommitAsync(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            await _inner.WriteAsync(bytes, CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            _writeFaulted = true;
            throw;
        }
    }

    private void ThrowIfWritesClosed()
    {
        if (_writesCompleted)
        {
            throw new InvalidOperationException("Writes were completed (goodbye sent); the stream accepts no more data.");
        }

        if (_writeFaulted)
        {
            throw new IOException("An earlier write to the inner stream failed; the box-stream cannot continue writing.");
        }
    }

    private void EnterWrite()
    {
        if (Interlocked.Exchange(ref _writeBusy, 1) != 0)
        {
            throw new InvalidOperationException("BoxStream does not support concurrent writes.");
        }
    }

    private void ExitWrite() => Volatile.Write(ref _writeBusy, 0);
}
