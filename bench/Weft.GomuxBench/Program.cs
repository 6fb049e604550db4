using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using Weft.Crypto;
using Weft.Crypto.Keys;
using Weft.Mux;
using Weft.Security;
using static Weft.Bench.BenchSupport;

// Weft.GomuxBench: the gomux dialect against its own AEAD, raw TCP and yamux over secret-handshake, in one run
// (docs/benchmarks.md, "gomux").
//   dotnet run -c Release --project bench/Weft.GomuxBench -- [--mib N] [--rtt N] [--json PATH]
// 1. XChaCha20-Poly1305 alone, one core, seal of 64 KiB frames with a 36-byte AAD (what a gomux Data frame costs):
//    libsodium (crypto_aead_xchacha20poly1305_ietf_encrypt_detached) and Weft.Crypto.XChaCha20Poly1305 (the
//    path the codec uses); also the allocation per 64-byte seal.
// 2. One direction over loopback TCP, 64 KiB writes: raw TCP, yamux, yamux over secret-handshake, gomux.
//    With each, the process's CPU time per MB moved (both ends together): 2 cores / that cost is the most this
//    layer can move on this machine when it is CPU-bound, whatever the wall clock says under a shared load.
// 3. gomux with 4 streams at once on one session (aggregate): if one stream's fixed 128 KiB window caps it,
//    four windows in flight move more.
// 4. 64-byte round trips (p50, p99) on one stream: the same four.
// 5. One core (OneCore.cs): the gomux engine sending into a peer that only answers WindowUpdates, and receiving
//    frames recorded from a real sender from memory, against the AEAD's seal / open of the same 64 KiB frames,
//    alternated over several rounds. --one-core-only skips 1-4; run it under `taskset -c N` for one-core wall clock.

var options = new Dictionary<string, string?> { ["--mib"] = null, ["--rtt"] = null, ["--json"] = null, ["--one-core-mib"] = null, ["--rounds"] = null, ["--profile"] = null };
var switches = new HashSet<string> { "--one-core-only", "--no-autotune" };
if (!TryParseArguments(args, "usage: Weft.GomuxBench [--mib N] [--rtt N] [--one-core-mib N] [--rounds N] [--one-core-only] [--no-autotune] [--profile send|receive] [--json PATH]", options, switches))
{
    return 2;
}

int mib = Int(options, "--mib", 512);
int rttCount = Int(options, "--rtt", 5000);
string? jsonPath = options["--json"];

long total = (long)mib << 20;
byte[] networkKey = SHA256.HashData("weft-gomux-bench"u8);
using Ed25519Identity serverIdentity = Ed25519Identity.Generate();
using Ed25519Identity clientIdentity = Ed25519Identity.Generate();
MuxDialect gomux = MuxDialect.Gomux("weft-gomux-bench");
var results = new Dictionary<string, double>();
Layer[] layers = [Layer.RawTcp, Layer.Yamux, Layer.YamuxOverShs, Layer.Gomux];

Console.WriteLine($"Weft.GomuxBench: {mib} MiB per throughput run, {rttCount} round trips, {Environment.ProcessorCount} logical CPUs, .NET {Environment.Version}, load {LoadAverage()}");
Weft.GomuxBench.OneCore.WindowAutoTuning = !switches.Contains("--no-autotune");
long oneCoreBytes = (long)Int(options, "--one-core-mib", 256) << 20;
int rounds = Int(options, "--rounds", 5);
using var peerCodec = new Weft.Mux.Protocol.GomuxFrameCodec("weft-gomux-bench");
if (options["--profile"] is { } profiled)
{
    await Weft.GomuxBench.OneCore.ProfileAsync(gomux, peerCodec, oneCoreBytes, rounds, profiled);
    return 0;
}

if (switches.Contains("--one-core-only"))
{
    await Weft.GomuxBench.OneCore.RunAsync(gomux, peerCodec, oneCoreBytes, rounds, results);
    await ReportAsync(results, jsonPath, width: 52);
    Console.WriteLine($"load at the end: {LoadAverage()}");
    return 0;
}

// Warm-up of every path (JIT, libsodium, pools).
AeadSeal(8L << 20, libsodium: true);
AeadSeal(8L << 20, libsodium: false);
foreach (Layer layer in layers)
{
    await ThroughputAsync(8L << 20, layer);
    await RoundTripAsync(200, layer);
}

results["aead_libsodium_seal_1core_MBps"] = AeadSeal(total, libsodium: true);
results["aead_weft_seal_1core_MBps"] = AeadSeal(total, libsodium: false);
results["aead_libsodium_open_1core_MBps"] = AeadOpen(total, libsodium: true);
results["aead_weft_open_1core_MBps"] = AeadOpen(total, libsodium: false);
results["aead_weft_seal64_alloc_B_per_op"] = SmallSealAllocation();
foreach (Layer layer in layers)
{
    TimeSpan before = ProcessCpu();
    results[$"{Name(layer)}_tcp_MBps"] = await ThroughputAsync(total, layer);
    results[$"{Name(layer)}_cpu_ms_per_MB"] = (ProcessCpu() - before).TotalMilliseconds / (total / 1e6);
}

results["gomux_4streams_tcp_MBps"] = await ThroughputAsync(total, Layer.Gomux, streams: 4);
TimeSpan sealBefore = ProcessCpu();
AeadSeal(total, libsodium: false);
results["aead_weft_seal_cpu_ms_per_MB"] = (ProcessCpu() - sealBefore).TotalMilliseconds / (total / 1e6);

foreach (Layer layer in layers)
{
    (double p50, double p99) = await RoundTripAsync(rttCount, layer);
    results[$"{Name(layer)}_rtt64_p50_us"] = p50;
    results[$"{Name(layer)}_rtt64_p99_us"] = p99;
}

double aeadBest = Math.Max(results["aead_libsodium_seal_1core_MBps"], results["aead_weft_seal_1core_MBps"]);
results["ratio_gomux_vs_best_aead_1core"] = results["gomux_tcp_MBps"] / aeadBest;
results["ratio_gomux_vs_libsodium_aead_1core"] = results["gomux_tcp_MBps"] / results["aead_libsodium_seal_1core_MBps"];
results["ratio_gomux_vs_raw_tcp"] = results["gomux_tcp_MBps"] / results["raw-tcp_tcp_MBps"];
results["ratio_gomux_vs_yamux_over_shs"] = results["gomux_tcp_MBps"] / results["yamux-over-shs_tcp_MBps"];
// CPU view (robust on a shared machine): what 2 cores could move at this cost, against what one core seals.
results["aead_weft_seal_1core_cpu_MBps"] = 1000 / results["aead_weft_seal_cpu_ms_per_MB"];
results["gomux_cpu_bound_2cores_MBps"] = Environment.ProcessorCount * 1000 / results["gomux_cpu_ms_per_MB"];
results["raw-tcp_cpu_bound_2cores_MBps"] = Environment.ProcessorCount * 1000 / results["raw-tcp_cpu_ms_per_MB"];
results["ratio_gomux_cpu_bound_vs_aead_1core_cpu"] = results["gomux_cpu_bound_2cores_MBps"] / results["aead_weft_seal_1core_cpu_MBps"];
results["ratio_gomux_4streams_vs_1stream"] = results["gomux_4streams_tcp_MBps"] / results["gomux_tcp_MBps"];
results["ratio_rtt64_p50_gomux_vs_raw_tcp"] = results["gomux_rtt64_p50_us"] / results["raw-tcp_rtt64_p50_us"];
results["ratio_rtt64_p50_gomux_vs_yamux_over_shs"] = results["gomux_rtt64_p50_us"] / results["yamux-over-shs_rtt64_p50_us"];

await Weft.GomuxBench.OneCore.RunAsync(gomux, peerCodec, oneCoreBytes, rounds, results);
await ReportAsync(results, jsonPath, width: 52);
Console.WriteLine();
Console.WriteLine($"target: gomux >= 0.8x the AEAD's single-core speed (the faster of the two seals): {results["ratio_gomux_vs_best_aead_1core"]:0.00}x "
    + (results["ratio_gomux_vs_best_aead_1core"] >= 0.8 ? "MET" : "NOT MET"));
Console.WriteLine($"CPU view: gomux costs {results["gomux_cpu_ms_per_MB"]:0.00} ms per MB (both ends), sealing alone {results["aead_weft_seal_cpu_ms_per_MB"]:0.00}, "
    + $"raw TCP {results["raw-tcp_cpu_ms_per_MB"]:0.00}: {Environment.ProcessorCount} busy cores move at most {results["gomux_cpu_bound_2cores_MBps"]:0} MB/s = "
    + $"{results["ratio_gomux_cpu_bound_vs_aead_1core_cpu"]:0.00}x of one core's seal rate");
Console.WriteLine($"load at the end: {LoadAverage()}");
return 0;

// ------------------------------------------------------------------------------------------------

static string Name(Layer layer) => layer switch
{
    Layer.RawTcp => "raw-tcp",
    Layer.Yamux => "yamux",
    Layer.YamuxOverShs => "yamux-over-shs",
    _ => "gomux",
};

// The AEAD alone on one 64 KiB gomux Data frame (fresh nonce per seal, the 36-byte header as AAD), wall clock.
static double AeadSeal(long bytes, bool libsodium) => Weft.GomuxBench.OneCore.AeadSeal(bytes, libsodium).WallMBps;

static double AeadOpen(long bytes, bool libsodium) => Weft.GomuxBench.OneCore.AeadOpen(bytes, libsodium).WallMBps;

static double SmallSealAllocation()
{
    var (key, header, plain, cipher, tag) = Weft.GomuxBench.OneCore.NewFrame(64);
    using var aead = new XChaCha20Poly1305(key);
    for (int i = 0; i < 1000; i++)
    {
        aead.Encrypt(header.AsSpan(12, 24), plain, cipher, tag, header);
    }

    const int count = 100_000;
    long before = GC.GetAllocatedBytesForCurrentThread();
    for (int i = 0; i < count; i++)
    {
        aead.Encrypt(header.AsSpan(12, 24), plain, cipher, tag, header);
        aead.TryDecrypt(header.AsSpan(12, 24), cipher, tag, plain, header);
    }

    return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)(2 * count);
}

async Task<(Stream[] Clients, Stream[] Servers, Func<ValueTask> Dispose)> ConnectAsync(Layer layer, int streams = 1)
{
    var (clientSocket, serverSocket) = await ConnectTcpAsync();
    Stream clientStream = new NetworkStream(clientSocket, ownsSocket: true);
    Stream serverStream = new NetworkStream(serverSocket, ownsSocket: true);
    if (layer == Layer.RawTcp)
    {
        return ([clientStream], [serverStream], async () =>
        {
            await clientStream.DisposeAsync();
            await serverStream.DisposeAsync();
        }
        );
    }

    if (layer == Layer.YamuxOverShs)
    {
        Task<BoxStream> serverTask = SecretHandshake.ServerAsync(serverStream, networkKey, serverIdentity, SecretHandshake.AllowAnyClient).AsTask();
        clientStream = await SecretHandshake.ClientAsync(clientStream, networkKey, clientIdentity, serverIdentity.PublicKey);
        serverStream = await serverTask;
    }

    var options = new MuxOptions { Dialect = layer == Layer.Gomux ? gomux : MuxDialect.Yamux };
    MuxSession clientSession = MuxSession.CreateClient(clientStream, options);
    MuxSession serverSession = MuxSession.CreateServer(serverStream, options);
    var opened = new Stream[streams];
    var accepted = new Stream[streams];
    for (int i = 0; i < streams; i++)
    {
        opened[i] = await clientSession.OpenStreamAsync();
        accepted[i] = await serverSession.AcceptStreamAsync();
    }

    return (opened, accepted, async () =>
    {
        foreach (Stream stream in opened.Concat(accepted))
        {
            await stream.DisposeAsync();
        }

        await clientSession.DisposeAsync();
        await serverSession.DisposeAsync();
    }
    );
}

/// <summary>Moves <paramref name="bytes"/> in all, split evenly over <paramref name="streams"/> streams written at once.</summary>
async Task<double> ThroughputAsync(long bytes, Layer layer, int streams = 1)
{
    var (clients, servers, dispose) = await ConnectAsync(layer, streams);
    long each = bytes / streams;
    byte[] data = RandomNumberGenerator.GetBytes(64 * 1024);
    var sw = Stopwatch.StartNew();
    Task<long>[] readers = servers.Select(server => Task.Run(() => ReadUpToAsync(server, each))).ToArray();
    Task[] writers = clients.Select(client => Task.Run(() => WriteRepeatedAsync(client, data, each))).ToArray();
    await Task.WhenAll(writers);
    long[] got = await Task.WhenAll(readers);
    TimeSpan elapsed = sw.Elapsed;
    if (got.Any(g => g != each))
    {
        throw new InvalidOperationException($"received {string.Join(", ", got)} of {each} bytes per stream");
    }

    await dispose();
    return MBps(each * streams, elapsed);
}

async Task<(double P50, double P99)> RoundTripAsync(int count, Layer layer)
{
    var (clients, servers, dispose) = await ConnectAsync(layer);
    Stream client = clients[0];
    Stream server = servers[0];
    Task echo = Task.Run(async () =>
    {
        byte[] buffer = new byte[64];
        for (int i = 0; i < count; i++)
        {
            await ReadExactlyAsync(server, buffer);
            await server.WriteAsync(buffer);
        }
    });
    byte[] message = new byte[64];
    byte[] reply = new byte[64];
    double[] micros = new double[count];
    for (int i = 0; i < count; i++)
    {
        long start = Stopwatch.GetTimestamp();
        await client.WriteAsync(message);
        await ReadExactlyAsync(client, reply);
        micros[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }

    await echo;
    await dispose();
    Array.Sort(micros);
    return (micros[count / 2], micros[(int)(count * 0.99)]);
}

static async Task ReadExactlyAsync(Stream stream, byte[] buffer)
{
    int filled = 0;
    while (filled < buffer.Length)
    {
        int n = await stream.ReadAsync(buffer.AsMemory(filled));
        if (n == 0)
        {
            throw new EndOfStreamException();
        }

        filled += n;
    }
}

/// <summary>What a benchmark connection carries.</summary>
internal enum Layer
{
    RawTcp,
    Yamux,
    YamuxOverShs,
    Gomux,
}
