using System.Buffers;
using System.Buffers.Binary;

namespace Weft.Security;

/// <summary>
/// The write side: messages are encrypted straight into one 128 KiB send buffer, as many whole frames per inner write
/// as fit (so that a 64 KiB write, one maximum message and a small rest, costs one inner write, not two).
/// </summary>
public sealed partial class NoiseStream
{
    // A power of two, so that the shared pool gives exactly this much.
    private const int SendBufferSize = 128 * 1024;

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
                int used = EncodeBatch(buffer, out int consumed);
                buffer = buffer[consumed..];
                Commit(used);
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
                int used = EncodeBatch(buffer.Span, out int consumed);
                buffer = buffer[consumed..];

                // Once a message is encrypted its nonce is spent: write it whatever the caller's token says.
                await CommitAsync(used).ConfigureAwait(false);
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
            byte[] close = EncodeClose();
            try
            {
                _inner.Write(close);
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
        byte[] close = EncodeClose();
        try
        {
            await _inner.WriteAsync(close, CancellationToken.None).ConfigureAwait(false);
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
            _inner.Write(EncodeClose());
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

    /// <summary>Encrypts as many messages of <paramref name="data"/> as fit into the send buffer.</summary>
    /// <returns>The number of bytes of <see cref="_send"/> to write.</returns>
    private int EncodeBatch(ReadOnlySpan<byte> data, out int consumed)
    {
        int used = 0;
        consumed = 0;
        while (consumed < data.Length)
        {
            int n = MessageSize(data.Length - consumed);
            if (used + NoiseWire.LengthSize + n + NoiseWire.TagSize > SendBufferSize)
            {
                break;
            }

            used += EncodeFrame(data.Slice(consumed, n), used);
            consumed += n;
        }

        return used;
    }

    /// <summary>
    /// The plaintext size of the next message when <paramref name="remaining"/> bytes are left to send: at most
    /// <see cref="NoiseWire.SendPlaintextSize"/>, and a multiple of <see cref="NoiseWire.SendGranule"/> whenever that
    /// leaves a large message (≥ <see cref="NoiseWire.SplitThreshold"/>): the in-box ChaCha20-Poly1305 (OpenSSL) seals
    /// and opens such lengths about a third faster than others, which pays for the small extra message that carries the
    /// rest. Receivers accept any length up to <see cref="NoiseWire.MaxPlaintextSize"/>.
    /// </summary>
    private static int MessageSize(int remaining)
    {
        if (remaining >= NoiseWire.SendPlaintextSize)
        {
            return NoiseWire.SendPlaintextSize;
        }

        int whole = remaining & ~(NoiseWire.SendGranule - 1);
        return whole >= NoiseWire.SplitThreshold ? whole : remaining;
    }

    /// <summary>The close message: an empty plaintext, so the frame is the length 16 and the tag.</summary>
    private byte[] EncodeClose()
    {
        byte[] frame = new byte[NoiseWire.LengthSize + NoiseWire.TagSize];
        BinaryPrimitives.WriteUInt16BigEndian(frame, NoiseWire.TagSize);
        _sendCipher.Encrypt(ReadOnlySpan<byte>.Empty, ReadOnlySpan<byte>.Empty, frame.AsSpan(NoiseWire.LengthSize));
        return frame;
    }

    /// <summary>Encrypts one message (at most <see cref="NoiseWire.SendPlaintextSize"/> bytes) into <see cref="_send"/> at <paramref name="offset"/>.</summary>
    /// <returns>The frame's size: length prefix, ciphertext and tag.</returns>
    private int EncodeFrame(ReadOnlySpan<byte> plaintext, int offset)
    {
        // Rented on first use (an idle connection holds no send buffer) and returned when the stream is disposed.
        _send ??= ArrayPool<byte>.Shared.Rent(SendBufferSize);
        int length = plaintext.Length + NoiseWire.TagSize;
        BinaryPrimitives.WriteUInt16BigEndian(_send.AsSpan(offset), (ushort)length);
        _sendCipher.Encrypt(plaintext, ReadOnlySpan<byte>.Empty, _send.AsSpan(offset + NoiseWire.LengthSize, length));
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
            ReleaseWriteSide();
        }
    }

    /// <summary>Wipes the key and returns the send buffer; only while holding <see cref="_writeBusy"/> for good.</summary>
    private void ReleaseWriteSide()
    {
        _sendCipher.Dispose();
        if (_send is { } send)
        {
            _send = null;
            ArrayPool<byte>.Shared.Return(send);
        }
    }
}
