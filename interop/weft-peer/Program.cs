// Weft's own peer program: the same command line as the Go and JS peers in interop/, so that any
// yamux implementation can be pointed at Weft and Weft at any of them. See interop/README.md.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Weft.Mux;

return await PeerMain.RunAsync(args);

internal static class PeerMain
{
    private const string Usage = """
        weft-peer: Weft's yamux peer for interop tests and benchmarks

          weft-peer server --listen HOST:PORT [--reset-after BYTES]
              echo every accepted stream; prints 'listening HOST:PORT', then one JSON line per finished stream
          weft-peer client --connect HOST:PORT --streams N --bytes B
              N concurrent streams, B bytes each, half-close, SHA-256 of the echo; one JSON line
          weft-peer rtt --connect HOST:PORT --count K --size S
              K round trips of S bytes on one stream; p50/p99 in microseconds
          weft-peer openclose --connect HOST:PORT --count K
              K sequential open, 1 byte, half-close, read to EOF, close; streams per second
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        var options = ParseOptions(args.AsSpan(1));
        try
        {
            return args[0] switch
            {
                "server" => await ServeAsync(Endpoint(options, "--listen"), Long(options, "--reset-after", -1)),
                "client" => await ClientAsync(Endpoint(options, "--connect"), (int)Long(options, "--streams", 1), Long(options, "--bytes", 1 << 20)),
                "rtt" => await RttAsync(Endpoint(options, "--connect"), (int)Long(options, "--count", 1000), (int)Long(options, "--size", 64)),
                "openclose" => await OpenCloseAsync(Endpoint(options, "--connect"), (int)Long(options, "--count", 1000)),
                _ => throw new ArgumentException($"unknown command '{args[0]}'"),
            };
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"weft-peer: {e.Message}\n\n{Usage}");
            return 2;
        }
    }

    private static async Task<int> ServeAsync(IPEndPoint endpoint, long resetAfter)
    {
        var listener = new TcpListener(endpoint);
        listener.Start();
        Console.WriteLine($"listening {listener.LocalEndpoint}");
        using var stop = new CancellationTokenSource();
        // Serve until standard input reaches EOF (the parent went away) or we are killed. A dedicated thread:
        // a blocking read on a thread-pool thread would starve the pool on a 2-core machine.
        var stdinWatcher = new Thread(() =>
        {
            try
            {
                while (Console.In.Read() != -1)
                {
                }
            }
            catch (IOException)
            {
            }

            stop.Cancel();
        })
        { IsBackground = true, Name = "stdin watcher" };
        stdinWatcher.Start();

        var sessions = new List<Task>();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                TcpClient tcp = await listener.AcceptTcpClientAsync(stop.Token);
                tcp.NoDelay = true;
                sessions.Add(ServeSessionAsync(MuxSession.CreateServer(tcp.GetStream()), resetAfter));
            }
        }
        catch (OperationCanceledException)
        {
        }

        listener.Stop();
        return 0;
    }

    private static async Task ServeSessionAsync(MuxSession session, long resetAfter)
    {
        await using (session)
        {
            while (true)
            {
                MuxStream stream;
                try
                {
                    stream = await session.AcceptStreamAsync();
                }
                catch (MuxException)
                {
                    return;
                }

                _ = EchoAsync(stream, resetAfter);
            }
        }
    }

    private static async Task EchoAsync(MuxStream stream, long resetAfter)
    {
        long total = 0;
        string result = "eof";
        string? resetBy = null;
        string? error = null;
        var buffer = new byte[64 * 1024];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0)
            {
                total += n;
                if (resetAfter >= 0 && total >= resetAfter)
                {
                    stream.Abort(MuxAbortDirection.Both);
                    result = "reset";
                    resetBy = "local";
                    break;
                }

                await stream.WriteAsync(buffer.AsMemory(0, n));
            }

            if (result == "eof")
            {
                stream.CompleteWrites();
            }
        }
        catch (MuxException e)
        {
            result = e.Error == MuxError.StreamReset ? "reset" : "error";
            resetBy = e.Error == MuxError.StreamReset ? "remote" : null;
            error = e.Message;
        }
        finally
        {
            await stream.DisposeAsync();
        }

        Emit(new { @event = "stream", id = stream.Id, bytes = total, result, reset_by = resetBy, error });
    }

    private static async Task<int> ClientAsync(IPEndPoint endpoint, int streams, long bytes)
    {
        await using MuxSession session = await ConnectAsync(endpoint);
        var clock = Stopwatch.StartNew();
        string? error = null;
        long pingUs = -1;
        try
        {
            pingUs = (long)(await session.PingAsync()).TotalMicroseconds;
            bool[] ok = await Task.WhenAll(Enumerable.Range(0, streams).Select(k => RunStreamAsync(session, k, bytes)));
            if (ok.Any(x => !x))
            {
                error = $"{ok.Count(x => !x)} of {streams} streams echoed different bytes";
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            error = e.Message;
        }

        double seconds = clock.Elapsed.TotalSeconds;
        Emit(new { impl = "weft", op = "client", ok = error is null, streams, bytes, seconds, mbps = streams * bytes * 8 / seconds / 1e6, ping_us = pingUs, error });
        return error is null ? 0 : 1;
    }

    private static async Task<bool> RunStreamAsync(MuxSession session, int k, long bytes)
    {
        await using MuxStream stream = await session.OpenStreamAsync();
        using var sent = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Task<long> reader = Task.Run(async () =>
        {
            var buffer = new byte[64 * 1024];
            long total = 0;
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0)
            {
                received.AppendData(buffer, 0, n);
                total += n;
            }

            return total;
        });

        const int ChunkSize = 64 * 1024;
        byte[] table = PatternTable(k, ChunkSize);
        for (long offset = 0; offset < bytes; offset += ChunkSize)
        {
            int n = (int)Math.Min(ChunkSize, bytes - offset);
            ReadOnlyMemory<byte> chunk = table.AsMemory((int)(offset % 251), n);
            sent.AppendData(chunk.Span);
            await stream.WriteAsync(chunk);
        }

        stream.CompleteWrites();
        long got = await reader;
        return got == bytes && sent.GetHashAndReset().AsSpan().SequenceEqual(received.GetHashAndReset());
    }

    private static async Task<int> RttAsync(IPEndPoint endpoint, int count, int size)
    {
        await using MuxSession session = await ConnectAsync(endpoint);
        await using MuxStream stream = await session.OpenStreamAsync();
        var message = new byte[size];
        var echo = new byte[size];
        var samples = new double[count];
        for (int i = -Math.Min(100, count); i < count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await stream.WriteAsync(message);
            await stream.ReadExactlyAsync(echo);
            if (i >= 0)
            {
                samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
        }

        stream.CompleteWrites();
        Array.Sort(samples);
        Emit(new { impl = "weft", op = "rtt", ok = true, count, size, p50_us = samples[count / 2], p99_us = samples[Math.Min(count - 1, count * 99 / 100)], mean_us = samples.Average() });
        return 0;
    }

    private static async Task<int> OpenCloseAsync(IPEndPoint endpoint, int count)
    {
        await using MuxSession session = await ConnectAsync(endpoint);
        var one = new byte[1];
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            await using MuxStream stream = await session.OpenStreamAsync();
            await stream.WriteAsync(one);
            stream.CompleteWrites();
            while (await stream.ReadAsync(one) > 0)
            {
            }
        }

        Emit(new { impl = "weft", op = "openclose", ok = true, count, per_second = count / clock.Elapsed.TotalSeconds });
        return 0;
    }

    private static async Task<MuxSession> ConnectAsync(IPEndPoint endpoint)
    {
        var tcp = new TcpClient(endpoint.AddressFamily) { NoDelay = true };
        await tcp.ConnectAsync(endpoint);
        return MuxSession.CreateClient(tcp.GetStream());
    }

    /// <summary>
    /// Byte i of stream k is (i*7 + k*13 + 3) mod 251, the pattern every peer in interop/ uses. It repeats
    /// every 251 bytes, so a chunk at offset o is the slice of this table that starts at o mod 251.
    /// </summary>
    private static byte[] PatternTable(int k, int chunkSize)
    {
        var table = new byte[chunkSize + 251];
        for (int i = 0; i < table.Length; i++)
        {
            table[i] = (byte)((i * 7L + k * 13L + 3) % 251);
        }

        return table;
    }

    private static void Emit(object value) => Console.WriteLine(JsonSerializer.Serialize(value));

    private static Dictionary<string, string> ParseOptions(ReadOnlySpan<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"expected '--option value', got '{args[i]}'");
            }

            options[args[i]] = args[++i];
        }

        return options;
    }

    private static IPEndPoint Endpoint(Dictionary<string, string> options, string name)
    {
        if (!options.TryGetValue(name, out string? text) || !IPEndPoint.TryParse(text, out IPEndPoint? endpoint))
        {
            throw new ArgumentException($"{name} HOST:PORT is required (an IP address and a port, e.g. 127.0.0.1:7000)");
        }

        return endpoint;
    }

    private static long Long(Dictionary<string, string> options, string name, long fallback)
    {
        if (!options.TryGetValue(name, out string? text))
        {
            return fallback;
        }

        return long.TryParse(text, out long value) ? value : throw new ArgumentException($"{name} must be a whole number, got '{text}'");
    }
}
