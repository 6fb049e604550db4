using System.Collections.Concurrent;
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
/// The <c>shs</c> address layer against real npm peers: <c>interop/js/multiserver-peer.js</c> (multiserver 3.8.2,
/// secret-handshake 1.1.21) in both roles, over <c>net:…~shs:…</c> and <c>ws://…~shs:…</c>: 64 MiB each way checked
/// by SHA-256, and the three refusals (wrong network key, wrong server key, client not authorised) seen from both
/// sides. Pattern: byte i = (i*7 + 3) mod 251. End of data: over net the sender's goodbye (half-close); over ws the
/// JS client reads the whole echo before its goodbye, because pull-websocket closes the whole WebSocket when a sink
/// ends (see the peer's header comment).
/// </summary>
[Collection("real peers")]
public sealed class MultiserverInteropTests
{
    private const long BigBytes = 64L << 20;
    private const string InstallHint = "Run `sudo scripts/install-deps.sh` from the repository root to install the npm peers.";

    private static readonly byte[] s_networkKey = SHA256.HashData("weft-interop-network"u8);
    private static readonly byte[] s_otherNetworkKey = SHA256.HashData("some-other-network"u8);

    public static TheoryData<string> Transports => ["net", "ws"];

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Transports))]
    public async Task JsClient_WeftServer_64MiBEachWay_EchoVerifiedAndPeerAuthenticated(string transport)
    {
        CancellationToken ct = TestTimeout.Token(110);
        using var server = Ed25519Identity.Generate();
        using var client = Seeded(out string clientSeed);
        await using var weft = await WeftEchoServer.StartAsync(server, s_networkKey, SecretHandshake.AllowAnyClient, ct);

        PeerResult result = await PeerProcess.RunAsync(
            Peer,
            ["client", "--connect", Pick(weft.Address, transport), "--seed", clientSeed, "--app-key", B64(s_networkKey),
             "--bytes", BigBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout", "90"],
            TimeSpan.FromSeconds(100),
            ct);

        Assert.True(result.Ok, result.Describe("multiserver client → Weft server"));
        Assert.Equal(BigBytes, (long)result.Number("bytes"));
        TransportConnection accepted = await weft.FirstConnection.Task.WaitAsync(ct);
        Assert.Equal(ConnectionAuthentication.Authenticated, accepted.Authentication);
        Assert.Equal(client.PublicKey.ToString(), accepted.PeerIdentity);
        Assert.Equal(BigBytes, await weft.FirstEchoed.Task.WaitAsync(ct));
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Transports))]
    public async Task WeftClient_JsServer_64MiBEachWay_EchoVerified(string transport)
    {
        CancellationToken ct = TestTimeout.Token(110);
        using var serverIdentity = Seeded(out string serverSeed);
        using var client = Ed25519Identity.Generate();
        await using PeerProcess js = await StartJsServerAsync(serverSeed, s_networkKey, refuse: null, ct);
        string address = await JsServerAddressAsync(js, ct);
        Assert.Contains("~shs:" + serverIdentity.PublicKey, address, StringComparison.Ordinal);

        TransportRegistry registry = TransportRegistry.CreateDefault();
        registry.AddSecretHandshake(client, s_networkKey);
        await using TransportConnection connection = await registry.DialAsync(Address.Parse(Pick(address, transport)), ct);
        Assert.Equal(ConnectionAuthentication.Authenticated, connection.Authentication);
        Assert.Equal(serverIdentity.PublicKey.ToString(), connection.PeerIdentity);

        Stream stream = connection.Stream;
        Task<(long Length, byte[] Hash)> reading = ReadAndHashAsync(stream, ct);
        await WritePatternAsync(stream, BigBytes, ct);
        await ((IHalfCloseable)stream).CompleteWritesAsync(ct);
        (long length, byte[] hash) = await reading;

        Assert.Equal(BigBytes, length);
        Assert.Equal(Convert.ToHexString(PatternSha256(BigBytes)), Convert.ToHexString(hash));
        await js.WaitForEventAsync(e => Event(e) == "echoed", TimeSpan.FromSeconds(20), ct);
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Transports))]
    public async Task JsClient_WrongNetworkKey_BothSidesReportNetworkKey(string transport)
    {
        RefusalOutcome outcome = await RunJsClientRefusalAsync(transport, s_otherNetworkKey, wrongServerKey: false, authorised: true);
        Assert.Contains("phase 1", outcome.PeerError, StringComparison.Ordinal);
        Assert.Equal(SecureChannelError.NetworkKeyMismatch, outcome.WeftError);
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Transports))]
    public async Task JsClient_WrongServerKey_JsSeesHangupAndWeftSeesFailedAuthentication(string transport)
    {
        RefusalOutcome outcome = await RunJsClientRefusalAsync(transport, s_networkKey, wrongServerKey: true, authorised: true);
        Assert.Contains("server hung up when we sent hello (phase 3)", outcome.PeerError, StringComparison.Ordinal);
        Assert.Equal(SecureChannelError.ClientAuthenticationFailed, outcome.WeftError);
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Transports))]
    public async Task JsClient_NotAuthorised_JsSeesHangupAndWeftSeesUnauthorised(string transport)
    {
        RefusalOutcome outcome = await RunJsClientRefusalAsync(transport, s_networkKey, wrongServerKey: false, authorised: false);
        Assert.Contains("server hung up when we sent hello (phase 3)", outcome.PeerError, StringComparison.Ordinal);
        Assert.Equal(SecureChannelError.ClientUnauthorized, outcome.WeftError);
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Transports))]
    public async Task WeftClient_WrongNetworkKey_BothSidesReportNetworkKey(string transport)
    {
        RefusalOutcome outcome = await RunWeftClientRefusalAsync(transport, s_otherNetworkKey, wrongServerKey: false, refused: false);
        Assert.Equal(SecureChannelError.NetworkKeyMismatch, outcome.WeftError);
        Assert.Contains("client sent invalid challenge (phase 1)", outcome.PeerError, StringComparison.Ordinal);
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Transports))]
    public async Task WeftClient_WrongServerKey_WeftSeesRejectionAndJsSeesWrongNumber(string transport)
    {
        RefusalOutcome outcome = await RunWeftClientRefusalAsync(transport, s_networkKey, wrongServerKey: true, refused: false);
        Assert.Equal(SecureChannelError.HandshakeRejected, outcome.WeftError);
        Assert.Contains("client hello invalid (phase 3)", outcome.PeerError, StringComparison.Ordinal);
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Transports))]
    public async Task WeftClient_RefusedByJsAuthorisation_WeftSeesRejectionAndJsSeesUnauthorised(string transport)
    {
        RefusalOutcome outcome = await RunWeftClientRefusalAsync(transport, s_networkKey, wrongServerKey: false, refused: true);
        Assert.Equal(SecureChannelError.HandshakeRejected, outcome.WeftError);
        Assert.Contains("we did not authorize the client (phase 4)", outcome.PeerError, StringComparison.Ordinal);
    }

    // ------------------------------------------------------------------ helpers

    private sealed record RefusalOutcome(string PeerError, SecureChannelError WeftError);

    private static async Task<RefusalOutcome> RunJsClientRefusalAsync(string transport, byte[] clientNetworkKey, bool wrongServerKey, bool authorised)
    {
        CancellationToken ct = TestTimeout.Token(50);
        using var server = Ed25519Identity.Generate();
        using var client = Seeded(out string clientSeed);
        await using var weft = await WeftEchoServer.StartAsync(
            server, s_networkKey, (_, _) => ValueTask.FromResult(authorised), ct);
        string address = Pick(weft.Address, transport);
        if (wrongServerKey)
        {
            using var stranger = Ed25519Identity.Generate();
            address = address.Replace(server.PublicKey.ToString(), stranger.PublicKey.ToString(), StringComparison.Ordinal);
        }

        PeerResult result = await PeerProcess.RunAsync(
            Peer,
            ["client", "--connect", address, "--seed", clientSeed, "--app-key", B64(clientNetworkKey), "--bytes", "1024", "--timeout", "20"],
            TimeSpan.FromSeconds(30),
            ct);
        Assert.False(result.Ok, result.Describe("a refused multiserver client"));
        Assert.NotNull(result.Error);
        Exception layerError = await weft.FirstLayerError.Task.WaitAsync(ct);
        return new RefusalOutcome(result.Error!, FindSecureChannelError(layerError));
    }

    private static async Task<RefusalOutcome> RunWeftClientRefusalAsync(string transport, byte[] clientNetworkKey, bool wrongServerKey, bool refused)
    {
        CancellationToken ct = TestTimeout.Token(50);
        using var serverIdentity = Seeded(out string serverSeed);
        using var client = Ed25519Identity.Generate();
        await using PeerProcess js = await StartJsServerAsync(serverSeed, s_networkKey, refused ? client.PublicKey.ToString() : null, ct);
        string address = Pick(await JsServerAddressAsync(js, ct), transport);
        if (wrongServerKey)
        {
            using var stranger = Ed25519Identity.Generate();
            address = address.Replace(serverIdentity.PublicKey.ToString(), stranger.PublicKey.ToString(), StringComparison.Ordinal);
        }

        TransportRegistry registry = TransportRegistry.CreateDefault();
        registry.AddSecretHandshake(client, clientNetworkKey);
        Exception failure = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using TransportConnection connection = await registry.DialAsync(Address.Parse(address), ct);
        });
        JsonElement peerError = await js.WaitForEventAsync(e => Event(e) == "error", TimeSpan.FromSeconds(20), ct);
        return new RefusalOutcome(peerError.GetProperty("error").GetString() ?? "", FindSecureChannelError(failure));
    }

    private static SecureChannelError FindSecureChannelError(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is SecureChannelException secure)
            {
                return secure.Error;
            }
        }

        Assert.Fail($"Expected a SecureChannelException inside: {error}");
        return default;
    }

    /// <summary>The npm multiserver peer; throws <see cref="PeerMissingException"/> (the test fails) when it is not installed.</summary>
    private static PeerProgram Peer
    {
        get
        {
            string jsDir = Path.Combine(PeerPrograms.RepoRoot, "interop", "js");
            string script = Path.Combine(jsDir, "multiserver-peer.js");
            if (!File.Exists(script))
            {
                throw new PeerMissingException("The multiserver peer script interop/js/multiserver-peer.js is missing.");
            }

            foreach (string package in new[] { "multiserver", "secret-handshake", "pull-stream" })
            {
                if (!Directory.Exists(Path.Combine(jsDir, "node_modules", package)))
                {
                    throw new PeerMissingException($"The npm package '{package}' is not installed (interop/js/node_modules/{package} is missing). {InstallHint}");
                }
            }

            return new PeerProgram("multiserver", PeerPrograms.Node, [script]);
        }
    }

    private static async Task<PeerProcess> StartJsServerAsync(string seed, byte[] networkKey, string? refuse, CancellationToken ct)
    {
        List<string> args = ["server", "--seed", seed, "--app-key", B64(networkKey)];
        if (refuse is not null)
        {
            args.AddRange(["--refuse", refuse]);
        }

        PeerProcess js = PeerProcess.Start(Peer, args);
        try
        {
            await js.WaitForEventAsync(e => Event(e) == "listening", TimeSpan.FromSeconds(20), ct);
            return js;
        }
        catch
        {
            await js.DisposeAsync();
            throw;
        }
    }

    private static async Task<string> JsServerAddressAsync(PeerProcess js, CancellationToken ct)
    {
        JsonElement listening = await js.WaitForEventAsync(e => Event(e) == "listening", TimeSpan.FromSeconds(20), ct);
        return listening.GetProperty("address").GetString()!;
    }

    private static string? Event(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("event", out JsonElement v) ? v.GetString() : null;

    /// <summary>The alternative of <paramref name="multiAddress"/> whose transport is <paramref name="transport"/>.</summary>
    private static string Pick(string multiAddress, string transport) =>
        MultiAddress.Parse(multiAddress).Alternatives.Single(a => a.Transport.Name == transport).ToString();

    private static Ed25519Identity Seeded(out string seedBase64)
    {
        byte[] seed = RandomNumberGenerator.GetBytes(32);
        seedBase64 = B64(seed);
        return Ed25519Identity.FromSeed(seed);
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes);

    // The JS peers' pattern: byte i = (i*7 + 3) mod 251. One block covers any 64 KiB slice at offset mod 251.
    private const int Chunk = 64 * 1024;
    private static readonly byte[] s_block = [.. Enumerable.Range(0, Chunk + 251).Select(i => (byte)((i * 7 + 3) % 251))];

    private static async Task WritePatternAsync(Stream stream, long total, CancellationToken ct)
    {
        for (long sent = 0; sent < total;)
        {
            int n = (int)Math.Min(Chunk, total - sent);
            await stream.WriteAsync(s_block.AsMemory((int)(sent % 251), n), ct);
            sent += n;
        }

        await stream.FlushAsync(ct);
    }

    private static byte[] PatternSha256(long total)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (long off = 0; off < total; off += Chunk)
        {
            hash.AppendData(s_block, (int)(off % 251), (int)Math.Min(Chunk, total - off));
        }

        return hash.GetHashAndReset();
    }

    private static async Task<(long Length, byte[] Hash)> ReadAndHashAsync(Stream stream, CancellationToken ct)
    {
        await Task.Yield();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[Chunk];
        long length = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer, ct)) > 0)
        {
            hash.AppendData(buffer, 0, n);
            length += n;
        }

        return (length, hash.GetHashAndReset());
    }

    /// <summary>A Weft <c>net+shs;ws+shs</c> server that echoes every connection until the peer's goodbye.</summary>
    private sealed class WeftEchoServer : IAsyncDisposable
    {
        private readonly MultiAddressServer _server;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _acceptLoop;
        private readonly ConcurrentBag<Task> _echoes = [];

        private WeftEchoServer(MultiAddressServer server)
        {
            _server = server;
            Address = server.GetAddress(AddressScope.Device)!.ToString();
            _acceptLoop = Task.Run(AcceptLoopAsync);
        }

        public string Address { get; }

        public TaskCompletionSource<TransportConnection> FirstConnection { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<long> FirstEchoed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<Exception> FirstLayerError { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public static async Task<WeftEchoServer> StartAsync(
            Ed25519Identity identity, byte[] networkKey, Func<Ed25519PublicKey, CancellationToken, ValueTask<bool>> authorize, CancellationToken ct)
        {
            TransportRegistry registry = TransportRegistry.CreateDefault();
            registry.AddSecretHandshake(identity, networkKey, authorize);
            TaskCompletionSource<Exception> layerError = new(TaskCreationOptions.RunContinuationsAsynchronously);
            var options = new MultiAddressServerOptions
            {
                Listener = new ListenerOptions { OnLayerError = (_, e) => layerError.TrySetResult(e) },
            };
            MultiAddressServer server = await MultiAddressServer.StartAsync(
                registry, MultiAddress.Parse("net:127.0.0.1:0~shs;ws://127.0.0.1:0~shs"), options, ct);
            var echo = new WeftEchoServer(server);
            _ = layerError.Task.ContinueWith(t => echo.FirstLayerError.TrySetResult(t.Result), TaskScheduler.Default);
            return echo;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _server.DisposeAsync();
            await _acceptLoop;
            await Task.WhenAll(_echoes);
            _stop.Dispose();
        }

        private async Task AcceptLoopAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TransportConnection connection;
                try
                {
                    connection = await _server.AcceptAsync(_stop.Token);
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (ObjectDisposedException)
                {
                    return;
                }

                FirstConnection.TrySetResult(connection);
                _echoes.Add(EchoAsync(connection));
            }
        }

        private async Task EchoAsync(TransportConnection connection)
        {
            await using (connection)
            {
                byte[] buffer = new byte[Chunk];
                long echoed = 0;
                try
                {
                    int n;
                    while ((n = await connection.Stream.ReadAsync(buffer, _stop.Token)) > 0)
                    {
                        await connection.Stream.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
                        echoed += n;
                    }

                    await ((IHalfCloseable)connection.Stream).CompleteWritesAsync(_stop.Token);
                }
                catch (Exception) when (echoed > 0)
                {
                    // Over ws the JS client may hang up right after its goodbye; everything was echoed by then.
                }
                catch (Exception e)
                {
                    FirstEchoed.TrySetException(e);
                    return;
                }

                FirstEchoed.TrySetResult(echoed);
            }
        }
    }
}
