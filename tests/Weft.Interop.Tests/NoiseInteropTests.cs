using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Weft.Crypto.Keys;
using Weft.Security;
using Weft.Security.Layers;
using Weft.Testing;
using Weft.Transports;
using Weft.Transports.Registry;

namespace Weft.Interop.Tests;

/// <summary>
/// The <c>noise</c> layer against <c>interop/go-noise</c> (our own small peer on github.com/flynn/noise from Debian) in
/// both roles: the handshake, then 64 MiB each way checked by SHA-256 on both ends; refusals seen from both sides; a run
/// of more messages than the rekey interval; and the golden vectors of Weft.Security.Tests re-derived by the Go peer.
/// Each side sends the pattern byte(i*7 + 3 mod 251) then its close message, while it reads the other's.
/// </summary>
[Collection("real peers")]
public sealed class NoiseInteropTests
{
    private const long BigBytes = 64L << 20;

    private static readonly byte[] s_networkKey = SHA256.HashData("weft-noise-interop"u8);

    [Fact(Timeout = 120_000)]
    public async Task GoInitiator_WeftResponder_64MiBEachWay_HashesMatchAndKeysAuthenticated()
    {
        CancellationToken ct = TestTimeout.Token(110);
        using var server = Ed25519Identity.Generate();
        using Ed25519Identity client = Seeded(out string clientSeed);
        await using WeftNoiseServer weft = await WeftNoiseServer.StartAsync(server, s_networkKey, NoiseHandshake.AllowAnyInitiator, BigBytes, ct);

        PeerResult result = await PeerProcess.RunAsync(
            PeerPrograms.GoNoise,
            ["client", "--connect", weft.EndPoint, "--seed", clientSeed, "--server-key", server.PublicKey.ToString(),
             "--network-key", Convert.ToBase64String(s_networkKey), "--bytes", Inv(BigBytes), "--timeout", "90"],
            TimeSpan.FromSeconds(100),
            ct);

        Assert.True(result.Ok, result.Describe("Go initiator → Weft responder"));
        Assert.Equal(BigBytes, (long)result.Number("received"));
        Assert.Equal(PatternSha256(BigBytes), Str(result, "sha256"));
        (TransportConnection accepted, long length, string hash, byte[] binding) = await weft.Result.Task.WaitAsync(ct);
        Assert.Equal(ConnectionAuthentication.Authenticated, accepted.Authentication);
        Assert.Equal(client.PublicKey.ToString(), accepted.PeerIdentity);
        Assert.Equal(BigBytes, length);
        Assert.Equal(PatternSha256(BigBytes), hash);
        Assert.Equal(Convert.ToHexStringLower(binding), Str(result, "handshake_hash"));
    }

    [Fact(Timeout = 120_000)]
    public async Task WeftInitiator_GoResponder_64MiBEachWay_HashesMatchAndKeysAuthenticated()
    {
        CancellationToken ct = TestTimeout.Token(110);
        using Ed25519Identity server = Seeded(out string serverSeed);
        using var client = Ed25519Identity.Generate();
        await using PeerProcess go = await PeerProcess.StartServerAsync(
            PeerPrograms.GoNoise,
            ["--seed", serverSeed, "--allow", client.PublicKey.ToString(), "--network-key", Convert.ToBase64String(s_networkKey),
             "--bytes", Inv(BigBytes), "--timeout", "90"],
            cancellationToken: ct);

        (long length, string hash, NoiseStream stream) = await DialAndExchangeAsync(go.Endpoint, client, server.PublicKey, s_networkKey, BigBytes, ct);
        await using (stream)
        {
            Assert.Equal(BigBytes, length);
            Assert.Equal(PatternSha256(BigBytes), hash);
            JsonElement ev = await go.WaitForEventAsync(e => e.TryGetProperty("event", out _), TimeSpan.FromSeconds(30), ct);
            Assert.True(ev.GetProperty("ok").GetBoolean(), ev.ToString());
            Assert.Equal(client.PublicKey.ToString(), ev.GetProperty("peer").GetString());
            Assert.Equal(BigBytes, ev.GetProperty("received").GetInt64());
            Assert.Equal(PatternSha256(BigBytes), ev.GetProperty("sha256").GetString());
            Assert.Equal(Convert.ToHexStringLower(stream.GetHandshakeHash()), ev.GetProperty("handshake_hash").GetString());
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task BothWays_MoreMessagesThanTheRekeyInterval_FlynnRekeyAgrees()
    {
        // The Go peer sends 100 000 two-byte messages (its cipher rekeyed by flynn/noise's Rekey after 65 536), and
        // reads Weft's 100 000 one-byte writes, each its own message.
        CancellationToken ct = TestTimeout.Token(110);
        using Ed25519Identity server = Seeded(out string serverSeed);
        using var client = Ed25519Identity.Generate();
        const long goBytes = 200_000;
        await using PeerProcess go = await PeerProcess.StartServerAsync(
            PeerPrograms.GoNoise,
            ["--seed", serverSeed, "--allow-any", "--bytes", Inv(goBytes), "--message-size", "2", "--timeout", "90"],
            cancellationToken: ct);

        TransportRegistry registry = TransportRegistry.CreateDefault();
        registry.AddNoise(client);
        await using TransportConnection connection = await registry.DialAsync(Address.Parse($"net:127.0.0.1:{go.Endpoint.Port}~noise:{server.PublicKey}"), ct);
        var stream = (NoiseStream)connection.Stream;
        Task<(long Length, byte[] Sha256)> reading = Patterns_ReadAndHashAsync(stream, ct);
        const int weftMessages = 100_000;
        for (int i = 0; i < weftMessages; i++)
        {
            stream.WriteByte(PatternAt(i));
        }

        await stream.CompleteWritesAsync(ct);
        (long length, byte[] hash) = await reading;
        Assert.Equal(goBytes, length);
        Assert.Equal(PatternSha256(goBytes), Convert.ToHexStringLower(hash));
        JsonElement ev = await go.WaitForEventAsync(e => e.TryGetProperty("event", out _), TimeSpan.FromSeconds(30), ct);
        Assert.True(ev.GetProperty("ok").GetBoolean(), ev.ToString());
        Assert.Equal(PatternSha256(weftMessages), ev.GetProperty("sha256").GetString());
    }

    [Fact(Timeout = 60_000)]
    public async Task WeftInitiator_GoResponderRefuses_ClearRejection()
    {
        CancellationToken ct = TestTimeout.Token(50);
        using Ed25519Identity server = Seeded(out string serverSeed);
        using var client = Ed25519Identity.Generate();
        using var someoneElse = Ed25519Identity.Generate();
        await using PeerProcess go = await PeerProcess.StartServerAsync(
            PeerPrograms.GoNoise, ["--seed", serverSeed, "--allow", someoneElse.PublicKey.ToString()], cancellationToken: ct);

        TransportRegistry registry = TransportRegistry.CreateDefault();
        registry.AddNoise(client);
        TransportException failure = await Assert.ThrowsAsync<TransportException>(
            async () => await registry.DialAsync(Address.Parse($"net:127.0.0.1:{go.Endpoint.Port}~noise:{server.PublicKey}"), ct));

        SecureChannelException inner = Assert.IsType<SecureChannelException>(failure.InnerException);
        Assert.Equal(SecureChannelError.HandshakeRejected, inner.Error);
        Assert.Contains("does not authorise this identity", inner.Message, StringComparison.Ordinal);
        JsonElement ev = await go.WaitForEventAsync(e => e.TryGetProperty("event", out _), TimeSpan.FromSeconds(20), ct);
        Assert.False(ev.GetProperty("ok").GetBoolean());
        Assert.Contains("not authorised", ev.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Theory(Timeout = 60_000)]
    [InlineData("unauthorised", 2)]
    [InlineData("wrong-server-key", 1)]
    [InlineData("wrong-network-key", 1)]
    public async Task GoInitiator_WeftResponderRefuses_GoSeesTheReason(string scenario, int refusal)
    {
        CancellationToken ct = TestTimeout.Token(50);
        using var server = Ed25519Identity.Generate();
        using Ed25519Identity client = Seeded(out string clientSeed);
        using var stranger = Ed25519Identity.Generate();
        await using WeftNoiseServer weft = await WeftNoiseServer.StartAsync(
            server, s_networkKey, scenario == "unauthorised" ? (_, _) => ValueTask.FromResult(false) : NoiseHandshake.AllowAnyInitiator, 0, ct);
        string serverKey = scenario == "wrong-server-key" ? stranger.PublicKey.ToString() : server.PublicKey.ToString();
        byte[] networkKey = scenario == "wrong-network-key" ? SHA256.HashData("another network"u8) : s_networkKey;

        PeerResult result = await PeerProcess.RunAsync(
            PeerPrograms.GoNoise,
            ["client", "--connect", weft.EndPoint, "--seed", clientSeed, "--server-key", serverKey,
             "--network-key", Convert.ToBase64String(networkKey), "--timeout", "30"],
            TimeSpan.FromSeconds(40),
            ct);

        Assert.False(result.Ok, result.Describe("should have been refused"));
        Assert.Equal(refusal, (int)result.Number("refusal"));
        SecureChannelException weftSide = Assert.IsType<SecureChannelException>(
            Assert.IsType<TransportException>(await weft.LayerError.Task.WaitAsync(ct)).InnerException);
        Assert.Equal(
            scenario == "unauthorised" ? SecureChannelError.ClientUnauthorized : SecureChannelError.ClientAuthenticationFailed,
            weftSide.Error);
    }

    [Fact(Timeout = 60_000)]
    public async Task GoPeerVectors_StillMatchTheGoldenBytesOfTheUnitTests()
    {
        // Weft.Security.Tests/Noise/NoiseVectors.cs holds these values; the Go peer must still print them.
        CancellationToken ct = TestTimeout.Token(50);
        PeerResult result = await PeerProcess.RunAsync(
            PeerPrograms.GoNoise,
            ["vector", "--init-seed", Hex(0), "--resp-seed", Hex(32), "--init-ephemeral", Hex(64), "--resp-ephemeral", Hex(96),
             "--payloads", "68656c6c6f,776f726c6421,,"],
            TimeSpan.FromSeconds(30),
            ct);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
            "008079a631eede1bf9c98f12032cdeadd0e7a079398fc786b88cc846ec89af85a51ababf6c0a0f39de09b90f8797cd537125f8575f1379dfcf2a77f58aa9428802c81676d5a3b05f1eb2adbff9cb7b4cf5f5cf4a87909046043432abd011854cb28c9258656358aabdf20f98b05f043cf92d82dc460a84355d904d06ea889f428733",
            Str(result, "msg1_frame"));
        Assert.Equal("0030675dd574ed7789310b3d2e7681f3790b466c773b1521fecf36577958371ea52f40aacf002c5ab5dcb7d8cb09cbf486c1", Str(result, "msg2_frame"));
        Assert.Equal("9d5cf1c27fb1e914c7529e577eaddc54a375eb0db7b2a76420d66f09b2ebf5dd", Str(result, "handshake_hash"));
        string[] frames = [.. result.Json!.Value.GetProperty("transport_frames").EnumerateArray().Select(e => e.GetString()!)];
        Assert.Equal(
            ["00154e332ea6a81f72d9c8de724d6368945b1d27692707", "00161a5faee9b55714b3df9efdcaba8e42cfe5cdcc8eb960",
             "0010b8aece5dea822c040f1c1f55d7c5f77a", "00105541dd984a463cdb9f86ee983e1f96dc"],
            frames);
    }

    // ------------------------------------------------------------------------------------------------

    private static async Task<(long Length, string Hash, NoiseStream Stream)> DialAndExchangeAsync(
        IPEndPoint endPoint, Ed25519Identity client, Ed25519PublicKey server, byte[] networkKey, long bytes, CancellationToken ct)
    {
        TransportRegistry registry = TransportRegistry.CreateDefault();
        registry.AddNoise(client, new NoiseLayerOptions { NetworkKey = networkKey });
        TransportConnection connection = await registry.DialAsync(Address.Parse($"net:127.0.0.1:{endPoint.Port}~noise:{server}"), ct);
        Assert.Equal(server.ToString(), connection.PeerIdentity);
        var stream = (NoiseStream)connection.Stream;
        Task<(long Length, byte[] Sha256)> reading = Patterns_ReadAndHashAsync(stream, ct);
        await WritePatternAsync(stream, bytes, ct);
        await stream.CompleteWritesAsync(ct);
        (long length, byte[] hash) = await reading;
        return (length, Convert.ToHexStringLower(hash), stream);
    }

    internal static byte PatternAt(long i) => (byte)(((i * 7) + 3) % 251);

    internal static async Task WritePatternAsync(Stream stream, long total, CancellationToken ct)
    {
        byte[] buffer = new byte[256 * 1024];
        for (long sent = 0; sent < total;)
        {
            int n = (int)Math.Min(buffer.Length, total - sent);
            for (int i = 0; i < n; i++)
            {
                buffer[i] = PatternAt(sent + i);
            }

            await stream.WriteAsync(buffer.AsMemory(0, n), ct);
            sent += n;
        }
    }

    internal static async Task<(long Length, byte[] Sha256)> Patterns_ReadAndHashAsync(Stream stream, CancellationToken ct)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[256 * 1024];
        long total = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer, ct)) > 0)
        {
            sha.AppendData(buffer, 0, n);
            total += n;
        }

        return (total, sha.GetHashAndReset());
    }

    private static string PatternSha256(long total)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[1 << 20];
        for (long done = 0; done < total;)
        {
            int n = (int)Math.Min(buffer.Length, total - done);
            for (int i = 0; i < n; i++)
            {
                buffer[i] = PatternAt(done + i);
            }

            sha.AppendData(buffer, 0, n);
            done += n;
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static Ed25519Identity Seeded(out string seedBase64)
    {
        byte[] seed = RandomNumberGenerator.GetBytes(32);
        seedBase64 = Convert.ToBase64String(seed);
        return Ed25519Identity.FromSeed(seed);
    }

    private static string Str(PeerResult result, string name) =>
        result.Json is { } j && j.TryGetProperty(name, out JsonElement v) ? v.GetString() ?? "" : throw new KeyNotFoundException($"{name} missing: {result.Json}");

    private static string Hex(int first) => Convert.ToHexStringLower([.. Enumerable.Range(first, 32).Select(i => (byte)i)]);

    private static string Inv(long v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A Weft noise listener that runs the exchange on its first connection and records the outcome.</summary>
    private sealed class WeftNoiseServer : IAsyncDisposable
    {
        private readonly MultiAddressServer _server;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        private WeftNoiseServer(MultiAddressServer server, long bytes)
        {
            _server = server;
            Address address = server.GetAddress(AddressScope.Device)!.Alternatives[0];
            EndPoint = address.Transport.Fields[0] + ":" + address.Transport.Fields[1];
            _loop = Task.Run(() => ServeAsync(bytes));
        }

        public string EndPoint { get; }

        public TaskCompletionSource<(TransportConnection Connection, long Length, string Hash, byte[] Binding)> Result { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<Exception> LayerError { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public static async Task<WeftNoiseServer> StartAsync(
            Ed25519Identity identity, byte[] networkKey, Func<Ed25519PublicKey, CancellationToken, ValueTask<bool>> authorize, long bytes, CancellationToken ct)
        {
            TransportRegistry registry = TransportRegistry.CreateDefault();
            registry.AddNoise(identity, new NoiseLayerOptions { NetworkKey = networkKey, Authorize = authorize });
            TaskCompletionSource<Exception>? errors = null;
            var options = new MultiAddressServerOptions
            {
                Listener = new ListenerOptions { OnLayerError = (_, e) => errors?.TrySetResult(e) },
            };
            MultiAddressServer server = await MultiAddressServer.StartAsync(registry, MultiAddress.Parse("net:127.0.0.1:0~noise"), options, ct);
            var weft = new WeftNoiseServer(server, bytes);
            errors = weft.LayerError;
            return weft;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _server.DisposeAsync();
            try
            {
                await _loop;
            }
            catch (OperationCanceledException)
            {
            }

            _stop.Dispose();
        }

        private async Task ServeAsync(long bytes)
        {
            try
            {
                TransportConnection connection = await _server.AcceptAsync(_stop.Token);
                var stream = (NoiseStream)connection.Stream;
                Task<(long Length, byte[] Sha256)> reading = Patterns_ReadAndHashAsync(stream, _stop.Token);
                await WritePatternAsync(stream, bytes, _stop.Token);
                await stream.CompleteWritesAsync(_stop.Token);
                (long length, byte[] hash) = await reading;
                Result.TrySetResult((connection, length, Convert.ToHexStringLower(hash), stream.GetHandshakeHash()));
            }
            catch (Exception e)
            {
                Result.TrySetException(e);
            }
        }
    }
}
