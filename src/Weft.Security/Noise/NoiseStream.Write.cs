using System.Buffers.Binary;

namespace Weft.Security;

/// <summary>The write side: each message is encrypted straight into one frame buffer and written to the inner stream.</summary>
public sealed partial class NoiseStream
{
    private byte[]? _send;
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
                int n = Math.Min(buffer.Length, NoiseWire.MaxPlaintextSize);
                int frame = EncodeFrame(buffer[..n]);
                buffer = buffer[n..];
                Commit(frame);
            }
        }
        finally
        {
            ExitWrite();
        }
    }

    /// <inheritdoc/>
    public override void WriteByte(byte value) => Write([value]);

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
                int n = Math.Min(buffer.Length, NoiseWire.MaxPlaintextSize);
                int frame = EncodeFrame(buffer.Span[..n]);
                buffer = buffer[n..];

                // Once a message is encrypted its nonce is spent: write it whatever the caller's token says.
                await CommitAsync(frame).ConfigureAwait(false);
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
    /// Sends the close message and flushes: the peer's reads end cleanly after the data written so far. Reading
    /// continues. Idempotent; later writes throw <see cref="InvalidOperationException"/>.
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
            int frame = EncodeFrame(ReadOnlySpan<byte>.Empty);
            Commit(frame);
            try
            {
                _inner.Flush();
            }
            catch
            {
                _writeFaulted = true;
                throw;
            }

            _writesCompleted = true;
        }
        finally
        {
            ExitWrite();
        }
    }

    /// <summary>
    /// Sends the close message and flushes: the peer's reads end cleanly after the data written so far. Reading
    /// continues. Idempotent; later writes throw <see cref="InvalidOperationException"/>.
    /// </summary>
    /// <param name="cancellationToken">Observed only before the close message is committed.</param>
    /// <returns>A task that completes when the close message has been handed to the inner stream and flushed.</returns>
    public async ValueTask CompleteWritesAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        EnterWrite();
        try
        {
            await SendCloseAsync().ConfigureAwait(false);
        }
        finally
        {
            ExitWrite();
        }
    }

    private async ValueTask SendCloseAsync()
    {
        if (_writesCompleted)
        {
            return;
        }

        ThrowIfWritesClosed();
        int frame = EncodeFrame(ReadOnlySpan<byte>.Empty);
        await CommitAsync(frame).ConfigureAwait(false);
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

    private void TrySendCloseOnDispose()
    {
        if (_writesCompleted || _writeFaulted || Interlocked.Exchange(ref _writeBusy, 1) != 0)
        {
            return;
        }

        try
        {
            int frame = EncodeFrame(ReadOnlySpan<byte>.Empty);
            _inner.Write(_send!, 0, frame);
            _inner.Flush();
            _writesCompleted = true;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException or InvalidOperationException)
        {
            // Best effort: the peer will see an unexpected hangup instead of a clean end.
        }
        finally
        {
            Volatile.Write(ref _writeBusy, 0);
        }
    }

    private async ValueTask TrySendCloseOnDisposeAsync()
    {
        if (_writesCompleted || _writeFaulted || Interlocked.Exchange(ref _writeBusy, 1) != 0)
        {
            return;
        }

        try
        {
            await SendCloseAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException or InvalidOperationException)
        {
            // Best effort: the peer will see an unexpected hangup instead of a clean end.
        }
        finally
        {
            Volatile.Write(ref _writeBusy, 0);
        }
    }

    /// <summary>Encrypts one message (at most <see cref="NoiseWire.MaxPlaintextSize"/> bytes) into <see cref="_send"/>.</summary>
    /// <returns>The frame's size: length prefix, ciphertext and tag.</returns>
    private int EncodeFrame(ReadOnlySpan<byte> plaintext)
    {
        _send ??= GC.AllocateUninitializedArray<byte>(NoiseWire.MaxFrameSize);
        int length = plaintext.Length + NoiseWire.TagSize;
        BinaryPrimitives.WriteUInt16BigEndian(_send, (ushort)length);
        _sendCipher.Encrypt(plaintext, ReadOnlySpan<byte>.Empty, _send.AsSpan(NoiseWire.LengthSize, length));
        return NoiseWire.LengthSize + length;
    }

    private void Commit(int frame)
    {
        try
        {
            _inner.Write(_send!, 0, frame);
        }
        catch
        {
            _writeFaulted = true;
            throw;
        }
    }

    private async ValueTask CommitAsync(int frame)
    {
        try
        {
            await _inner.WriteAsync(_send.AsMemory(0, frame), CancellationToken.None).ConfigureAwait(false);
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
            throw new InvalidOperationException("Writes were completed (close message sent); the stream accepts no more data.");
        }

        if (_writeFaulted)
        {
            throw new IOException("An earlier write to the inner stream failed; the noise stream cannot continue writing.");
        }
    }

    private void EnterWrite()
    {
        if (Interlocked.Exchange(ref _writeBusy, 1) != 0)
        {
            ThrowIfDisposed();
            throw new InvalidOperationException("NoiseStream does not support concurrent writes.");
        }
    }

    private void ExitWrite()
    {
        Volatile.Write(ref _writeBusy, 0);
        if (_disposed != 0 && Interlocked.Exchange(ref _writeBusy, 1) == 0)
        {
            _sendCipher.Dispose();
        }
    }
}
