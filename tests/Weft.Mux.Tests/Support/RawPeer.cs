using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Weft.Mux.Protocol;

namespace Weft.Mux.Tests.Support;

/// <summary>
/// The remote side of a session, played frame by frame by a test over a real loopback TCP connection.
/// </summary>
internal sealed class RawPeer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;

    private RawPeer(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
    }

    /// <summary>Connects a session (in the given role) to a new raw peer.</summary>
    public static async Task<(MuxSession Session, RawPeer Peer)> StartAsync(bool isClient, MuxOptions? options = null, int socketBufferSize = 0)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var a = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (socketBufferSize > 0)
        {
            a.SendBufferSize = socketBufferSize;
            a.ReceiveBufferSize = socketBufferSize;
        }

        Task<Socket> accept = listener.AcceptAsync();
        await a.ConnectAsync(listener.LocalEndPoint!);
        Socket b = await accept;
        b.NoDelay = true;
        if (socketBufferSize > 0)
        {
            b.SendBufferSize = socketBufferSize;
            b.ReceiveBufferSize = socketBufferSize;
        }

        // Keepalive pings would interleave with the frames a test expects: off unless the test sets a clock for them.
        options ??= new MuxOptions();
        if (options.TimeProvider == TimeProvider.System)
        {
            options.KeepAliveInterval = Timeout.InfiniteTimeSpan;
        }
        var session = new MuxSession(new NetworkStream(a, ownsSocket: true), isClient, options);
        return (session, new RawPeer(b));
    }

    public Task SendAsync(YamuxFrameType type, YamuxFlags flags, uint streamId, uint length, byte[]? payload = null)
    {
        byte[] frame = new byte[YamuxConstants.HeaderSize + (payload?.Length ?? 0)];
        YamuxCodec.WriteHeader(frame, new YamuxHeader(type, flags, streamId, length));
        payload?.CopyTo(frame, YamuxConstants.HeaderSize);
        return SendRawAsync(frame);
    }

    public Task SendDataAsync(uint streamId, byte[] payload, YamuxFlags flags = YamuxFlags.None)
        => SendAsync(YamuxFrameType.Data, flags, streamId, (uint)payload.Length, payload);

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>Next frame from the session, or null at EOF.</summary>
    public async Task<(YamuxHeader Header, byte[] Payload)?> ReceiveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await _reader.ReadAsync(cancellationToken);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (YamuxCodec.TryReadFrame(ref buffer, uint.MaxValue, out YamuxHeader header, out ReadOnlySequence<byte> payload))
            {
                byte[] bytes = payload.ToArray();
                _reader.AdvanceTo(buffer.Start);
                return (header, bytes);
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    /// <summary>Reads frames until one matches; returns it (fails at EOF).</summary>
    public async Task<(YamuxHeader Header, byte[] Payload)> ExpectAsync(Func<YamuxHeader, bool> match, CancellationToken cancellationToken)
    {
        var seen = new List<YamuxHeader>();
        while (true)
        {
            var frame = await ReceiveAsync(cancellationToken);
            if (frame is null)
            {
                Assert.Fail($"connection closed before the expected frame; saw: {string.Join(", ", seen)}");
            }

            if (match(frame.Value.Header))
            {
                return frame.Value;
            }

            seen.Add(frame.Value.Header);
        }
    }

    /// <summary>Reads every frame until the session closes the connection.</summary>
    public async Task<List<YamuxHeader>> ReadUntilClosedAsync(CancellationToken cancellationToken)
    {
        var frames = new List<YamuxHeader>();
        try
        {
            while (await ReceiveAsync(cancellationToken) is { } frame)
            {
                frames.Add(frame.Header);
            }
        }
        catch (IOException)
        {
            // A reset counts as closed too.
        }

        return frames;
    }

    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync();
        await _stream.DisposeAsync();
    }
}
