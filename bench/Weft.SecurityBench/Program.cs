using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Weft.Crypto;
using Weft.Crypto.Keys;
using Weft.Mux;
using Weft.Security;
using Weft.SecurityBench;
using static Weft.Bench.BenchSupport;

// Weft.SecurityBench: secret-handshake and box-stream figures in one run (docs/benchmarks.md,
// "secret-handshake and box-stream").
//   dotnet run -c Release --project bench/Weft.SecurityBench -- [--mib N] [--handshake-seconds S] [--json PATH] [--noise-tcp-only]
// 1. secretbox alone, one core: the box-stream's own primitive on 4096-byte chunks (detached MAC).
// 2. box-stream encrypt, one core: BoxStream.Write into a discarding inner stream (after a real handshake).
// 3. raw TCP vs box-stream over TCP vs yamux over box-stream over TCP: one direction, loopback, 64 KiB writes.
// 4. handshakes per second: sequential full handshakes over fresh loopback TCP connections.
// 5. noise (NoiseBench.cs): ChaCha20-Poly1305 alone vs the noise stream's encrypt and decrypt paths on one core;
//    noise and mux over noise over TCP vs raw TCP and noise vs box-stream over TCP, each pair alternated in 8 rounds
//    (median ratio); noise handshakes per second. Also the AEAD alone on the stream's 65 024-byte messages vs Noise's
//    largest (65 519), and AES-256-GCM vs ChaCha20-Poly1305 (both in-box, one core): the reasons for the stream's
//    message size and for staying on ChaCha20-Poly1305 (docs/benchmarks.md, "AES-GCM suite").

var options = new Dictionary<string, string?> { ["--mib"] = null, ["--handshake-seconds"] = null, ["--json"] = null };
var switches = new HashSet<string> { "--noise-tcp-only" };
if (!TryParseArguments(args, "usage: Weft.SecurityBench [--mib N] [--handshake-seconds S] [--json PATH] [--noise-tcp-only]", options, switches))
{
    return 2;
}

int mib = Int(options, "--mib", 512);
double handshakeSeconds = Number(options, "--handshake-seconds", 3);
string? jsonPath = options["--json"];
bool noiseTcpOnly = switches.Contains("--noise-tcp-only");

long total = (long)mib << 20;
byte[] networkKey = SHA256.HashData("weft-security-bench"u8);
using Ed25519Identity serverIdentity = Ed25519Identity.Generate();
using Ed25519Identity clientIdentity = Ed25519Identity.Generate();
var results = new Dictionary<string, double>();

Console.WriteLine($"Weft.SecurityBench: {mib} MiB per throughput run, {Environment.ProcessorCount} logical CPUs, .NET {Environment.Version}, load {LoadAverage()}");

// Warm-up of every path (JIT, libsodium load) on a small amount.
await SecretBoxOnlyAsync(8L << 20);
await BoxStreamEncryptOnlyAsync(8L << 20);
await TcpAsync(8L << 20, Layer.None);
await TcpAsync(8L << 20, Layer.Shs);
await TcpAsync(8L << 20, Layer.MuxOverShs);
await TcpAsync(8L << 20, Layer.Noise);
await TcpAsync(8L << 20, Layer.MuxOverNoise);
NoiseBench.AeadOnly(8L << 20, decrypt: false);
NoiseBench.AeadOnly(8L << 20, decrypt: false, aesGcm: true);
await NoiseBench.EncryptOnlyAsync(8L << 20, serverIdentity, clientIdentity);
await NoiseBench.DecryptOnlyAsync(8L << 20, serverIdentity, clientIdentity);
await HandshakesPerSecondAsync(TimeSpan.FromSeconds(0.5));
await NoiseBench.HandshakesPerSecondAsync(TimeSpan.FromSeconds(0.5), serverIdentity, clientIdentity);

if (noiseTcpOnly)
{
    // Only the over-TCP noise comparisons (quick to repeat while tuning the pipeline), same method as below.
    // Also the CPU time the whole process spends per MB (both ends): a load-independent view of the cost.
    var cpu = new Dictionary<Layer, (TimeSpan Cpu, long Bytes)>();
    Func<long, Task<double>> Timed(Layer layer) => async n =>
    {
        TimeSpan before = ProcessCpu();
        double rate = await TcpAsync(n, layer);
        TimeSpan used = ProcessCpu() - before;
        cpu[layer] = cpu.TryGetValue(layer, out var sum) ? (sum.Cpu + used, sum.Bytes + n) : (used, n);
        return rate;
    };
    var noiseTcp = await NoiseBench.InterleavedAsync(total, 8, Timed(Layer.Noise), Timed(Layer.None));
    var muxNoise = await NoiseBench.InterleavedAsync(total, 8, Timed(Layer.MuxOverNoise), Timed(Layer.None));
    Console.WriteLine($"noise over TCP {noiseTcp.A:0} MB/s, raw TCP {noiseTcp.B:0} MB/s: {noiseTcp.Ratio:0.00}x");
    Console.WriteLine($"mux over noise over TCP {muxNoise.A:0} MB/s, raw TCP {muxNoise.B:0} MB/s: {muxNoise.Ratio:0.00}x");
    // The cipher's own share: sealing the same amount on one core, twice (opening costs the same).
    TimeSpan aeadBefore = ProcessCpu();
    NoiseBench.AeadOnly(total / 2, decrypt: false);
    TimeSpan aeadUsed = ProcessCpu() - aeadBefore;
    Console.WriteLine($"CPU per MB, ChaCha20-Poly1305 seal alone x 2 (seal + open; the stream's 65 024-byte messages): {2 * aeadUsed.TotalMilliseconds / ((total / 2) / 1e6):0.000} ms");
    foreach (var (layer, (used, bytes)) in cpu)
    {
        Console.WriteLine($"CPU per MB, both ends, {layer}: {used.TotalMilliseconds / (bytes / 1e6):0.000} ms");
    }

    return 0;
}

results["secretbox_1core_MBps"] = await SecretBoxOnlyAsync(total);
results["boxstream_encrypt_1core_MBps"] = await BoxStreamEncryptOnlyAsync(total);
results["raw_tcp_MBps"] = await TcpAsync(total, Layer.None);
results["boxstream_tcp_MBps"] = await TcpAsync(total, Layer.Shs);
results["mux_over_shs_tcp_MBps"] = await TcpAsync(total, Layer.MuxOverShs);
results["handshakes_per_second"] = await HandshakesPerSecondAsync(TimeSpan.FromSeconds(handshakeSeconds));
// Noise: each pair alternates in 8 rounds (a drifting load on a shared machine hits both alike); the ratio
// is the median of the per-round ratios, the throughputs the medians.
const int rounds = 8;
var enc = await NoiseBench.InterleavedAsync(total, rounds,
    n => NoiseBench.EncryptOnlyAsync(n, serverIdentity, clientIdentity), n => Task.FromResult(NoiseBench.AeadOnly(n, decrypt: false)));
var dec = await NoiseBench.InterleavedAsync(Math.Min(total, 256L << 20), rounds, // the decrypt input is recorded in memory first
    n => NoiseBench.DecryptOnlyAsync(n, serverIdentity, clientIdentity), n => Task.FromResult(NoiseBench.AeadOnly(n, decrypt: true)));
var tcp = await NoiseBench.InterleavedAsync(total, rounds, n => TcpAsync(n, Layer.Noise), n => TcpAsync(n, Layer.None));
var mux = await NoiseBench.InterleavedAsync(total, rounds, n => TcpAsync(n, Layer.MuxOverNoise), n => TcpAsync(n, Layer.None));
var box = await NoiseBench.InterleavedAsync(total, rounds, n => TcpAsync(n, Layer.Noise), n => TcpAsync(n, Layer.Shs));
// The AEAD alone: the stream's message size against Noise's largest, and AES-256-GCM against ChaCha20-Poly1305.
long aeadBytes = Math.Min(total, 256L << 20);
var sizes = await NoiseBench.InterleavedAsync(aeadBytes, rounds,
    n => Task.FromResult(NoiseBench.AeadOnly(n, decrypt: false)),
    n => Task.FromResult(NoiseBench.AeadOnly(n, decrypt: false, NoiseBench.NoiseMaxMessageSize)));
var gcmSeal = await NoiseBench.InterleavedAsync(aeadBytes, rounds,
    n => Task.FromResult(NoiseBench.AeadOnly(n, decrypt: false, aesGcm: true)), n => Task.FromResult(NoiseBench.AeadOnly(n, decrypt: false)));
var gcmOpen = await NoiseBench.InterleavedAsync(aeadBytes, rounds,
    n => Task.FromResult(NoiseBench.AeadOnly(n, decrypt: true, aesGcm: true)), n => Task.FromResult(NoiseBench.AeadOnly(n, decrypt: true)));
results["chachapoly_encrypt_65519B_1core_MBps"] = sizes.B;
results["aesgcm_encrypt_1core_MBps"] = gcmSeal.A;
results["aesgcm_decrypt_1core_MBps"] = gcmOpen.A;
results["ratio_chachapoly_65024B_vs_65519B_messages"] = sizes.Ratio;
results["ratio_aesgcm_vs_chachapoly_encrypt"] = gcmSeal.Ratio;
results["ratio_aesgcm_vs_chachapoly_decrypt"] = gcmOpen.Ratio;
results["chachapoly_encrypt_1core_MBps"] = enc.B;
results["noise_encrypt_1core_MBps"] = enc.A;
results["chachapoly_decrypt_1core_MBps"] = dec.B;
results["noise_decrypt_1core_MBps"] = dec.A;
results["noise_tcp_MBps"] = tcp.A;
results["mux_over_noise_tcp_MBps"] = mux.A;
results["raw_tcp_alternated_with_noise_MBps"] = tcp.B;
results["noise_handshakes_per_second"] = await NoiseBench.HandshakesPerSecondAsync(TimeSpan.FromSeconds(handshakeSeconds), serverIdentity, clientIdentity);

double Ratio(string a, string b) => results[a] / results[b];
results["ratio_boxstream_encrypt_vs_secretbox"] = Ratio("boxstream_encrypt_1core_MBps", "secretbox_1core_MBps");
results["ratio_boxstream_tcp_vs_raw_tcp"] = Ratio("boxstream_tcp_MBps", "raw_tcp_MBps");
results["ratio_boxstream_tcp_vs_secretbox"] = Ratio("boxstream_tcp_MBps", "secretbox_1core_MBps");
results["ratio_mux_over_shs_vs_boxstream_tcp"] = Ratio("mux_over_shs_tcp_MBps", "boxstream_tcp_MBps");
results["ratio_noise_encrypt_vs_chachapoly"] = enc.Ratio;
results["ratio_noise_decrypt_vs_chachapoly"] = dec.Ratio;
results["ratio_noise_tcp_vs_raw_tcp"] = tcp.Ratio;
results["ratio_noise_tcp_vs_chachapoly"] = Ratio("noise_tcp_MBps", "chachapoly_encrypt_1core_MBps");
results["ratio_noise_tcp_vs_boxstream_tcp"] = box.Ratio;
results["ratio_mux_over_noise_vs_raw_tcp"] = mux.Ratio;
results["ratio_noise_vs_shs_handshakes"] = Ratio("noise_handshakes_per_second", "handshakes_per_second");

await ReportAsync(results, jsonPath, width: 42);

Console.WriteLine();
Console.WriteLine($"target: box-stream >= 0.8x secretbox (one core): {results["ratio_boxstream_encrypt_vs_secretbox"]:0.00}x " +
    (results["ratio_boxstream_encrypt_vs_secretbox"] >= 0.8 ? "MET" : "NOT MET"));
Console.WriteLine($"target: noise stream >= 0.8x ChaCha20-Poly1305 (one core): encrypt {results["ratio_noise_encrypt_vs_chachapoly"]:0.00}x, " +
    $"decrypt {results["ratio_noise_decrypt_vs_chachapoly"]:0.00}x " +
    (Math.Min(results["ratio_noise_encrypt_vs_chachapoly"], results["ratio_noise_decrypt_vs_chachapoly"]) >= 0.8 ? "MET" : "NOT MET"));
Console.WriteLine($"target: mux over noise >= 0.5x raw TCP: {results["ratio_mux_over_noise_vs_raw_tcp"]:0.00}x " +
    (results["ratio_mux_over_noise_vs_raw_tcp"] >= 0.5 ? "MET" : "NOT MET"));
Console.WriteLine($"AEAD alone (one core): ChaCha20-Poly1305 on 65 024- vs 65 519-byte messages {results["ratio_chachapoly_65024B_vs_65519B_messages"]:0.00}x; " +
    $"AES-256-GCM vs ChaCha20-Poly1305 encrypt {results["ratio_aesgcm_vs_chachapoly_encrypt"]:0.00}x, decrypt {results["ratio_aesgcm_vs_chachapoly_decrypt"]:0.00}x");
Console.WriteLine($"load at the end: {LoadAverage()}");
return 0;

// ------------------------------------------------------------------------------------------------

Task<double> SecretBoxOnlyAsync(long bytes)
{
    byte[] key = RandomNumberGenerator.GetBytes(32);
    byte[] nonce = new byte[24];
    byte[] plain = RandomNumberGenerator.GetBytes(4096);
    byte[] cipher = new byte[4096];
    byte[] mac = new byte[16];
    var sw = Stopwatch.StartNew();
    for (long done = 0; done < bytes; done += plain.Length)
    {
        SecretBox.EncryptDetached(plain, nonce, key, cipher, mac);
        nonce[23]++;
    }

    return Task.FromResult(MBps(bytes, sw.Elapsed));
}

async Task<double> BoxStreamEncryptOnlyAsync(long bytes)
{
    var (clientSocket, serverSocket) = await ConnectTcpAsync();
    var clientInner = new DiscardingStream(new NetworkStream(clientSocket, ownsSocket: true));
    var serverInner = new NetworkStream(serverSocket, ownsSocket: true);
    Task<BoxStream> serverTask = SecretHandshake.ServerAsync(serverInner, networkKey, serverIdentity, SecretHandshake.AllowAnyClient).AsTask();
    await using BoxStream client = await SecretHandshake.ClientAsync(clientInner, networkKey, clientIdentity, serverIdentity.PublicKey);
    await using BoxStream server = await serverTask;
    clientInner.Discard = true;
    byte[] data = RandomNumberGenerator.GetBytes(64 * 1024);
    var sw = Stopwatch.StartNew();
    for (long done = 0; done < bytes; done += data.Length)
    {
        client.Write(data);
    }

    return MBps(bytes, sw.Elapsed);
}

async Task<double> TcpAsync(long bytes, Layer layer)
{
    var (clientSocket, serverSocket) = await ConnectTcpAsync();
    Stream clientStream = new NetworkStream(clientSocket, ownsSocket: true);
    Stream serverStream = new NetworkStream(serverSocket, ownsSocket: true);
    MuxSession? clientSession = null;
    MuxSession? serverSession = null;
    if (layer is Layer.Noise or Layer.MuxOverNoise)
    {
        Task<NoiseStream> responding = NoiseHandshake.ResponderAsync(serverStream, serverIdentity, NoiseHandshake.AllowAnyInitiator).AsTask();
        clientStream = await NoiseHandshake.InitiatorAsync(clientStream, clientIdentity, serverIdentity.PublicKey);
        serverStream = await responding;
    }
    else if (layer != Layer.None)
    {
        Task<BoxStream> serverTask = SecretHandshake.ServerAsync(serverStream, networkKey, serverIdentity, SecretHandshake.AllowAnyClient).AsTask();
        clientStream = await SecretHandshake.ClientAsync(clientStream, networkKey, clientIdentity, serverIdentity.PublicKey);
        serverStream = await serverTask;
    }

    if (layer is Layer.MuxOverShs or Layer.MuxOverNoise)
    {
        clientSession = MuxSession.CreateClient(clientStream);
        serverSession = MuxSession.CreateServer(serverStream);
        MuxStream opened = await clientSession.OpenStreamAsync();
        MuxStream accepted = await serverSession.AcceptStreamAsync();
        clientStream = opened;
        serverStream = accepted;
    }

    byte[] data = RandomNumberGenerator.GetBytes(64 * 1024);
    var sw = Stopwatch.StartNew();
    Task<long> reader = Task.Run(() => ReadUpToAsync(serverStream, bytes));
    await WriteRepeatedAsync(clientStream, data, bytes);
    long got = await reader;
    TimeSpan elapsed = sw.Elapsed;
    if (got != bytes)
    {
        throw new InvalidOperationException($"received {got} of {bytes} bytes");
    }

    await clientStream.DisposeAsync();
    await serverStream.DisposeAsync();
    if (clientSession is not null)
    {
        await clientSession.DisposeAsync();
    }

    if (serverSession is not null)
    {
        await serverSession.DisposeAsync();
    }

    return MBps(bytes, elapsed);
}

async Task<double> HandshakesPerSecondAsync(TimeSpan duration)
{
    using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    listener.Listen(128);
    var endPoint = (IPEndPoint)listener.LocalEndPoint!;
    int count = 0;
    var sw = Stopwatch.StartNew();
    while (sw.Elapsed < duration)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Task<Socket> accept = listener.AcceptAsync();
        await client.ConnectAsync(endPoint);
        Socket server = await accept;
        server.NoDelay = true;
        Task<BoxStream> serverTask = SecretHandshake.ServerAsync(new NetworkStream(server, ownsSocket: true), networkKey, serverIdentity, SecretHandshake.AllowAnyClient).AsTask();
        BoxStream c = await SecretHandshake.ClientAsync(new NetworkStream(client, ownsSocket: true), networkKey, clientIdentity, serverIdentity.PublicKey);
        BoxStream s = await serverTask;
        await c.DisposeAsync();
        await s.DisposeAsync();
        count++;
    }

    return count / sw.Elapsed.TotalSeconds;
}

internal enum Layer
{
    None,
    Shs,
    MuxOverShs,
    Noise,
    MuxOverNoise,
}
