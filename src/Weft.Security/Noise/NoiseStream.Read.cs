using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Weft.Security;

/// <summary>
/// The read side. One receive buffer holds raw frames; a message is decrypted straight into the caller's buffer when
/// it fits, otherwise in place, and the plaintext is then served from the receive buffer.
/// </summary>
public sealed partial class NoiseStream
{
    // Two whole frames: after compaction there is always room for the frame being waited on.
    private const int ReceiveBufferSize = 2 * NoiseWire.MaxFrameSize;

    private byte[]? _receive;
    private int _receiveStart;
    private int _receiveEnd;
    private int _plainStart;
    private int _plainEnd;
    private volatile bool _readsCompleted;
    private SecureChannelError? _readFault;
    private string? _readFaultMessage;
    private int _readBusy;

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        ThrowIfDisposed();
        EnterRead();
        try
        {
            if (_plainStart != _plainEnd)
            {
                return TakePlain(buffer);
            }

            // The synchronous path decrypts into the internal buffer: a Span cannot cross the adapter's await.
            ValueTask<int> fill = ReadMessageAsync<SyncReadAdapter>(Memory<byte>.Empty, CancellationToken.None);
            Debug.Assert(fill.IsCompleted, "synchronous reads complete synchronously");
            fill.GetAwaiter().GetResult();
            return TakePlain(buffer);
        }
        finally
        {
            ExitRead();
        }
    }

    /// <inheritdoc/>
    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 1 ? one[0] : -1;
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        return ReadCoreAsync(buffer, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadCoreAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        EnterRead();
        try
        {
            if (_plainStart != _plainEnd)
            {
                return TakePlain(buffer.Span);
            }

            int direct = await ReadMessageAsync<AsyncReadAdapter>(buffer, cancellationToken).ConfigureAwait(false);
            return direct > 0 ? direct : TakePlain(buffer.Span);
        }
        finally
        {
            ExitRead();
        }
    }

    private int TakePlain(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, _plainEnd - _plainStart);
        _receive.AsSpan(_plainStart, n).CopyTo(destination);
        _plainStart += n;
        return n;
    }

    /// <summary>
    /// Reads and opens the next message. When its plaintext fits <paramref name="destination"/>, it is decrypted there
    /// and its length returned; otherwise it is decrypted in place (<see cref="_plainStart"/>..<see cref="_plainEnd"/>)
    /// and 0 is returned. At the peer's close, nothing is produced and 0 is returned.
    /// </summary>
    private async ValueTask<int> ReadMessageAsync<TRead>(Memory<byte> destination, CancellationToken cancellationToken)
        where TRead : IReadAdapter
    {
        ThrowIfReadFaulted();
        _receive ??= GC.AllocateUninitializedArray<byte>(ReceiveBufferSize);
        while (!_readsCompleted)
        {
            int available = _receiveEnd - _receiveStart;
            if (available < NoiseWire.LengthSize)
            {
                await ReceiveAsync<TRead>(NoiseWire.LengthSize, cancellationToken).ConfigureAwait(false);
                continue;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(_receive.AsSpan(_receiveStart));
            if (length < NoiseWire.TagSize)
            {
                // Judged from the length alone, before waiting for the body.
                throw ReadFault(
                    SecureChannelError.ProtocolViolation,
                    $"Noise transport message of {length} bytes is shorter than its 16-byte authentication tag; the peer is broken or not a Weft noise peer.");
            }

            if (available < NoiseWire.LengthSize + length)
            {
                await ReceiveAsync<TRead>(NoiseWire.LengthSize + length, cancellationToken).ConfigureAwait(false);
                continue;
            }

            int bodyStart = _receiveStart + NoiseWire.LengthSize;
            ReadOnlySpan<byte> ciphertext = _receive.AsSpan(bodyStart, length);
            int plainLength = length - NoiseWire.TagSize;
            bool direct = plainLength > 0 && destination.Length >= plainLength;
            Span<byte> plaintext = direct ? destination.Span : _receive.AsSpan(bodyStart, plainLength);
            if (!_receiveCipher.TryDecrypt(ciphertext, ReadOnlySpan<byte>.Empty, plaintext))
            {
                throw ReadFault(
                    SecureChannelError.MessageAuthenticationFailed,
                    "Noise transport message failed authentication: the data was tampered with, replayed, reordered or corrupted.");
            }

            _receiveStart += NoiseWire.LengthSize + length;
            if (plainLength == 0)
            {
                _readsCompleted = true;
                return 0;
            }

            if (direct)
            {
                return plainLength;
            }

            _plainStart = bodyStart;
            _plainEnd = bodyStart + plainLength;
            return 0;
        }

        return 0;
    }

    /// <summary>Reads from the inner stream until at least <paramref name="needed"/> bytes are buffered, or fails at its end.</summary>
    private async ValueTask ReceiveAsync<TRead>(int needed, CancellationToken cancellationToken)
        where TRead : IReadAdapter
    {
        // Only called when no plaintext is pending, so everything before _receiveStart is free.
        byte[] receive = _receive!;
        if (_receiveStart == _receiveEnd)
        {
            _receiveStart = _receiveEnd = 0;
        }
        else if (receive.Length - _receiveStart < needed)
        {
            receive.AsSpan(_receiveStart, _receiveEnd - _receiveStart).CopyTo(receive);
            _receiveEnd -= _receiveStart;
            _receiveStart = 0;
        }

        _plainStart = _plainEnd = 0;
        int read = await TRead.ReadAsync(_inner, receive.AsMemory(_receiveEnd), cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            throw ReadFault(
                SecureChannelError.UnexpectedHangup,
                _receiveStart == _receiveEnd
                    ? "Noise stream ended without the peer's close message (unexpected hangup): the data may be truncated."
                    : "Noise stream ended in the middle of a message (unexpected hangup): the data is truncated.");
        }

        _receiveEnd += read;
    }

    private SecureChannelException ReadFault(SecureChannelError error, string message)
    {
        _readFault = error;
        _readFaultMessage = message;
        return new SecureChannelException(error, message);
    }

    private void ThrowIfReadFaulted()
    {
        if (_readFault is { } error)
        {
            throw new SecureChannelException(error, _readFaultMessage!);
        }
    }

    private void EnterRead()
    {
        if (Interlocked.Exchange(ref _readBusy, 1) != 0)
        {
            ThrowIfDisposed();
            throw new InvalidOperationException("NoiseStream does not support concurrent reads.");
        }
    }

    private void ExitRead()
    {
        Volatile.Write(ref _readBusy, 0);
        if (_disposed != 0 && Interlocked.Exchange(ref _readBusy, 1) == 0)
        {
            _receiveCipher.Dispose();
        }
    }
}
