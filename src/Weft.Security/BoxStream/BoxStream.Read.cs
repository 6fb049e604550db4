using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Weft.Security;

/// <summary>The read side: a receive buffer, the header being waited on, and one decrypted chunk.</summary>
public sealed partial class BoxStream
{
    // Holds several frames per inner read; always at least one whole frame after compaction.
    private const int ReceiveBufferSize = 8 * BoxStreamWire.MaxFrameSize;

    private readonly byte[] _receive = GC.AllocateUninitializedArray<byte>(ReceiveBufferSize);
    private readonly byte[] _plain = GC.AllocateUninitializedArray<byte>(BoxStreamWire.MaxChunkSize);
    private readonly byte[] _bodyMac = new byte[16];
    private int _receiveStart;
    private int _receiveEnd;
    private int _plainStart;
    private int _plainEnd;
    private int _pendingBodyLength = -1;
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
            if (_plainStart == _plainEnd)
            {
                ValueTask<bool> fill = FillPlainAsync<SyncReadAdapter>(CancellationToken.None);
                Debug.Assert(fill.IsCompleted, "synchronous reads complete synchronously");
                if (!fill.GetAwaiter().GetResult())
                {
                    return 0;
                }
            }

            return TakePlain(buffer);
        }
        finally
        {
            ExitRead();
        }
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
        return ReadCoreAsync(buffer, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadCoreAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        EnterRead();
        try
        {
            if (_plainStart == _plainEnd && !await FillPlainAsync<AsyncReadAdapter>(cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }

            return TakePlain(buffer.Span);
        }
        finally
        {
            ExitRead();
        }
    }

    private int TakePlain(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, _plainEnd - _plainStart);
        _plain.AsSpan(_plainStart, n).CopyTo(destination);
        _plainStart += n;
        return n;
    }

    /// <summary>Reads and decrypts the next chunk into <see cref="_plain"/>.</summary>
    /// <returns><see langword="false"/> at the peer's goodbye.</returns>
    private async ValueTask<bool> FillPlainAsync<TRead>(CancellationToken cancellationToken)
        where TRead : IReadAdapter
    {
        ThrowIfReadFaulted();
        while (!_readsCompleted)
        {
            int available = _receiveEnd - _receiveStart;
            if (_pendingBodyLength < 0)
            {
                if (available < BoxStreamWire.HeaderSize)
                {
                    await ReceiveAsync<TRead>(BoxStreamWire.HeaderSize, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (!OpenHeader())
                {
                    return false;
                }
            }

            int frame = BoxStreamWire.HeaderSize + _pendingBodyLength;
            if (available < frame)
            {
                await ReceiveAsync<TRead>(frame, cancellationToken).ConfigureAwait(false);
                continue;
            }

            OpenBody();
            return true;
        }

        return false;
    }

    /// <returns><see langword="false"/> when the header is the goodbye.</returns>
    private bool OpenHeader()
    {
        HeaderStatus status = BoxStreamWire.DecodeHeader(
            _receive.AsSpan(_receiveStart, BoxStreamWire.HeaderSize), _keys.DecryptNonce, _keys.DecryptKey, out int length, _bodyMac);
        switch (status)
        {
            case HeaderStatus.Chunk:
                _pendingBodyLength = length;
                return true;
            case HeaderStatus.Goodbye:
                _receiveStart += BoxStreamWire.HeaderSize;
                _readsCompleted = true;
                return false;
            case HeaderStatus.Tampered:
                throw ReadFault(SecureChannelError.MessageAuthenticationFailed, "Box-stream chunk header failed authentication: the data was tampered with or corrupted.");
            default:
                throw ReadFault(SecureChannelError.ProtocolViolation, "Box-stream chunk header holds an invalid length.");
        }
    }

    private void OpenBody()
    {
        int length = _pendingBodyLength;
        ReadOnlySpan<byte> body = _receive.AsSpan(_receiveStart + BoxStreamWire.HeaderSize, length);
        if (!BoxStreamWire.TryDecodeBody(body, _bodyMac, _keys.DecryptNonce, _keys.DecryptKey, _plain))
        {
            throw ReadFault(SecureChannelError.MessageAuthenticationFailed, "Box-stream chunk body failed authentication: the data was tampered with or corrupted.");
        }

        _receiveStart += BoxStreamWire.HeaderSize + length;
        _pendingBodyLength = -1;
        _plainStart = 0;
        _plainEnd = length;
    }

    /// <summary>Reads from the inner stream until at least <paramref name="needed"/> bytes are buffered or it ends.</summary>
    private async ValueTask ReceiveAsync<TRead>(int needed, CancellationToken cancellationToken)
        where TRead : IReadAdapter
    {
        if (_receiveStart == _receiveEnd)
        {
            _receiveStart = _receiveEnd = 0;
        }
        else if (_receive.Length - _receiveStart < needed)
        {
            _receive.AsSpan(_receiveStart, _receiveEnd - _receiveStart).CopyTo(_receive);
            _receiveEnd -= _receiveStart;
            _receiveStart = 0;
        }

        int read = await TRead.ReadAsync(_inner, _receive.AsMemory(_receiveEnd), cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            throw ReadFault(
                SecureChannelError.UnexpectedHangup,
                _receiveStart == _receiveEnd
                    ? "Box-stream ended without the peer's goodbye (unexpected hangup): the data may be truncated."
                    : "Box-stream ended in the middle of a chunk (unexpected hangup): the data is truncated.");
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
            throw new InvalidOperationException("BoxStream does not support concurrent reads.");
        }
    }

    private void ExitRead() => Volatile.Write(ref _readBusy, 0);
}
