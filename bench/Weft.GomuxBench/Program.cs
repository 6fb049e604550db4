using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Weft.Crypto;
using Weft.Crypto.Keys;
using Weft.Mux;
using Weft.Security;

// Weft.GomuxBench: the gomux dialect against its own AEAD, raw TCP and yamux over secret-handshake, in one run
// (docs/benchmarks.md, "gomux").
//   dotnet run -c Release --project bench/Weft.GomuxBench -- [--mib N] [--rtt N] [--json PATH]
// 1. XChaCha20-Poly1305 alone, one core, seal of 64 KiB frames with a 36-byte AAD (what a gomux Data frame costs):
//    libsodium (crypto_aead_xchacha20poly1305_ietf_encrypt_detached) and Weft.Crypto.XChaCha20Poly1305 (the
//    path the codec uses); also the allocation per 64-byte seal.
// 2. One direction over loopback TCP, 64 KiB writes: raw TCP, yamux, yamux over secret-handshake, gomux.
// 3. 64-byte round trips (p50, p99) on one stream: the same four.

int mib = 512;
int rttCount = 5000;
string? jsonPath = null;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--mib": mib = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--rtt": rttCount = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--json": jsonPath = args[++i]; break;
        default:
            Console.Error.WriteLine("usage: Weft.GomuxBench [--mib N] [--rtt N] [--json PATH]");
            return 2;
    }
}

long total = (long)mib << 20;
byte[] networkKey = SHA256.HashData("weft-gomux-bench"u8);
using Ed25519Identity serverIdentity = Ed25519Identity.Generate();
using Ed25519Identity clientIdentity = Ed25519Identity.Generate();
MuxDialect gomux = MuxDialect.Gomux("weft-gomux-bench");
var results = new Dictionary<string, double>();
Layer[] layers = [Layer.RawTcp, Layer.Yamux, Layer.YamuxOverShs, Layer.Gomux];

Console.WriteLine($"Weft.GomuxBench: {mib} MiB per throughput run, {rttCount} round trips, {Environment.ProcessorCount} logical CPUs, .NET {Environment.Version}, load {LoadAverage()}");

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
    results[$"{Name(layer)}_tcp_MBps"] = await ThroughputAsync(total, layer);
}

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
results["ratio_rtt64_p50_gomux_vs_raw_tcp"] = results["gomux_rtt64_p50_us"] / results["raw-tcp_rtt64_p50_us"];
results["ratio_rtt64_p50_gomux_vs_yamux_over_shs"] = results["gomux_rtt64_p50_us"] / results["yamux-over-shs_rtt64_p50_us"];

Console.WriteLine();
Console.WriteLine($"{"measurement",-44} {"value",12}");
foreach (var (name, value) in results)
{
    Console.WriteLine($"{name,-44} {value,12:0.00}");
}

Console.WriteLine();
Console.WriteLine($"target: gomux >= 0.8x the AEAD's single-core speed (the faster of the two seals): {results["ratio_gomux_vs_best_aead_1core"]:0.00}x "
    + (results["ratio_gomux_vs_best_aead_1core"] >= 0.8 ? "MET" : "NOT MET"));
Console.WriteLine($"load at the end: {LoadAverage()}");
if (jsonPath is not null)
{
    await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
}

return 0;

// ------------------------------------------------------------------------------------------------

static double MBps(long bytes, TimeSpan elapsed) => bytes / elapsed.TotalSeconds / 1e6;

static string Name(Layer layer) => layer switch
{
    Layer.RawTcp => "raw-tcp",
    Layer.Yamux => "yamux",
    Layer.YamuxOverShs => "yamux-over-shs",
    _ => "gomux",
};

static string LoadAverage()
{
    try
    {
        return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
    }
    catch (IOException)
    {
        return "?";
    }
}

static double AeadSeal(long bytes, bool libsodium)
{
    byte[] key = RandomNumberGenerator.GetBytes(32);
    byte[] header = RandomNumberGenerator.GetBytes(36);
    byte[] plain = RandomNumberGenerator.GetBytes(64 * 1024);
    byte[] cipher = new byte[plain.Length];
    byte[] tag = new byte[16];
    using var aead = new XChaCha20Poly1305(key);
    var sw = Stopwatch.StartNew();
    for (long done = 0; done < bytes; done += plain.Length)
    {
        // A fresh nonce per frame, as gomux draws one (part of the frame's cost).
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

    return MBps(bytes, sw.Elapsed);
}

static double AeadOpen(long bytes, bool libsodium)
{
    byte[] key = RandomNumberGenerator.GetBytes(32);
    byte[] header = RandomNumberGenerator.GetBytes(36);
    byte[] plain = RandomNumberGenerator.GetBytes(64 * 1024);
    byte[] cipher = new byte[plain.Length];
    byte[] tag = new byte[16];
    using var aead = new XChaCha20Poly1305(key);
    aead.Encrypt(header.AsSpan(12, 24), plain, cipher, tag, header);
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

    return MBps(bytes, sw.Elapsed);
}

static double SmallSealAllocation()
{
    byte[] key = RandomNumberGenerator.GetBytes(32);
    byte[] header = RandomNumberGenerator.GetBytes(36);
    byte[] plain = new byte[64];
    byte[] cipher = new byte[64];
    byte[] tag = new byte[16];
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

async Task<(Stream Client, Stream Server, Func<ValueTask> Dispose)> ConnectAsync(Layer layer)
{
    var (clientSocket, serverSocket) = await ConnectTcpAsync();
    Stream clientStream = new NetworkStream(clientSocket, ownsSocket: true);
    Stream serverStream = new NetworkStream(serverSocket, ownsSocket: true);
    if (layer == Layer.RawTcp)
    {
        return (clientStream, serverStream, async () =>
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
    MuxStream opened = await clientSession.OpenStreamAsync();
    MuxStream accepted = await serverSession.AcceptStreamAsync();
    return (opened, accepted, async () =>
    {
        await opened.DisposeAsync();
        await accepted.DisposeAsync();
        await clientSession.DisposeAsync();
        await serverSession.DisposeAsync();
    }
    );
}

async Task<double> ThroughputAsync(long bytes, Layer layer)
{
    var (client, server, dispose) = await ConnectAsync(layer);
    byte[] data = RandomNumberGenerator.GetBytes(64 * 1024);
    var sw = Stopwatch.StartNew();
    Task<long> reader = Task.Run(async () =>
    {
        byte[] buffer = new byte[256 * 1024];
        long received = 0;
        int n;
        while (received < bytes && (n = await server.ReadAsync(buffer)) > 0)
        {
            received += n;
        }

        return received;
    });
    for (long done = 0; done < bytes; done += data.Length)
    {
        await client.WriteAsync(data);
    }

    await client.FlushAsync();
    long got = await reader;
    TimeSpan elapsed = sw.Elapsed;
    if (got != bytes)
    {
        throw new InvalidOperationException($"received {got} of {bytes} bytes");
    }

    await dispose();
    return MBps(bytes, elapsed);
}

async Task<(double P50, double P99)> RoundTripAsync(int count, Layer layer)
{
    var (client, server, dispose) = await ConnectAsync(layer);
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

static async Task<(Socket Client, Socket Server)> ConnectTcpAsync()
{
    using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    listener.Listen(1);
    var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    Task<Socket> accept = listener.AcceptAsync();
    await client.ConnectAsync(listener.LocalEndPoint!);
    Socket server = await accept;
    server.NoDelay = true;
    return (client, server);
}

/// <summary>What a benchmark connection carries.</summary>
internal enum Layer
{
    RawTcp,
    Yamux,
    YamuxOverShs,
    Gomux,
}
