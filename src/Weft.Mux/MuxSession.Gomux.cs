using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Weft.Mux.Protocol;

namespace Weft.Mux;

/// <summary>
/// The gomux dialect's edge of the engine. Streams and the session speak one vocabulary of frame intents (the
/// yamux header: Data, WindowUpdate with SYN/ACK/FIN/RST, Ping, GoAway); with gomux, outgoing intents are
/// translated here into sealed gomux frames, and incoming gomux frames into the same stream handlers.
/// </summary>
/// <remarks>
/// The mapping (docs/protocol.md, "gomux dialect" → "In a Weft session"):
/// open (SYN) → OpenStream; accept (ACK) → nothing; credit → WindowUpdate frames of at most 65 536 each;
/// FIN (<see cref="MuxStream.CompleteWrites"/>) → CloseRead (gomux names flags from the receiver's side);
/// reads aborted → CloseWrite; RST (dispose, abort, refusal) → CloseStream; keepalive → Keepalive;
/// GoAway(normal) at local shutdown → CloseMux; GoAway(error) → nothing (gomux has no error frame; the connection is closed).
/// </remarks>
public sealed partial class MuxSession
{
    private readonly GomuxFrameCodec? _gomux;

    /// <summary>True when this session speaks the gomux dialect.</summary>
    internal bool IsGomux => _gomux is not null;

    /// <summary>Largest outgoing gomux bytes one credit grant can take: split into frames of 65 536.</summary>
    private static int GomuxWindowUpdateSize(uint credit) =>
        (int)((credit + GomuxConstants.MaxLength - 1) / GomuxConstants.MaxLength) * GomuxConstants.MinFrameSize;

    /// <summary>Wire size of the gomux frames an intent becomes (0 when it has no gomux equivalent).</summary>
    private static int GomuxSize(in YamuxHeader intent, int payloadLength)
    {
        if (intent.Type == YamuxFrameType.Data)
        {
            return GomuxConstants.MinFrameSize + payloadLength;
        }

        if (intent.Type == YamuxFrameType.WindowUpdate)
        {
            int size = GomuxWindowUpdateSize(intent.Length);
            if (intent.Has(YamuxFlags.Syn) || intent.Has(YamuxFlags.Fin) || intent.Has(YamuxFlags.Rst))
            {
                size += GomuxConstants.MinFrameSize;
            }

            return size;
        }

        return intent.Type == YamuxFrameType.Ping && intent.Has(YamuxFlags.Syn)
            || intent.Type == YamuxFrameType.GoAway && intent.Length == (uint)YamuxGoAwayCode.Normal
            ? GomuxConstants.MinFrameSize
            : 0;
    }

    /// <summary>Seals the gomux frames for one intent into <paramref name="destination"/>; returns the bytes written.</summary>
    private int SealGomux(Span<byte> destination, in YamuxHeader intent, ReadOnlySpan<byte> payload)
    {
        GomuxFrameCodec codec = _gomux!;
        uint id = intent.StreamId;
        switch (intent.Type)
        {
            case YamuxFrameType.Data:
                return codec.Seal(destination, id, GomuxFrameType.Data, (uint)payload.Length, payload);

            case YamuxFrameType.WindowUpdate:
                int written = 0;
                if (intent.Has(YamuxFlags.Syn))
                {
                    written += codec.Seal(destination, id, GomuxFrameType.OpenStream, 0, default);
                }

                // gomux drops the session on any length over 65 536, so a larger grant goes out as several frames.
                for (uint credit = intent.Length; credit > 0;)
                {
                    uint chunk = Math.Min(credit, GomuxConstants.MaxLength);
                    written += codec.Seal(destination[written..], id, GomuxFrameType.WindowUpdate, chunk, default);
                    credit -= chunk;
                }

                if (intent.Has(YamuxFlags.Rst))
                {
                    written += codec.Seal(destination[written..], id, GomuxFrameType.CloseStream, 0, default);
                }
                else if (intent.Has(YamuxFlags.Fin))
                {
                    // Our write side ends: the receiver closes its read side.
                    written += codec.Seal(destination[written..], id, GomuxFrameType.CloseRead, 0, default);
                }

                return written;

            case YamuxFrameType.Ping when intent.Has(YamuxFlags.Syn):
                return codec.Seal(destination, GomuxConstants.SessionStreamId, GomuxFrameType.Keepalive, 0, default);

            case YamuxFrameType.GoAway when intent.Length == (uint)YamuxGoAwayCode.Normal:
                return codec.Seal(destination, GomuxConstants.SessionStreamId, GomuxFrameType.CloseMux, 0, default);

            default:
                return 0;
        }
    }

    /// <summary>gomux only: tells the peer this side reads no more of a stream (a local CloseRead sends CloseWrite).</summary>
    internal void EnqueueGomuxReadClose(uint streamId)
    {
        lock (_outLock)
        {
            if (_outClosed)
            {
                return;
            }

            EnsureOutCapacity(GomuxConstants.MinFrameSize);
            _outLength += _gomux!.Seal(_outBuffer.AsSpan(_outLength), streamId, GomuxFrameType.CloseWrite, 0, default);
            _outSignal.Set();
        }
    }

    //  Reading: the same PipeReader loop as yamux, with the gomux codec. Each frame is authenticated and
    //  decrypted into one scratch buffer, then handed to the stream as a yamux-shaped intent.

    /// <summary>The gomux read loop: frames until the connection ends, CloseMux, or a bad frame.</summary>
    private async Task ReadGomuxLoopAsync()
    {
        PipeReader reader = PipeReader.Create(_transport, new StreamPipeReaderOptions(
            bufferSize: _options.ReadBufferSize,
            minimumReadSize: Math.Min(4096, _options.ReadBufferSize),
            leaveOpen: true));
        byte[] plaintext = ArrayPool<byte>.Shared.Rent(GomuxConstants.MaxLength);
        long frames = 0;
        _deferWakeups = true;
        try
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync(_abortCts.Token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                try
                {
                    while (true)
                    {
                        if (frames == 0 || buffer.Length < GomuxConstants.HeaderSize)
                        {
                            CheckGomuxPrefix(buffer, frames);
                        }

                        if (buffer.Length < GomuxConstants.HeaderSize)
                        {
                            // CheckGomuxPrefix judged what it could before the whole header is here: a yamux peer's
                            // 12-byte frames would otherwise leave us waiting for 36 bytes that never come.
                            break;
                        }

                        if (!GomuxCodec.TryReadHeader(buffer, out GomuxHeader next, acceptOversizedWindowUpdate: true))
                        {
                            break;
                        }

                        // Judge a Data frame's length against the stream's window by its header alone.
                        if (next.Type == GomuxFrameType.Data)
                        {
                            CheckGomuxDataLength(next);
                        }

                        if (!_gomux!.TryReadFrame(ref buffer, plaintext, out GomuxHeader header, out int length))
                        {
                            break;
                        }

                        frames++;
                        if (!HandleGomuxFrame(header, new ReadOnlySequence<byte>(plaintext, 0, length)))
                        {
                            return;
                        }
                    }

                    if (result.IsCompleted || result.IsCanceled)
                    {
                        if (buffer.Length > 0 && !IsShutDown)
                        {
                            Shutdown(new MuxException(MuxError.ConnectionLost, $"the connection ended in the middle of a gomux frame ({buffer.Length} bytes of it received): the frame was truncated"), goAway: null);
                        }
                        else
                        {
                            // gomux's Mux.Close may close the socket before its CloseMux is written: EOF at a
                            // frame boundary is the end of the session.
                            OnConnectionEnded(null);
                        }

                        return;
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }

                // As in the yamux loop: the last waiter this buffer woke runs here, and the loop goes on here.
                if (TakeWakeups() is { } last)
                {
                    await new ReaderHandOff(this, last);
                }
            }
        }
        catch (GomuxFormatException e)
        {
            Shutdown(new MuxException(MuxError.ProtocolError, DescribeGomuxFailure(e, frames)), YamuxGoAwayCode.ProtocolError);
        }
        catch (MuxProtocolException e)
        {
            Shutdown(new MuxException(e.Error, $"protocol error from the gomux peer: {e.Message}"), e.Code);
        }
        catch (Exception e)
        {
            OnConnectionEnded(e);
        }
        finally
        {
            WakeDeferred();
            ArrayPool<byte>.Shared.Return(plaintext, clearArray: true);
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Checks the first 12 header bytes (id, length, flags) as soon as they are buffered.</summary>
    private static void CheckGomuxPrefix(in ReadOnlySequence<byte> buffer, long frames)
    {
        if (buffer.Length < 12)
        {
            return;
        }

        Span<byte> raw = stackalloc byte[12];
        buffer.Slice(0, 12).CopyTo(raw);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(raw[4..]);
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(raw[8..]);
        bool valid = flags <= (uint)GomuxFrameType.CloseMux
            && (length <= GomuxConstants.MaxLength || flags == (uint)GomuxFrameType.WindowUpdate)
            && (length == 0 || flags is (uint)GomuxFrameType.Data or (uint)GomuxFrameType.WindowUpdate);
        if (!valid)
        {
            throw new GomuxFormatException(frames == 0 && LooksLikeYamux(raw)
                ? YamuxFromGomuxPeer
                : $"invalid gomux frame header (length {length}, flags {flags})");
        }
    }

    private const string YamuxFromGomuxPeer =
        "the peer sent yamux frames, not gomux: set the same mux dialect on both sides (this session speaks gomux)";

    /// <summary>A clear message for a frame that cannot be accepted, naming the likely cause.</summary>
    private static string DescribeGomuxFailure(GomuxFormatException e, long goodFrames)
    {
        if (goodFrames == 0)
        {
            if (e.Message.StartsWith("frame authentication failed", StringComparison.Ordinal))
            {
                return "the peer's first gomux frame failed authentication: the peers use different pre-shared keys "
                    + "(or the peer does not speak gomux); give both sides the same key";
            }

            return e.Message == YamuxFromGomuxPeer
                ? e.Message
                : $"the peer's first frame is not a valid gomux frame ({e.Message}): it probably speaks another protocol or mux dialect; set the same dialect on both sides";
        }

        return e.Message.StartsWith("frame authentication failed", StringComparison.Ordinal)
            ? $"a gomux frame failed authentication after {goodFrames} good ones: it was tampered with or corrupted in transit"
            : $"protocol error from the gomux peer: {e.Message}";
    }

    /// <summary>Whether 12 bytes read as a plausible yamux header (version 0, a known type, known flags).</summary>
    internal static bool LooksLikeYamux(ReadOnlySpan<byte> raw) =>
        raw.Length >= YamuxConstants.HeaderSize
        && raw[0] == YamuxConstants.Version
        && raw[1] <= (byte)YamuxFrameType.GoAway
        && BinaryPrimitives.ReadUInt16BigEndian(raw[2..]) <= 0xF;

    /// <summary>Whether the buffered bytes read as a plausible gomux frame header (flags ≤ 7, length ≤ 64 KiB or a WindowUpdate).</summary>
    internal static bool LooksLikeGomux(in ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length < GomuxConstants.HeaderSize)
        {
            return false;
        }

        Span<byte> raw = stackalloc byte[12];
        buffer.Slice(0, 12).CopyTo(raw);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(raw[4..]);
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(raw[8..]);
        return flags <= (uint)GomuxFrameType.CloseMux && (length <= GomuxConstants.MaxLength || flags == (uint)GomuxFrameType.WindowUpdate);
    }

    private void CheckGomuxDataLength(in GomuxHeader header)
    {
        MuxStream? stream;
        lock (_streamsLock)
        {
            _streams.TryGetValue(header.StreamId, out stream);
        }

        if (stream is not null && header.Length > stream.ReceiveCredit)
        {
            throw new MuxProtocolException($"data frame of {header.Length} bytes on stream {header.StreamId} exceeds its receive window ({stream.ReceiveCredit} bytes left)");
        }
    }

    /// <summary>Dispatches one authenticated gomux frame; false when the session ended (CloseMux).</summary>
    private bool HandleGomuxFrame(in GomuxHeader header, in ReadOnlySequence<byte> payload)
    {
        uint id = header.StreamId;
        switch (header.Type)
        {
            case GomuxFrameType.Keepalive:
                return true;

            case GomuxFrameType.CloseMux:
                // The peer ends the session and expects no reply; what streams already received stays readable.
                _remoteGoAway = true;
                Shutdown(new MuxException(MuxError.RemoteClosed, "the peer closed the mux gracefully (gomux CloseMux)"), goAway: null);
                return false;

            case GomuxFrameType.OpenStream:
                OnRemoteOpen(id);
                return true;
        }

        MuxStream? stream;
        lock (_streamsLock)
        {
            _streams.TryGetValue(id, out stream);
        }

        if (stream is null)
        {
            // As gomux does: frames for an unknown or closed stream are ignored.
            return true;
        }

        switch (header.Type)
        {
            case GomuxFrameType.Data:
                Interlocked.Add(ref _bytesReceived, header.Length);
                stream.OnFrame(new YamuxHeader(YamuxFrameType.Data, YamuxFlags.None, id, header.Length), payload);
                break;
            case GomuxFrameType.WindowUpdate:
                stream.OnFrame(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.None, id, header.Length), default);
                break;
            case GomuxFrameType.CloseRead:
                // The peer's CloseWrite: it sends no more, so our reads end after what is buffered.
                stream.OnFrame(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Fin, id, 0), default);
                break;
            case GomuxFrameType.CloseWrite:
                // The peer's CloseRead: it reads no more, so our writes fail.
                stream.OnPeerClosed(wholeStream: false);
                break;
            case GomuxFrameType.CloseStream:
                stream.OnPeerClosed(wholeStream: true);
                break;
        }

        return true;
    }
}
