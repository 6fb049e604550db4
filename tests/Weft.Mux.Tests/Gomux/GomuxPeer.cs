using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Weft.Mux.Protocol;

namespace Weft.Mux.Tests.Gomux;

/// <summary>One frame a Weft session sent, decrypted by the test.</summary>
internal sealed record GomuxFrame(GomuxHeader Header, byte[] Payload)
{
    public GomuxFrameType Type => Header.Type;

    public uint Id => Header.StreamId;

    public override string ToString() => $"{Type}({Id}, {Header.Length})";
}

/// <summary>
/// The remote side of a gomux session, played frame by frame over loopback TCP: sends raw bytes (captured
/// frames or frames it seals itself) and decodes everything the session sends in the background, tracking
/// the send credit the session grants per stream.
/// </summary>
internal sealed class GomuxPeer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly GomuxFrameCodec _codec;
    private readonly Channel<GomuxFrame> _frames = Channel.CreateUnbounded<GomuxFrame>();
    private readonly Dictionary<uint, long> _credit = [];
    private readonly Task _receive;

    private GomuxPeer(Socket socket, string psk)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _codec = new GomuxFrameCodec(psk) { AcceptOversizedWindowUpdates = true };
        _receive = ReceiveLoopAsync();
    }

    /// <summary>Every frame the session sent, in order (filled as they arrive).</summary>
    public List<GomuxFrame> Received { get; } = [];

    /// <summary>How the session's byte stream ended: null while open, else "eof" or the error.</summary>
    public string? End { get; private set; }

    public GomuxFrameCodec Codec => _codec;

    /// <summary>Connects a gomux session (in the given role) to a new peer that speaks <paramref name="peerPsk"/>.</summary>
    public static async Task<(MuxSession Session, GomuxPeer Peer)> StartAsync(bool isClient, string psk, string? peerPsk = null, MuxOptions? options = null)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var a = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Task<Socket> accept = listener.AcceptAsync();
        await a.ConnectAsync(listener.LocalEndPoint!);
        Socket b = await accept;
        b.NoDelay = true;
        options ??= new MuxOptions();
        options.Dialect = MuxDialect.Gomux(psk);
        if (options.TimeProvider == TimeProvider.System)
        {
            options.KeepAliveInterval = Timeout.InfiniteTimeSpan;
        }

        var session = new MuxSession(new NetworkStream(a, ownsSocket: true), isClient, options);
        return (session, new GomuxPeer(b, peerPsk ?? psk));
    }

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>Seals and sends one frame with this peer's key.</summary>
    public Task SendAsync(GomuxFrameType type, uint id, uint length = 0, byte[]? payload = null)
    {
        var writer = new ArrayBufferWriter<byte>();
        _codec.WriteFrame(writer, id, type, length, payload ?? []);
        return SendRawAsync(writer.WrittenMemory);
    }

    public Task SendDataAsync(uint id, byte[] payload) => SendAsync(GomuxFrameType.Data, id, (uint)payload.Length, payload);

    /// <summary>Send credit the session has granted on <paramref name="id"/> (window updates received so far, initial window included).</summary>
    public long Credit(uint id)
    {
        lock (_credit)
        {
            return GomuxConstants.InitialWindow + _credit.GetValueOrDefault(id);
        }
    }

    /// <summary>The next frame that is not a WindowUpdate (those are only counted); fails at EOF.</summary>
    public async Task<GomuxFrame> ExpectAsync(CancellationToken cancellationToken)
    {
        while (await _frames.Reader.WaitToReadAsync(cancellationToken))
        {
            if (_frames.Reader.TryRead(out GomuxFrame? frame) && frame.Type != GomuxFrameType.WindowUpdate)
            {
                return frame;
            }
        }

        Assert.Fail($"the session's byte stream ended ({End}) before the expected frame; received: {string.Join(", ", Received)}");
        return null!;
    }

    /// <summary>Waits until the session has granted at least <paramref name="credit"/> bytes in all on <paramref name="id"/>.</summary>
    public async Task WaitForCreditAsync(uint id, long credit, CancellationToken cancellationToken)
    {
        while (Credit(id) < credit)
        {
            Assert.Null(End);
            await Task.Delay(5, cancellationToken);
        }
    }

    /// <summary>Waits until the session closed its side of the connection; returns how it ended.</summary>
    public async Task<string> WaitForEndAsync(CancellationToken cancellationToken)
    {
        await _receive.WaitAsync(cancellationToken);
        return End!;
    }

    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        try
        {
            await _receive;
        }
        catch (Exception)
        {
            // Closing the socket ends the loop either way.
        }

        _codec.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        await Task.Yield();
        PipeReader reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        try
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync();
                ReadOnlySequence<byte> buffer = result.Buffer;
                var payload = new ArrayBufferWriter<byte>();
                while (_codec.TryReadFrame(ref buffer, payload, out GomuxHeader header))
                {
                    var frame = new GomuxFrame(header, payload.WrittenSpan.ToArray());
                    payload.Clear();
                    if (header.Type == GomuxFrameType.WindowUpdate)
                    {
                        lock (_credit)
                        {
                            _credit[header.StreamId] = _credit.GetValueOrDefault(header.StreamId) + header.Length;
                        }
                    }

                    lock (Received)
                    {
                        Received.Add(frame);
                    }

                    _frames.Writer.TryWrite(frame);
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    End = buffer.Length == 0 ? "eof" : $"eof inside a frame ({buffer.Length} bytes)";
                    return;
                }
            }
        }
        catch (Exception e)
        {
            End = $"{e.GetType().Name}: {e.Message}";
        }
        finally
        {
            _frames.Writer.TryComplete();
            await reader.CompleteAsync();
        }
    }
}
