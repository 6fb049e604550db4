using System.Buffers;
using Weft.Mux.Protocol;
using Weft.Testing;

namespace Weft.Mux.Tests.Fuzz;

/// <summary>
/// The exact bytes a real client <see cref="MuxSession"/> sends during a session that uses every frame the
/// engine produces: SYN, data, window updates, half-close, reset, pings and their answers, GoAway.
/// Captured once per test run through a <see cref="RecordingStream"/> over an in-memory connection.
/// </summary>
internal static class SessionCapture
{
    private static readonly Lazy<Task<byte[]>> s_capture = new(() => Task.Run(CaptureAsync));

    /// <summary>Options without keepalives, so a test's timing never depends on a timer.</summary>
    public static MuxOptions QuietOptions() => new()
    {
        KeepAliveInterval = Timeout.InfiniteTimeSpan,
        CloseFlushTimeout = TimeSpan.FromSeconds(2),
        StreamCloseTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>The captured client-to-server bytes.</summary>
    public static Task<byte[]> GetAsync(CancellationToken cancellationToken) => s_capture.Value.WaitAsync(cancellationToken);

    /// <summary>Splits bytes into whole frames (header plus payload); throws if they are not a clean frame sequence.</summary>
    public static List<byte[]> SplitFrames(byte[] bytes)
    {
        var frames = new List<byte[]>();
        var buffer = new ReadOnlySequence<byte>(bytes);
        long offset = 0;
        while (YamuxCodec.TryReadFrame(ref buffer, uint.MaxValue, out _, out _))
        {
            long end = bytes.Length - buffer.Length;
            frames.Add(bytes[(int)offset..(int)end]);
            offset = end;
        }

        if (buffer.Length != 0)
        {
            throw new InvalidOperationException($"{buffer.Length} bytes after the last whole frame");
        }

        return frames;
    }

    private static async Task<byte[]> CaptureAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        CancellationToken ct = timeout.Token;
        var (clientEnd, serverEnd) = InMemoryDuplex.CreatePair();
        var recorder = new RecordingStream(clientEnd);
        MuxSession client = MuxSession.CreateClient(recorder, QuietOptions());
        MuxSession server = MuxSession.CreateServer(serverEnd, QuietOptions());
        try
        {
            Task serving = ServeAsync(server, ct);

            // Stream 1: data in two frames (more than the 64 KiB frame size), FIN, then a 400 KiB answer (more than
            // the 256 KiB window), which makes the client send window updates.
            MuxStream one = await client.OpenStreamAsync(ct);
            await one.WriteAsync("hello"u8.ToArray(), ct);
            await one.WriteAsync(new byte[70 * 1024], ct);
            one.CompleteWrites();

            // The server pings the client: the capture holds the client's Ping ACK.
            await server.PingAsync(ct);

            // Stream 3: a little data, a client ping in the middle, FIN.
            MuxStream three = await client.OpenStreamAsync(ct);
            await three.WriteAsync(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, ct);
            await client.PingAsync(ct);
            three.CompleteWrites();

            // Stream 5: one byte, then a reset (RST).
            MuxStream five = await client.OpenStreamAsync(ct);
            await five.WriteAsync(new byte[] { 0x55 }, ct);
            five.Abort(MuxAbortDirection.Both);

            // Stream 7: opened and half-closed at once, no data.
            MuxStream seven = await client.OpenStreamAsync(ct);
            seven.CompleteWrites();

            Assert.Equal(400 * 1024, await DrainAsync(one, ct));
            Assert.Equal(10, await DrainAsync(three, ct));
            Assert.Equal(0, await DrainAsync(seven, ct));

            await client.PingAsync(ct);
            await client.GoAwayAsync(ct);
            await client.PingAsync(ct);
            await one.DisposeAsync();
            await three.DisposeAsync();
            await five.DisposeAsync();
            await seven.DisposeAsync();
            await client.DisposeAsync();
            await serving.WaitAsync(ct);
            return recorder.ToArray();
        }
        finally
        {
            await client.DisposeAsync();
            await server.DisposeAsync();
        }
    }

    private static async Task ServeAsync(MuxSession server, CancellationToken ct)
    {
        var handlers = new List<Task>();
        try
        {
            while (true)
            {
                MuxStream stream = await server.AcceptStreamAsync(ct);
                handlers.Add(Task.Run(() => AnswerAsync(stream, ct), ct));
            }
        }
        catch (MuxException)
        {
            // The client closed the session.
        }

        await Task.WhenAll(handlers);
    }

    private static async Task AnswerAsync(MuxStream stream, CancellationToken ct)
    {
        await using (stream)
        {
            try
            {
                int received = await DrainAsync(stream, ct);
                int answer = stream.Id == 1 ? 400 * 1024 : received;
                await stream.WriteAsync(new byte[answer], ct);
                stream.CompleteWrites();
            }
            catch (MuxException)
            {
                // Stream 5 is reset by the client.
            }
        }
    }

    private static async Task<int> DrainAsync(Stream stream, CancellationToken ct)
    {
        byte[] buffer = new byte[16 * 1024];
        int total = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer, ct)) > 0)
        {
            total += n;
        }

        return total;
    }
}
