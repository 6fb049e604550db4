using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Weft.Mux;

namespace Weft.LoadTest;

/// <summary>
/// Client and server in this process over real loopback TCP: raw TCP streams against a MuxSession pair,
/// driven by the same code. Here bulk transfer is one way (the receiver discards), and memory and
/// allocations can be counted.
/// </summary>
internal sealed class InProcessTests
{
    private const int ChunkSize = 64 * 1024;

    private readonly HarnessOptions _options;
    private readonly Report _report;
    private readonly TextWriter _log;

    public InProcessTests(HarnessOptions options, Report report, TextWriter log)
    {
        _options = options;
        _report = report;
        _log = log;
    }

    public async Task RunAsync()
    {
        using var loopback = new Loopback();

        // First, while the heap is small and quiet: working-set figures are meaningless after the bulk runs.
        if (_options.Wants("idle"))
        {
            await IdleStreamsAsync(loopback);
        }

        if (_options.Wants("bulk"))
        {
            // Warm up the JIT and the pools on both paths before anything is timed.
            await BulkAsync(loopback, mux: false, 1, 16L << 20);
            await BulkAsync(loopback, mux: true, 1, 16L << 20);
            foreach (int streams in new[] { 1, 16, 256 })
            {
                string test = $"inproc-bulk-{streams}";
                _report.Declare(test, "MiB/s", $"in-process, {streams} stream(s) (TCP: connections), {_options.BulkBytes >> 20} MiB in all one way in 64 KiB writes, receiver discards");
                await MeasureAsync(test, (Report.Raw, () => BulkAsync(loopback, mux: false, streams, _options.BulkBytes)), (Report.Weft, () => BulkAsync(loopback, mux: true, streams, _options.BulkBytes)));
            }
        }

        if (_options.Wants("rtt"))
        {
            _report.Declare("inproc-rtt64-p50", "us", $"in-process, {_options.RttCount} round trips of 64 bytes on one stream (TCP: one connection); median");
            _report.Declare("inproc-rtt64-p99", "us", "the same runs, 99th percentile");
            var p50 = new Dictionary<string, List<double>> { [Report.Raw] = [], [Report.Weft] = [] };
            var p99 = new Dictionary<string, List<double>> { [Report.Raw] = [], [Report.Weft] = [] };
            await RoundTripAsync(loopback, mux: false, 200);
            await RoundTripAsync(loopback, mux: true, 200);
            for (int rep = 0; rep < _options.Repeat; rep++)
            {
                foreach (string impl in new[] { Report.Raw, Report.Weft })
                {
                    double[] samples = await RoundTripAsync(loopback, impl == Report.Weft, _options.RttCount);
                    p50[impl].Add(samples[samples.Length / 2]);
                    p99[impl].Add(samples[Math.Min(samples.Length - 1, samples.Length * 99 / 100)]);
                    _log.WriteLine($"  inproc-rtt64  {impl,-8} {p50[impl][^1]:0.0} {p99[impl][^1]:0.0}");
                }
            }

            foreach (string impl in new[] { Report.Raw, Report.Weft })
            {
                _report.Add("inproc-rtt64-p50", impl, p50[impl]);
                _report.Add("inproc-rtt64-p99", impl, p99[impl]);
            }
        }

        if (_options.Wants("openclose"))
        {
            _report.Declare("inproc-openclose", "streams/s", $"in-process, {_options.OpenCloseCount} x (open, 1 byte, half-close, read echo to EOF, close) one after another (TCP: a connection each)");
            await OpenCloseAsync(loopback, mux: false, 100);
            await OpenCloseAsync(loopback, mux: true, 100);
            await MeasureAsync("inproc-openclose", (Report.Raw, () => OpenCloseAsync(loopback, mux: false, _options.OpenCloseCount)), (Report.Weft, () => OpenCloseAsync(loopback, mux: true, _options.OpenCloseCount)));
        }

        if (_options.Wants("alloc"))
        {
            await AllocationsAsync(loopback);
        }
    }

    private async Task MeasureAsync(string test, params (string Impl, Func<Task<double>> Run)[] impls)
    {
        var samples = impls.ToDictionary(i => i.Impl, _ => new List<double>());
        for (int rep = 0; rep < _options.Repeat; rep++)
        {
            foreach ((string impl, Func<Task<double>> run) in impls)
            {
                samples[impl].Add(await run());
                _log.WriteLine($"  {test,-18} {impl,-8} {samples[impl][^1].ToString("0.0", CultureInfo.InvariantCulture)}");
            }
        }

        foreach ((string impl, _) in impls)
        {
            _report.Add(test, impl, samples[impl]);
        }
    }

    /// <summary>One-way bulk transfer over <paramref name="streams"/> streams or connections; returns MiB/s.</summary>
    private static async Task<double> BulkAsync(Loopback loopback, bool mux, int streams, long totalBytes)
    {
        long perStream = totalBytes / streams;
        var senders = new Stream[streams];
        var receivers = new Stream[streams];
        MuxSession? client = null, server = null;
        if (mux)
        {
            (client, server) = await loopback.SessionPairAsync();
            for (int i = 0; i < streams; i++)
            {
                senders[i] = await client.OpenStreamAsync();
                receivers[i] = await server.AcceptStreamAsync();
            }
        }
        else
        {
            for (int i = 0; i < streams; i++)
            {
                (senders[i], receivers[i]) = await loopback.ConnectAsync();
            }
        }

        var clock = Stopwatch.StartNew();
        Task<long>[] received = [.. receivers.Select(r => Task.Run(() => Loopback.DiscardAsync(r)))];
        Task[] sent = [.. senders.Select(s => Task.Run(() => SendAsync(s, perStream)))];
        await Task.WhenAll(sent);
        long[] counts = await Task.WhenAll(received);
        double seconds = clock.Elapsed.TotalSeconds;

        foreach (Stream s in senders.Concat(receivers))
        {
            await s.DisposeAsync();
        }

        if (client is not null && server is not null)
        {
            await client.DisposeAsync();
            await server.DisposeAsync();
        }

        if (counts.Any(c => c != perStream))
        {
            throw new InvalidOperationException($"bulk transfer lost data: {string.Join(",", counts.Where(c => c != perStream))} != {perStream}");
        }

        return perStream * streams / seconds / (1 << 20);
    }

    private static async Task SendAsync(Stream stream, long bytes, int chunkSize = ChunkSize)
    {
        var chunk = new byte[chunkSize];
        for (long sent = 0; sent < bytes; sent += chunkSize)
        {
            await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunkSize, bytes - sent)));
        }

        Loopback.HalfClose(stream);
    }

    /// <summary>Ping-pong of 64 bytes on one stream or connection; returns the sorted samples in microseconds.</summary>
    private static async Task<double[]> RoundTripAsync(Loopback loopback, bool mux, int count)
    {
        Stream local;
        Task echo;
        MuxSession? client = null, server = null;
        if (mux)
        {
            (client, server) = await loopback.SessionPairAsync();
            local = await client.OpenStreamAsync();
            echo = Loopback.EchoAsync(await server.AcceptStreamAsync());
        }
        else
        {
            (NetworkStream c, NetworkStream s) = await loopback.ConnectAsync();
            local = c;
            echo = Loopback.EchoAsync(s);
        }

        var message = new byte[64];
        var reply = new byte[64];
        var samples = new double[count];
        for (int i = -Math.Min(100, count); i < count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await local.WriteAsync(message);
            await local.ReadExactlyAsync(reply);
            if (i >= 0)
            {
                samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
        }

        Loopback.HalfClose(local);
        await Loopback.DiscardAsync(local);
        await echo;
        await local.DisposeAsync();
        if (client is not null && server is not null)
        {
            await client.DisposeAsync();
            await server.DisposeAsync();
        }

        Array.Sort(samples);
        return samples;
    }

    /// <summary>Sequential open, 1 byte, half-close, read the echo to EOF, close; returns streams per second.</summary>
    private static async Task<double> OpenCloseAsync(Loopback loopback, bool mux, int count)
    {
        var one = new byte[1];
        using var stop = new CancellationTokenSource();
        if (mux)
        {
            (MuxSession client, MuxSession server) = await loopback.SessionPairAsync();
            Task acceptLoop = AcceptLoopAsync(server);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < count; i++)
            {
                await using MuxStream stream = await client.OpenStreamAsync();
                await stream.WriteAsync(one);
                stream.CompleteWrites();
                while (await stream.ReadAsync(one) > 0)
                {
                }
            }

            double seconds = clock.Elapsed.TotalSeconds;
            await client.DisposeAsync();
            await server.DisposeAsync();
            await acceptLoop;
            return count / seconds;
        }
        else
        {
            Task acceptLoop = TcpAcceptLoopAsync(loopback, count);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < count; i++)
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(loopback.EndPoint);
                await using var stream = new NetworkStream(socket, ownsSocket: false);
                await stream.WriteAsync(one);
                Loopback.HalfClose(stream);
                while (await stream.ReadAsync(one) > 0)
                {
                }
            }

            double seconds = clock.Elapsed.TotalSeconds;
            await acceptLoop;
            return count / seconds;
        }
    }

    private static async Task AcceptLoopAsync(MuxSession server)
    {
        var echoes = new List<Task>();
        try
        {
            while (true)
            {
                echoes.Add(Loopback.EchoAsync(await server.AcceptStreamAsync()));
            }
        }
        catch (MuxException)
        {
        }

        await Task.WhenAll(echoes);
    }

    private static async Task TcpAcceptLoopAsync(Loopback loopback, int count)
    {
        var echoes = new List<Task>(count);
        for (int i = 0; i < count; i++)
        {
            echoes.Add(Loopback.EchoAsync(await loopback.AcceptAsync(default)));
        }

        await Task.WhenAll(echoes);
    }

    /// <summary>Memory held per idle stream: both ends of an in-process pair, after a full collection.</summary>
    private async Task IdleStreamsAsync(Loopback loopback)
    {
        int n = _options.IdleStreams;
        _report.Declare("idle-heap", "B/stream", $"in-process, {n} idle streams (opened, accepted, acknowledged): GC heap growth per stream, per end (client + server) / 2");
        _report.Declare("idle-heap-pair", "B/stream", "the same: both ends of a stream together");
        _report.Declare("idle-rss", "B/stream", "the same: process working set growth per stream, per end");
        var heap = new List<double>();
        var pair = new List<double>();
        var rss = new List<double>();
        for (int rep = 0; rep < _options.Repeat; rep++)
        {
            var options = new MuxOptions { MaxInboundStreams = n + 1024, AcceptBacklog = n + 1024 };
            (MuxSession client, MuxSession server) = await loopback.SessionPairAsync(options);
            var clientStreams = new List<MuxStream>(n);
            var serverStreams = new List<MuxStream>(n);

            // Warm-up: a few streams opened and closed, so that one-time costs are paid before counting.
            for (int i = 0; i < 64; i++)
            {
                MuxStream a = await client.OpenStreamAsync();
                MuxStream b = await server.AcceptStreamAsync();
                await a.DisposeAsync();
                await b.DisposeAsync();
            }

            await client.PingAsync();
            await server.PingAsync();
            long heap0 = CollectAll();
            long rss0 = Environment.WorkingSet;

            Task accept = Task.Run(async () =>
            {
                for (int i = 0; i < n; i++)
                {
                    serverStreams.Add(await server.AcceptStreamAsync());
                }
            });
            for (int i = 0; i < n; i++)
            {
                clientStreams.Add(await client.OpenStreamAsync());
            }

            await accept;
            await client.PingAsync(); // every SYN and ACK before the pings has been handled
            await server.PingAsync();
            long heap1 = CollectAll();
            long rss1 = Environment.WorkingSet;
            if (client.StreamCount < n || server.StreamCount < n)
            {
                throw new InvalidOperationException($"only {client.StreamCount}/{server.StreamCount} of {n} streams are open");
            }

            pair.Add((heap1 - heap0) / (double)n);
            heap.Add((heap1 - heap0) / (double)n / 2);
            rss.Add((rss1 - rss0) / (double)n / 2);
            _log.WriteLine($"  idle             weft     heap {heap[^1]:0} B/stream/end, rss {rss[^1]:0} B/stream/end");
            GC.KeepAlive(clientStreams);
            GC.KeepAlive(serverStreams);
            await client.DisposeAsync();
            await server.DisposeAsync();
        }

        _report.Add("idle-heap", Report.Weft, heap);
        _report.Add("idle-heap-pair", Report.Weft, pair);
        _report.Add("idle-rss", Report.Weft, rss);
    }

    private static long CollectAll()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>Bytes allocated (all threads) per MiB moved one way in steady state, and per frame with 1 KiB writes.</summary>
    private async Task AllocationsAsync(Loopback loopback)
    {
        _report.Declare("alloc-per-mib", "B/MiB", $"in-process, bytes allocated by the whole process per MiB moved one way in steady state ({_options.AllocBytes >> 20} MiB in 64 KiB writes, after a warm-up)");
        _report.Declare("alloc-per-frame", "B/frame", $"the same with 1 KiB writes ({_options.AllocSmallFrameBytes >> 20} MiB, one Data frame or one send each): bytes allocated per write");
        var perMiB = new Dictionary<string, List<double>> { [Report.Raw] = [], [Report.Weft] = [] };
        var perFrame = new Dictionary<string, List<double>> { [Report.Raw] = [], [Report.Weft] = [] };
        for (int rep = 0; rep < _options.Repeat; rep++)
        {
            foreach (string impl in new[] { Report.Raw, Report.Weft })
            {
                long big = await AllocatedDuringAsync(loopback, impl == Report.Weft, ChunkSize, _options.AllocBytes);
                long small = await AllocatedDuringAsync(loopback, impl == Report.Weft, 1024, _options.AllocSmallFrameBytes);
                perMiB[impl].Add(big / (double)(_options.AllocBytes >> 20));
                perFrame[impl].Add(small / (double)(_options.AllocSmallFrameBytes / 1024));
                _log.WriteLine($"  alloc            {impl,-8} {perMiB[impl][^1]:0.0} B/MiB, {perFrame[impl][^1]:0.000} B/frame");
            }
        }

        foreach (string impl in new[] { Report.Raw, Report.Weft })
        {
            _report.Add("alloc-per-mib", impl, perMiB[impl]);
            _report.Add("alloc-per-frame", impl, perFrame[impl]);
        }
    }

    private static async Task<long> AllocatedDuringAsync(Loopback loopback, bool mux, int writeSize, long bytes)
    {
        Stream sender, receiver;
        MuxSession? client = null, server = null;
        if (mux)
        {
            (client, server) = await loopback.SessionPairAsync();
            sender = await client.OpenStreamAsync();
            receiver = await server.AcceptStreamAsync();
        }
        else
        {
            (NetworkStream c, NetworkStream s) = await loopback.ConnectAsync();
            (sender, receiver) = (c, s);
        }

        long warmUp = Math.Min(bytes, 32L << 20);
        var warmedUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task receive = Task.Run(async () =>
        {
            var buffer = new byte[ChunkSize];
            long total = 0;
            int n;
            while ((n = await receiver.ReadAsync(buffer)) > 0)
            {
                total += n;
                if (total == warmUp)
                {
                    warmedUp.TrySetResult();
                }

                if (total == warmUp + bytes)
                {
                    finished.TrySetResult();
                }
            }
        });

        var chunk = new byte[writeSize];
        for (long sent = 0; sent < warmUp; sent += writeSize)
        {
            await sender.WriteAsync(chunk);
        }

        await warmedUp.Task;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (long sent = 0; sent < bytes; sent += writeSize)
        {
            await sender.WriteAsync(chunk);
        }

        await finished.Task;
        long after = GC.GetTotalAllocatedBytes(precise: true);

        Loopback.HalfClose(sender);
        await receive;
        await sender.DisposeAsync();
        await receiver.DisposeAsync();
        if (client is not null && server is not null)
        {
            await client.DisposeAsync();
            await server.DisposeAsync();
        }

        return after - before;
    }
}
