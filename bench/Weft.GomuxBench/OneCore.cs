using System.Diagnostics;
using System.Security.Cryptography;
using Weft.Crypto;
using Weft.Mux;
using Weft.Mux.Protocol;
using static Weft.Bench.BenchSupport;

namespace Weft.GomuxBench;

/// <summary>
/// The gomux engine's own speed on one core against its AEAD's on the same frames (the reading issues #3 and #7
/// used for their channels): SEND is a client session writing 64 KiB chunks on one stream into a peer that drops
/// the frames and answers with sealed WindowUpdates (<see cref="CreditingSink"/>); RECEIVE is a server session
/// reading frames recorded from that sender (<see cref="RecordedSender"/>) with one reader and a 64 KiB buffer.
/// The AEAD runs seal and open 64 KiB frames with a fresh nonce and the 36-byte header as associated data.
/// </summary>
/// <remarks>
/// Every figure is taken two ways: wall clock, and process CPU time (all threads, GC included). Run the program
/// under <c>taskset -c N</c> and the wall clock is one core's (the runtime then also sees one processor and does
/// not spin); without it the session may use a second core for its read loop, and the CPU-time figure is the
/// one-core reading. Measurements alternate within each round so a change in the machine's load hits both.
/// </remarks>
internal static class OneCore
{
    public const int Frame = 64 * 1024;

    /// <summary>Whether the sessions grow their receive windows (the default); --no-autotune turns it off for comparison.</summary>
    public static bool WindowAutoTuning { get; set; } = true;

    /// <summary>Bytes moved, wall time and process CPU time of one measurement.</summary>
    public readonly record struct Measure(long Bytes, TimeSpan Wall, TimeSpan Cpu)
    {
        public double WallMBps => MBps(Bytes, Wall);

        public double CpuMBps => MBps(Bytes, Cpu);
    }

    public static Measure AeadSeal(long bytes, bool libsodium)
    {
        var (key, header, plain, cipher, tag) = NewFrame();
        using var aead = new XChaCha20Poly1305(key);
        TimeSpan cpu = ProcessCpu();
        var sw = Stopwatch.StartNew();
        for (long done = 0; done < bytes; done += plain.Length)
        {
            SecureRandom.Fill(header.AsSpan(12, 24));
            if (libsodium)
            {
                AeadXChaCha20Poly1305.EncryptDetached(key, header.AsSpan(12, 24), plain, cipher, tag, header);
            }
            else
            {
                aead.Encrypt(header.AsSpan(12, 24), plain, cipher, tag, header);
            }
        }

        return new Measure(bytes, sw.Elapsed, ProcessCpu() - cpu);
    }

    public static Measure AeadOpen(long bytes, bool libsodium)
    {
        var (key, header, plain, cipher, tag) = NewFrame();
        using var aead = new XChaCha20Poly1305(key);
        aead.Encrypt(header.AsSpan(12, 24), plain, cipher, tag, header);
        TimeSpan cpu = ProcessCpu();
        var sw = Stopwatch.StartNew();
        for (long done = 0; done < bytes; done += plain.Length)
        {
            bool ok = libsodium
                ? AeadXChaCha20Poly1305.TryDecryptDetached(key, header.AsSpan(12, 24), cipher, tag, plain, header)
                : aead.TryDecrypt(header.AsSpan(12, 24), cipher, tag, plain, header);
            if (!ok)
            {
                throw new CryptographicException("the benchmark's own frame did not authenticate");
            }
        }

        return new Measure(bytes, sw.Elapsed, ProcessCpu() - cpu);
    }

    /// <summary>SEND: one stream of a gomux client session writes <paramref name="bytes"/> in 64 KiB chunks; returns the figures and, when asked, the first bytes on the wire.</summary>
    public static async Task<(Measure Measure, byte[] Recording)> SendAsync(MuxDialect dialect, GomuxFrameCodec peerCodec, long bytes, int recordBytes = 0)
    {
        var sink = new CreditingSink(peerCodec, recordBytes);
        MuxSession session = MuxSession.CreateClient(sink, new MuxOptions { Dialect = dialect, WindowAutoTuning = WindowAutoTuning });
        MuxStream stream = await session.OpenStreamAsync();
        byte[] data = RandomNumberGenerator.GetBytes(Frame);
        TimeSpan cpu = ProcessCpu();
        var sw = Stopwatch.StartNew();
        for (long done = 0; done < bytes; done += data.Length)
        {
            await stream.WriteAsync(data);
        }

        await sink.WaitForDataAsync(bytes);
        var measure = new Measure(bytes, sw.Elapsed, ProcessCpu() - cpu);
        byte[] recording = sink.Recording;
        await stream.DisposeAsync();
        await session.DisposeAsync();
        await sink.DisposeAsync();
        return (measure, recording);
    }

    /// <summary>RECEIVE: a gomux server session reads the recorded frames; one reader takes <paramref name="bytes"/> with a 64 KiB buffer.</summary>
    public static async Task<Measure> ReceiveAsync(MuxDialect dialect, byte[] recording, long bytes)
    {
        var sender = new RecordedSender(recording, bytes);
        MuxSession session = MuxSession.CreateServer(sender, new MuxOptions { Dialect = dialect, WindowAutoTuning = WindowAutoTuning });
        MuxStream stream = await session.AcceptStreamAsync();
        byte[] buffer = new byte[Frame];
        TimeSpan cpu = ProcessCpu();
        var sw = Stopwatch.StartNew();
        long received = 0;
        while (received < bytes)
        {
            int n = await stream.ReadAsync(buffer);
            if (n == 0)
            {
                throw new EndOfStreamException($"the receiving session ended after {received} of {bytes} bytes");
            }

            received += n;
        }

        var measure = new Measure(received, sw.Elapsed, ProcessCpu() - cpu);
        await stream.DisposeAsync();
        await session.DisposeAsync();
        await sender.DisposeAsync();
        return measure;
    }

    /// <summary>One measurement only, <paramref name="rounds"/> times (for a profiler): "send" or "receive".</summary>
    public static async Task ProfileAsync(MuxDialect dialect, GomuxFrameCodec peerCodec, long bytes, int rounds, string which)
    {
        (_, byte[] recording) = await SendAsync(dialect, peerCodec, 16L << 20, recordBytes: 4 << 20);
        for (int round = 1; round <= rounds; round++)
        {
            long allocated = GC.GetTotalAllocatedBytes(precise: true);
            int collections = GC.CollectionCount(0);
            Measure m = which == "send" ? (await SendAsync(dialect, peerCodec, bytes)).Measure : await ReceiveAsync(dialect, recording, bytes);
            double perMiB = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)(bytes >> 20);
            Console.WriteLine($"{which} round {round}: {m.WallMBps:0} MB/s wall, {m.CpuMBps:0} MB/s of CPU time, {perMiB:0} B allocated per MiB, {GC.CollectionCount(0) - collections} gen0 GCs");
        }
    }

    /// <summary>The rounds: every measurement once per round, in a fixed order; medians, minima and maxima go into <paramref name="results"/>.</summary>
    public static async Task RunAsync(MuxDialect dialect, GomuxFrameCodec peerCodec, long bytes, int rounds, Dictionary<string, double> results)
    {
        bool pinned = Environment.ProcessorCount == 1;
        Console.WriteLine();
        Console.WriteLine($"one-core engine speed: {bytes >> 20} MiB per measurement, {rounds} rounds, "
            + (pinned ? "process pinned to one CPU (wall clock = one core)" : $"{Environment.ProcessorCount} CPUs visible (read the CPU-time figures; run under taskset -c N for one-core wall clock)")
            + $", load {LoadAverage()}");

        // Warm-up (JIT, pools), and the recording of a real sender's frames for the receive runs.
        (_, byte[] recording) = await SendAsync(dialect, peerCodec, 16L << 20, recordBytes: 4 << 20);
        AeadSeal(8L << 20, libsodium: true);
        AeadSeal(8L << 20, libsodium: false);
        AeadOpen(8L << 20, libsodium: true);
        AeadOpen(8L << 20, libsodium: false);
        await ReceiveAsync(dialect, recording, 16L << 20);

        string[] names = ["libsodium_seal", "weft_seal", "gomux_send", "libsodium_open", "weft_open", "gomux_receive"];
        var wall = names.ToDictionary(n => n, _ => new List<double>());
        var cpu = names.ToDictionary(n => n, _ => new List<double>());
        var ratios = new Dictionary<string, List<double>>();
        Console.WriteLine($"{"round",5} {"load",6} | {"MB/s wall (CPU):",-16} {"sodium seal",16} {"weft seal",16} {"gomux send",16} {"sodium open",16} {"weft open",16} {"gomux recv",16} | send/seal  recv/open (weft; wall, CPU)");
        for (int round = 1; round <= rounds; round++)
        {
            string load = LoadAverage().Split(' ')[0];
            var m = new Dictionary<string, Measure>
            {
                ["libsodium_seal"] = AeadSeal(bytes, libsodium: true),
                ["weft_seal"] = AeadSeal(bytes, libsodium: false),
                ["gomux_send"] = (await SendAsync(dialect, peerCodec, bytes)).Measure,
                ["libsodium_open"] = AeadOpen(bytes, libsodium: true),
                ["weft_open"] = AeadOpen(bytes, libsodium: false),
                ["gomux_receive"] = await ReceiveAsync(dialect, recording, bytes),
            };
            foreach (string name in names)
            {
                wall[name].Add(m[name].WallMBps);
                cpu[name].Add(m[name].CpuMBps);
            }

            Add(ratios, "send_vs_weft_seal_wall", m["gomux_send"].WallMBps / m["weft_seal"].WallMBps);
            Add(ratios, "send_vs_weft_seal_cpu", m["gomux_send"].CpuMBps / m["weft_seal"].CpuMBps);
            Add(ratios, "send_vs_libsodium_seal_wall", m["gomux_send"].WallMBps / m["libsodium_seal"].WallMBps);
            Add(ratios, "send_vs_libsodium_seal_cpu", m["gomux_send"].CpuMBps / m["libsodium_seal"].CpuMBps);
            Add(ratios, "receive_vs_weft_open_wall", m["gomux_receive"].WallMBps / m["weft_open"].WallMBps);
            Add(ratios, "receive_vs_weft_open_cpu", m["gomux_receive"].CpuMBps / m["weft_open"].CpuMBps);
            Add(ratios, "receive_vs_libsodium_open_wall", m["gomux_receive"].WallMBps / m["libsodium_open"].WallMBps);
            Add(ratios, "receive_vs_libsodium_open_cpu", m["gomux_receive"].CpuMBps / m["libsodium_open"].CpuMBps);
            string cells = string.Concat(names.Select(n => $" {$"{m[n].WallMBps:0} ({m[n].CpuMBps:0})",16}"));
            Console.WriteLine($"{round,5} {load,6} | {"",-16}{cells} | "
                + $"{ratios["send_vs_weft_seal_wall"][^1]:0.00}, {ratios["send_vs_weft_seal_cpu"][^1]:0.00}   {ratios["receive_vs_weft_open_wall"][^1]:0.00}, {ratios["receive_vs_weft_open_cpu"][^1]:0.00}");
        }

        foreach (string name in names)
        {
            results[$"onecore_{name}_wall_MBps_median"] = Median(wall[name]);
            results[$"onecore_{name}_cpu_MBps_median"] = Median(cpu[name]);
        }

        foreach (var (name, values) in ratios)
        {
            results[$"onecore_ratio_{name}_median"] = Median(values);
            results[$"onecore_ratio_{name}_min"] = values.Min();
            results[$"onecore_ratio_{name}_max"] = values.Max();
        }

        // The verdict reads CPU time: on a shared machine another process takes the pinned CPU for part of every
        // measurement, so one-core wall clock is only the same reading when the machine is quiet.
        double send = results["onecore_ratio_send_vs_weft_seal_cpu_median"];
        double receive = results["onecore_ratio_receive_vs_weft_open_cpu_median"];
        Console.WriteLine($"one-core target (>= 0.8x the fast AEAD path; median of {rounds} rounds, CPU time): "
            + $"send {send:0.00}x {(send >= 0.8 ? "MET" : "NOT MET")}, receive {receive:0.00}x {(receive >= 0.8 ? "MET" : "NOT MET")}"
            + $" (wall clock{(pinned ? ", one pinned CPU" : "")}: send {results["onecore_ratio_send_vs_weft_seal_wall_median"]:0.00}x, receive {results["onecore_ratio_receive_vs_weft_open_wall_median"]:0.00}x)");
    }

    private static void Add(Dictionary<string, List<double>> lists, string name, double value)
    {
        if (!lists.TryGetValue(name, out List<double>? list))
        {
            lists[name] = list = [];
        }

        list.Add(value);
    }

    private static double Median(List<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>A gomux Data frame's parts for the AEAD-alone runs: key, 36-byte header (the AAD, nonce at 12..36), payload, room.</summary>
    public static (byte[] Key, byte[] Header, byte[] Plain, byte[] Cipher, byte[] Tag) NewFrame(int size = Frame)
    {
        byte[] plain = RandomNumberGenerator.GetBytes(size);
        return (RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(36), plain, new byte[plain.Length], new byte[16]);
    }
}
