using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Weft.Bench;
using Weft.Crypto.Keys;
using Weft.Security;

namespace Weft.SecurityBench;

/// <summary>
/// The noise figures of Weft.SecurityBench (docs/benchmarks.md, "Noise"): the in-box ChaCha20-Poly1305 alone on
/// 65 024-byte messages (the largest the noise stream sends), the noise stream's encrypt and decrypt paths on one core
/// over the same data, the AEAD's speed on other message sizes and against AES-256-GCM (why the stream sends 65 024, and
/// why it stays on ChaCha20-Poly1305), and noise handshakes per second. The TCP runs (raw, noise, mux over noise) are in
/// Program.cs with the shs ones.
/// </summary>
internal static class NoiseBench
{
    /// <summary>The largest plaintext the noise stream sends in one message (NoiseWire.SendPlaintextSize): 127 × 512.</summary>
    public const int StreamMessageSize = 65024;

    /// <summary>Noise's largest plaintext (65 535 − 16), which other Noise implementations send.</summary>
    public const int NoiseMaxMessageSize = 65535 - 16;

    private const int WriteSize = 64 * 1024;

    /// <summary>
    /// Runs <paramref name="a"/> and <paramref name="b"/> alternately, <paramref name="rounds"/> times each on
    /// <paramref name="bytes"/> / rounds, so that a load that drifts during the run hits both alike.
    /// </summary>
    /// <returns>The median of each, and the median of the per-round ratios a / b.</returns>
    public static async Task<(double A, double B, double Ratio)> InterleavedAsync(long bytes, int rounds, Func<long, Task<double>> a, Func<long, Task<double>> b)
    {
        long slice = Math.Max(1L << 20, bytes / rounds);
        var aa = new List<double>();
        var bb = new List<double>();
        var ratios = new List<double>();
        for (int i = 0; i < rounds; i++)
        {
            double x = await a(slice);
            double y = await b(slice);
            aa.Add(x);
            bb.Add(y);
            ratios.Add(x / y);
        }

        return (Median(aa), Median(bb), Median(ratios));
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[(n / 2) - 1] + values[n / 2]) / 2;
    }

    /// <summary>
    /// ChaCha20-Poly1305 (or AES-256-GCM) alone, one core, on messages of <paramref name="messageSize"/> bytes: sealing one
    /// source message again and again as the stream does, or opening <paramref name="bytes"/> of ciphertext prepared in
    /// memory first (not timed) into a 256 KiB buffer, as the stream's decrypt run reads its recording: the same data
    /// through the same memory.
    /// </summary>
    public static double AeadOnly(long bytes, bool decrypt, int messageSize = StreamMessageSize, bool aesGcm = false)
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] nonce = new byte[12];
        byte[] plain = RandomNumberGenerator.GetBytes(messageSize);
        byte[] tag = new byte[16];
        using var chacha = new ChaCha20Poly1305(key);
        using var gcm = new AesGcm(key, 16);
        void Seal(ReadOnlySpan<byte> p, Span<byte> c, Span<byte> t)
        {
            if (aesGcm)
            {
                gcm.Encrypt(nonce, p, c, t);
            }
            else
            {
                chacha.Encrypt(nonce, p, c, t);
            }
        }

        if (!decrypt)
        {
            byte[] cipher = new byte[messageSize];
            var sw = Stopwatch.StartNew();
            for (long done = 0; done < bytes; done += messageSize)
            {
                Seal(plain, cipher, tag);
            }

            return bytes / sw.Elapsed.TotalSeconds / 1e6;
        }

        int messages = (int)((bytes + messageSize - 1) / messageSize);
        int frame = messageSize + 16;
        byte[] recorded = GC.AllocateUninitializedArray<byte>(messages * frame);
        for (int i = 0; i < messages; i++)
        {
            BitConverter.TryWriteBytes(nonce.AsSpan(4), (ulong)i);
            Seal(plain, recorded.AsSpan(i * frame, messageSize), recorded.AsSpan((i * frame) + messageSize, 16));
        }

        byte[] destination = new byte[256 * 1024];
        var timer = Stopwatch.StartNew();
        for (int i = 0; i < messages; i++)
        {
            BitConverter.TryWriteBytes(nonce.AsSpan(4), (ulong)i);
            int at = i % 3 * messageSize;
            var ciphertext = recorded.AsSpan(i * frame, messageSize);
            var mac = recorded.AsSpan((i * frame) + messageSize, 16);
            if (aesGcm)
            {
                gcm.Decrypt(nonce, ciphertext, mac, destination.AsSpan(at, messageSize));
            }
            else
            {
                chacha.Decrypt(nonce, ciphertext, mac, destination.AsSpan(at, messageSize));
            }
        }

        return (long)messages * messageSize / timer.Elapsed.TotalSeconds / 1e6;
    }

    /// <summary>NoiseStream.Write of 64 KiB writes into a discarding inner stream after a real handshake, one core.</summary>
    public static async Task<double> EncryptOnlyAsync(long bytes, Ed25519Identity server, Ed25519Identity client)
    {
        var (clientSocket, serverSocket) = await BenchSupport.ConnectTcpAsync();
        var clientInner = new DiscardingStream(new NetworkStream(clientSocket, ownsSocket: true));
        Task<NoiseStream> responding = NoiseHandshake.ResponderAsync(new NetworkStream(serverSocket, ownsSocket: true), server, NoiseHandshake.AllowAnyInitiator).AsTask();
        await using NoiseStream writer = await NoiseHandshake.InitiatorAsync(clientInner, client, server.PublicKey);
        await using NoiseStream peer = await responding;
        clientInner.Discard = true;
        byte[] data = RandomNumberGenerator.GetBytes(WriteSize);
        var sw = Stopwatch.StartNew();
        for (long done = 0; done < bytes; done += data.Length)
        {
            writer.Write(data);
        }

        return bytes / sw.Elapsed.TotalSeconds / 1e6;
    }

    /// <summary>
    /// NoiseStream.Read into 256 KiB buffers of <paramref name="bytes"/> recorded from a real writer (the inner stream
    /// replays memory, so only the decrypt path and its copies are timed), one core.
    /// </summary>
    public static async Task<double> DecryptOnlyAsync(long bytes, Ed25519Identity server, Ed25519Identity client)
    {
        var (clientSocket, serverSocket) = await BenchSupport.ConnectTcpAsync();
        var recorder = new RecordingStream(new NetworkStream(clientSocket, ownsSocket: true));
        var replay = new ReplayStream(new NetworkStream(serverSocket, ownsSocket: true));
        Task<NoiseStream> responding = NoiseHandshake.ResponderAsync(replay, server, NoiseHandshake.AllowAnyInitiator).AsTask();
        await using NoiseStream writer = await NoiseHandshake.InitiatorAsync(recorder, client, server.PublicKey);
        await using NoiseStream reader = await responding;
        recorder.StartRecording();
        byte[] data = RandomNumberGenerator.GetBytes(WriteSize);
        for (long done = 0; done < bytes; done += data.Length)
        {
            writer.Write(data);
        }

        replay.Replay(recorder.Recorded);
        byte[] buffer = new byte[256 * 1024];
        long received = 0;
        var sw = Stopwatch.StartNew();
        while (received < bytes)
        {
            received += reader.Read(buffer);
        }

        return bytes / sw.Elapsed.TotalSeconds / 1e6;
    }

    /// <summary>Sequential full noise handshakes over fresh loopback TCP connections.</summary>
    public static async Task<double> HandshakesPerSecondAsync(TimeSpan duration, Ed25519Identity server, Ed25519Identity client)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(128);
        int count = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < duration)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            Task<Socket> accept = listener.AcceptAsync();
            await socket.ConnectAsync(listener.LocalEndPoint!);
            Socket accepted = await accept;
            accepted.NoDelay = true;
            Task<NoiseStream> responding = NoiseHandshake.ResponderAsync(new NetworkStream(accepted, ownsSocket: true), server, NoiseHandshake.AllowAnyInitiator).AsTask();
            NoiseStream c = await NoiseHandshake.InitiatorAsync(new NetworkStream(socket, ownsSocket: true), client, server.PublicKey);
            NoiseStream s = await responding;
            await c.DisposeAsync();
            await s.DisposeAsync();
            count++;
        }

        return count / sw.Elapsed.TotalSeconds;
    }

    /// <summary>Passes writes to the inner stream until recording starts; then keeps them in memory instead.</summary>
    private sealed class RecordingStream(Stream inner) : PassThroughStream(inner)
    {
        private MemoryStream? _recorded;

        public byte[] Recorded => _recorded!.ToArray();

        public void StartRecording() => _recorded = new MemoryStream();

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_recorded is null)
            {
                Inner.Write(buffer);
            }
            else
            {
                _recorded.Write(buffer);
            }
        }
    }

    /// <summary>Reads from the inner stream until a replay is set; then reads the replayed bytes.</summary>
    private sealed class ReplayStream(Stream inner) : PassThroughStream(inner)
    {
        private MemoryStream? _replay;

        public void Replay(byte[] bytes) => _replay = new MemoryStream(bytes, writable: false);

        public override int Read(Span<byte> buffer) => _replay is null ? Inner.Read(buffer) : _replay.Read(buffer);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            _replay is null ? Inner.ReadAsync(buffer, cancellationToken) : ValueTask.FromResult(_replay.Read(buffer.Span));
    }

    private abstract class PassThroughStream(Stream inner) : Stream
    {
        protected Stream Inner { get; } = inner;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => Inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => Inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer) => Inner.Read(buffer);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => Inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer) => Inner.Write(buffer);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
