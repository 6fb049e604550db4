using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Weft.Mux;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft demo</c>: runs Weft end to end on loopback with nothing to set up — a mux server and a mux
/// client over real TCP, many concurrent streams, every byte checked by SHA-256 — and prints what it did.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var streams = new Option<int>("--streams")
        {
            Description = "Concurrent streams to open",
            DefaultValueFactory = _ => 64,
        };
        var bytes = new Option<string>("--bytes")
        {
            Description = "Bytes each stream sends (and gets echoed back), e.g. 4MiB, 512KiB, 1GiB",
            DefaultValueFactory = _ => "4MiB",
        };
        var command = new Command("demo", """
            Runs the whole chain on loopback and verifies it: a yamux server and client over TCP, many
            concurrent streams, each sending random data that the server echoes; every stream's bytes are
            checked by SHA-256 in both directions. Exit code 0 when everything matched.

            Examples:
              weft demo
              weft demo --streams 8 --bytes 64MiB
            """);
        command.Options.Add(streams);
        command.Options.Add(bytes);
        command.SetAction(async (parse, cancellationToken) =>
        {
            int count = parse.GetValue(streams);
            string sizeText = parse.GetValue(bytes)!;
            if (count is < 1 or > 4096)
            {
                await Console.Error.WriteLineAsync("weft demo: --streams must be between 1 and 4096").ConfigureAwait(false);
                return 2;
            }

            if (!ByteSize.TryParse(sizeText, out long size) || size < 1)
            {
                await Console.Error.WriteLineAsync($"weft demo: --bytes '{sizeText}' is not a size (examples: 4MiB, 512KiB, 100000)").ConfigureAwait(false);
                return 2;
            }

            return await RunAsync(count, size, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(int streamCount, long bytesPerStream, CancellationToken cancellationToken)
    {
        var output = Console.Out;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = (IPEndPoint)listener.LocalEndpoint;
        await output.WriteLineAsync($"weft demo: yamux server listening on {endpoint}").ConfigureAwait(false);

        Task<TcpClient> accepting = listener.AcceptTcpClientAsync(cancellationToken).AsTask();
        var clientTcp = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
        await clientTcp.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
        TcpClient serverTcp = await accepting.ConfigureAwait(false);
        serverTcp.NoDelay = true;

        MuxSession server = MuxSession.CreateServer(serverTcp.GetStream());
        await using var serverScope = server.ConfigureAwait(false);
        MuxSession client = MuxSession.CreateClient(clientTcp.GetStream());
        await using var clientScope = client.ConfigureAwait(false);
        await output.WriteLineAsync($"weft demo: client connected from {clientTcp.Client.LocalEndPoint}; one TCP connection, one yamux session each side").ConfigureAwait(false);

        TimeSpan rtt = await client.PingAsync(cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"weft demo: ping {rtt.TotalMicroseconds:0} µs")).ConfigureAwait(false);

        Task echo = EchoAllAsync(server, cancellationToken);
        await output.WriteLineAsync($"weft demo: opening {streamCount} streams, {ByteSize.Format(bytesPerStream)} each way on each, SHA-256 checked").ConfigureAwait(false);

        var clock = Stopwatch.StartNew();
        long moved = 0;
        using var progress = new Timer(_ => Console.Error.Write(string.Create(CultureInfo.InvariantCulture, $"\r  {ByteSize.Format(Interlocked.Read(ref moved))} of {ByteSize.Format(2.0 * streamCount * bytesPerStream)}   ")), null, 500, 500);
        StreamResult[] results = await Task.WhenAll(Enumerable.Range(0, streamCount)
            .Select(i => RunStreamAsync(client, bytesPerStream, n => Interlocked.Add(ref moved, n), cancellationToken))).ConfigureAwait(false);
        TimeSpan elapsed = clock.Elapsed;
        await progress.DisposeAsync().ConfigureAwait(false);
        Console.Error.Write("\r" + new string(' ', 60) + "\r");

        int good = results.Count(r => r.Ok);
        double total = 2.0 * streamCount * bytesPerStream;
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync($"  streams             {streamCount} ({good} verified, {streamCount - good} failed)").ConfigureAwait(false);
        await output.WriteLineAsync($"  moved               {ByteSize.Format(total)} ({ByteSize.Format(total / 2)} each way)").ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  time                {elapsed.TotalSeconds:0.00} s")).ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  throughput          {ByteSize.Format(total / elapsed.TotalSeconds)}/s (both directions together)")).ConfigureAwait(false);
        await output.WriteLineAsync($"  sample stream       {results[0].Digest[..16]}… sent = echoed").ConfigureAwait(false);
        await output.WriteLineAsync($"  session             {client.StreamCount} streams left open, {ByteSize.Format(client.BytesSent)} sent, {ByteSize.Format(client.BytesReceived)} received").ConfigureAwait(false);

        foreach (StreamResult failure in results.Where(r => !r.Ok).Take(5))
        {
            await output.WriteLineAsync($"  FAILED: {failure.Error}").ConfigureAwait(false);
        }

        await client.DisposeAsync().ConfigureAwait(false);
        await echo.ConfigureAwait(false);
        await output.WriteLineAsync(good == streamCount ? "weft demo: OK — every byte arrived intact" : "weft demo: FAILED").ConfigureAwait(false);
        return good == streamCount ? 0 : 1;
    }

    private static async Task EchoAllAsync(MuxSession server, CancellationToken cancellationToken)
    {
        var running = new List<Task>();
        try
        {
            while (true)
            {
                MuxStream stream = await server.AcceptStreamAsync(cancellationToken).ConfigureAwait(false);
                running.Add(EchoAsync(stream, cancellationToken));
            }
        }
        catch (MuxException)
        {
            // The client closed the session: the demo is over.
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private static async Task EchoAsync(MuxStream stream, CancellationToken cancellationToken)
    {
        await using (stream.ConfigureAwait(false))
        {
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            }

            stream.CompleteWrites();
        }
    }

    private static async Task<StreamResult> RunStreamAsync(MuxSession session, long bytes, Action<long> onMoved, CancellationToken cancellationToken)
    {
        try
        {
            MuxStream stream = await session.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                using var sent = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                using var received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                Task<long> reading = Task.Run(async () =>
                {
                    byte[] buffer = new byte[64 * 1024];
                    long total = 0;
                    int n;
                    while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        received.AppendData(buffer, 0, n);
                        total += n;
                        onMoved(n);
                    }

                    return total;
                }, cancellationToken);

                byte[] chunk = new byte[64 * 1024];
                for (long offset = 0; offset < bytes; offset += chunk.Length)
                {
                    int n = (int)Math.Min(chunk.Length, bytes - offset);
                    RandomNumberGenerator.Fill(chunk.AsSpan(0, n));
                    sent.AppendData(chunk, 0, n);
                    await stream.WriteAsync(chunk.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                    onMoved(n);
                }

                stream.CompleteWrites();
                long echoed = await reading.ConfigureAwait(false);
                byte[] a = sent.GetHashAndReset();
                byte[] b = received.GetHashAndReset();
                bool ok = echoed == bytes && a.AsSpan().SequenceEqual(b);
                return new StreamResult(ok, Convert.ToHexStringLower(a), ok ? null : $"stream {stream.Id}: sent {bytes} bytes, {echoed} came back, digests {(a.AsSpan().SequenceEqual(b) ? "equal" : "differ")}");
            }
        }
        catch (IOException e)
        {
            return new StreamResult(false, new string('0', 64), e.Message);
        }
    }

    private sealed record StreamResult(bool Ok, string Digest, string? Error);
}
