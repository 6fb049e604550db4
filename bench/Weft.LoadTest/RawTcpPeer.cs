using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;

namespace Weft.LoadTest;

/// <summary>
/// The raw TCP baseline as a peer program with the interop peers' command line: every "stream" is its own
/// TCP connection, half-closed with shutdown(SHUT_WR) where a mux stream sends FIN. The client does the
/// same work as the peers' clients (pattern, SHA-256 of what was sent and of the echo).
/// </summary>
internal static class RawTcpPeer
{
    private const string Impl = Report.Raw;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("raw-peer server|client|rtt|openclose --listen/--connect HOST:PORT ...");
            return 2;
        }

        Dictionary<string, string> options = [];
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            options[args[i]] = args[i + 1];
        }

        long Long(string name, long fallback) => options.TryGetValue(name, out string? text) ? long.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : fallback;
        IPEndPoint Endpoint(string name) => IPEndPoint.Parse(options[name]);

        return args[0] switch
        {
            "server" => await ServeAsync(Endpoint("--listen")),
            "client" => await ClientAsync(Endpoint("--connect"), (int)Long("--streams", 1), Long("--bytes", 1 << 20)),
            "rtt" => await RttAsync(Endpoint("--connect"), (int)Long("--count", 1000), (int)Long("--size", 64)),
            "openclose" => await OpenCloseAsync(Endpoint("--connect"), (int)Long("--count", 1000)),
            _ => 2,
        };
    }

    private static async Task<int> ServeAsync(IPEndPoint endpoint)
    {
        using var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(endpoint);
        listener.Listen(1024);
        Console.WriteLine($"listening {listener.LocalEndPoint}");
        using var stop = new CancellationTokenSource();

        // Serve until standard input ends (the harness went away), as the other peers do.
        var watcher = new Thread(() =>
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
        { IsBackground = true };
        watcher.Start();

        try
        {
            while (true)
            {
                Socket socket = await listener.AcceptAsync(stop.Token);
                socket.NoDelay = true;
                _ = EchoAsync(socket);
            }
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
    }

    private static async Task EchoAsync(Socket socket)
    {
        var buffer = new byte[Pattern.ChunkSize];
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
            }

            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }

    private static async Task<int> ClientAsync(IPEndPoint endpoint, int streams, long bytes)
    {
        var clock = Stopwatch.StartNew();
        string? error = null;
        try
        {
            bool[] ok = await Task.WhenAll(Enumerable.Range(0, streams).Select(k => RunConnectionAsync(endpoint, k, bytes)));
            if (ok.Any(x => !x))
            {
                error = $"{ok.Count(x => !x)} of {streams} connections echoed different bytes";
            }
        }
        catch (SocketException e)
        {
            error = e.Message;
        }

        double seconds = clock.Elapsed.TotalSeconds;
        Emit(new { impl = Impl, op = "client", ok = error is null, streams, bytes, seconds, mbps = streams * bytes * 8 / seconds / 1e6, ping_us = -1, error });
        return error is null ? 0 : 1;
    }

    private static async Task<bool> RunConnectionAsync(IPEndPoint endpoint, int k, long bytes)
    {
        using Socket socket = await ConnectAsync(endpoint);
        using var sent = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Task<long> reader = Task.Run(async () =>
        {
            var buffer = new byte[Pattern.ChunkSize];
            long total = 0;
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                received.AppendData(buffer, 0, n);
                total += n;
            }

            return total;
        });

        var pattern = new Pattern(k);
        for (long offset = 0; offset < bytes; offset += Pattern.ChunkSize)
        {
            ReadOnlyMemory<byte> chunk = pattern.Slice(offset, (int)Math.Min(Pattern.ChunkSize, bytes - offset));
            sent.AppendData(chunk.Span);
            while (!chunk.IsEmpty)
            {
                chunk = chunk[await socket.SendAsync(chunk, SocketFlags.None)..];
            }
        }

        socket.Shutdown(SocketShutdown.Send);
        long got = await reader;
        return got == bytes && sent.GetHashAndReset().AsSpan().SequenceEqual(received.GetHashAndReset());
    }

    private static async Task<int> RttAsync(IPEndPoint endpoint, int count, int size)
    {
        using Socket socket = await ConnectAsync(endpoint);
        var message = new byte[size];
        var echo = new byte[size];
        var samples = new double[count];
        for (int i = -Math.Min(100, count); i < count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await socket.SendAsync(message, SocketFlags.None);
            for (int got = 0; got < size;)
            {
                int n = await socket.ReceiveAsync(echo.AsMemory(got), SocketFlags.None);
                got += n > 0 ? n : throw new IOException("the echo ended early");
            }

            if (i >= 0)
            {
                samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
        }

        socket.Shutdown(SocketShutdown.Send);
        Array.Sort(samples);
        Emit(new { impl = Impl, op = "rtt", ok = true, count, size, p50_us = samples[count / 2], p99_us = samples[Math.Min(count - 1, count * 99 / 100)], mean_us = samples.Average() });
        return 0;
    }

    private static async Task<int> OpenCloseAsync(IPEndPoint endpoint, int count)
    {
        var one = new byte[1];
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            using Socket socket = await ConnectAsync(endpoint);
            await socket.SendAsync(one, SocketFlags.None);
            socket.Shutdown(SocketShutdown.Send);
            while (await socket.ReceiveAsync(one, SocketFlags.None) > 0)
            {
            }
        }

        double seconds = clock.Elapsed.TotalSeconds;
        Emit(new { impl = Impl, op = "openclose", ok = true, count, seconds, per_second = count / seconds });
        return 0;
    }

    private static async Task<Socket> ConnectAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endpoint);
        return socket;
    }

    private static void Emit(object value) => Console.WriteLine(JsonSerializer.Serialize(value));
}
