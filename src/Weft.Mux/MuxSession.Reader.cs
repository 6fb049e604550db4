using System.Buffers;
using System.IO.Pipelines;
using Weft.Mux.Protocol;

namespace Weft.Mux;

public sealed partial class MuxSession
{
    private readonly Dictionary<uint, TaskCompletionSource> _pings = [];
    private uint _nextPingId;
    private long _bytesReceived;

    /// <summary>
    /// Reads frames until the connection ends. Never awaits anything but the connection: replies are queued
    /// without waiting, so a peer that does not read cannot stall this loop (it is cut off by the reply bound).
    /// </summary>
    /// <remarks>
    /// Wake-ups of the readers and writers that the frames of one buffer concern are collected
    /// (<see cref="Wake"/>) and issued once the buffer is handled. All but the last are queued to the thread
    /// pool; the last one is a hand-off (<see cref="ReaderHandOff"/>): this loop runs that waiter's
    /// continuation on the current thread and, when it returns, goes on with its next read on the same
    /// thread. A 64-byte message then goes socket → read loop → its reader on one thread, as with a plain
    /// socket, and no second thread is asked for. Application code that blocks in that continuation blocks
    /// only this thread: after a tick the watchdog moves the loop to the thread pool, so no other stream
    /// stalls for longer than that.
    /// </remarks>
    private async Task ReadLoopAsync()
    {
        PipeReader reader = PipeReader.Create(_transport, new StreamPipeReaderOptions(
            bufferSize: _options.ReadBufferSize,
            minimumReadSize: Math.Min(4096, _options.ReadBufferSize),
            leaveOpen: true));
        uint maxData = (uint)_options.MaxStreamWindowSize;
        bool anyFrame = false;
        _deferWakeups = true;
        try
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync(_abortCts.Token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                try
                {
                    try
                    {
                        while (YamuxCodec.TryReadHeader(buffer, out YamuxHeader next))
                        {
                            // Judge a Data frame's length by its header alone, before its payload is awaited.
                            if (next.Type == YamuxFrameType.Data)
                            {
                                CheckDataLength(next);
                            }

                            if (!YamuxCodec.TryReadFrame(ref buffer, maxData, out YamuxHeader header, out ReadOnlySequence<byte> payload))
                            {
                                break;
                            }

                            HandleFrame(header, payload);
                            anyFrame = true;
                        }
                    }
                    catch (Exception e) when (!anyFrame && e is YamuxFormatException or MuxProtocolException && LooksLikeGomux(result.Buffer))
                    {
                        // The first frame is bad and reads as a gomux header: say what is most likely wrong.
                        throw new MuxProtocolException($"the peer sent gomux frames, not yamux: set the same mux dialect on both sides (this session speaks yamux; {e.Message})");
                    }

                    if (result.IsCompleted || result.IsCanceled)
                    {
                        if (buffer.Length > 0 && !IsShutDown)
                        {
                            Shutdown(new MuxException(MuxError.ConnectionLost, $"the connection ended in the middle of a frame ({buffer.Length} bytes of it received)"), goAway: null);
                        }
                        else
                        {
                            OnConnectionEnded(null);
                        }

                        return;
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }

                // The pipe is consistent again and nothing is held: wake the waiters this buffer concerned.
                if (TakeWakeups() is { } last)
                {
                    await new ReaderHandOff(this, last);
                }
            }
        }
        catch (YamuxFormatException e)
        {
            Shutdown(new MuxException(MuxError.ProtocolError, $"protocol error from the peer: {e.Message}"), YamuxGoAwayCode.ProtocolError);
        }
        catch (MuxProtocolException e)
        {
            Shutdown(new MuxException(e.Error, $"protocol error from the peer: {e.Message}"), e.Code);
        }
        catch (Exception e)
        {
            // Whatever the transport throws (IOException, ObjectDisposedException, InvalidOperationException
            // from a pipe-backed stream, ...), the connection is gone for this session.
            OnConnectionEnded(e);
        }
        finally
        {
            // Whatever ended the loop, nobody may miss a wake-up that frames already handled owe them.
            WakeDeferred();
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private void CheckDataLength(in YamuxHeader header)
    {
        MuxStream? stream;
        lock (_streamsLock)
        {
            _streams.TryGetValue(header.StreamId, out stream);
        }

        if (stream is not null)
        {
            uint credit = stream.ReceiveCredit;
            if (header.Length > credit)
            {
                throw new MuxProtocolException($"data frame of {header.Length} bytes on stream {header.StreamId} exceeds its receive window ({credit} bytes left)");
            }
        }
        else if (header.Has(YamuxFlags.Syn) && header.Length > YamuxConstants.InitialStreamWindow)
        {
            throw new MuxProtocolException($"data frame of {header.Length} bytes opening stream {header.StreamId} exceeds the initial window");
        }
    }

    private void OnConnectionEnded(Exception? error)
    {
        if (IsShutDown)
        {
            return;
        }

        MuxException reason = _remoteGoAway
            ? new MuxException(MuxError.RemoteClosed, $"the peer closed the session (GoAway code {_remoteGoAwayCode})", error) { GoAwayCode = _remoteGoAwayCode }
            : new MuxException(MuxError.ConnectionLost, error is null ? "the connection was closed by the peer" : $"the connection failed: {error.Message}", error);
        Shutdown(reason, goAway: null);
    }

    private void HandleFrame(in YamuxHeader header, in ReadOnlySequence<byte> payload)
    {
        switch (header.Type)
        {
            case YamuxFrameType.Data:
            case YamuxFrameType.WindowUpdate:
                HandleStreamFrame(header, payload);
                break;
            case YamuxFrameType.Ping:
                HandlePing(header);
                break;
            case YamuxFrameType.GoAway:
                if (header.StreamId != YamuxConstants.SessionStreamId)
                {
                    throw new MuxProtocolException($"GoAway on stream {header.StreamId} (must be 0)");
                }

                _remoteGoAwayCode = header.Length;
                _remoteGoAway = true;
                break;
        }
    }

    private void HandlePing(in YamuxHeader header)
    {
        if (header.StreamId != YamuxConstants.SessionStreamId)
        {
            throw new MuxProtocolException($"Ping on stream {header.StreamId} (must be 0)");
        }

        if (header.Has(YamuxFlags.Syn))
        {
            EnqueueControl(new YamuxHeader(YamuxFrameType.Ping, YamuxFlags.Ack, 0, header.Length), isReply: true);
        }
        else if (header.Has(YamuxFlags.Ack))
        {
            lock (_pings)
            {
                if (_pings.TryGetValue(header.Length, out TaskCompletionSource? pending))
                {
                    pending.TrySetResult();
                }
            }
        }
    }

    private void HandleStreamFrame(in YamuxHeader header, in ReadOnlySequence<byte> payload)
    {
        uint id = header.StreamId;
        if (id == YamuxConstants.SessionStreamId)
        {
            throw new MuxProtocolException($"{header.Type} on stream 0");
        }

        MuxStream? stream;
        if (header.Has(YamuxFlags.Syn))
        {
            stream = OnRemoteSyn(header);
            if (stream is null)
            {
                return;
            }
        }
        else
        {
            lock (_streamsLock)
            {
                _streams.TryGetValue(id, out stream);
            }

            if (stream is null)
            {
                // Unknown or already forgotten stream: frames racing a reset or close. Drop them quietly.
                return;
            }
        }

        if (header.Type == YamuxFrameType.Data)
        {
            Interlocked.Add(ref _bytesReceived, header.Length);
        }

        stream.OnFrame(header, payload);
    }

    private MuxStream? OnRemoteSyn(in YamuxHeader header) => OnRemoteOpen(header.StreamId);

    /// <summary>The peer opens stream <paramref name="id"/>: queue it for accept, or refuse it (RST; gomux: CloseStream).</summary>
    private MuxStream? OnRemoteOpen(uint id)
    {
        if ((id & 1) == _localParity)
        {
            throw new MuxProtocolException($"the peer opened stream {id}, which has this side's parity");
        }

        MuxStream stream;
        lock (_streamsLock)
        {
            if (_streams.ContainsKey(id))
            {
                throw new MuxProtocolException(_gomux is null ? $"duplicate SYN for stream {id}" : $"duplicate OpenStream for stream {id}");
            }

            if (_localGoAway || IsShutDown || _inboundStreams >= _options.MaxInboundStreams)
            {
                stream = null!;
            }
            else
            {
                stream = new MuxStream(this, id, isLocal: false);
                if (!_acceptQueue.Writer.TryWrite(stream))
                {
                    stream = null!;
                }
                else
                {
                    _streams.Add(id, stream);
                    _inboundStreams++;
                }
            }
        }

        if (stream is null)
        {
            // Refused (going away, too many streams, or backlog full): reset it; its data is dropped.
            EnqueueControl(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Rst, id, 0), isReply: true);
        }

        return stream;
    }
}
