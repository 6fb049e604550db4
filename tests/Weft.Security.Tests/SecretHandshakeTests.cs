using System.Net.Sockets;
using System.Security.Cryptography;
using Weft.Crypto.Keys;

namespace Weft.Security.Tests;

public sealed class SecretHandshakeTests
{
    [Fact]
    public async Task Handshake_MultiserverFixture_ExchangesDataBothWaysAndEndsCleanly()
    {
        using var cts = TestStreams.Timeout();
        (NetworkStream c, NetworkStream s) = await TestStreams.TcpPairAsync(cts.Token);
        using Ed25519Identity server = Fixtures.ServerIdentity();
        using Ed25519Identity client = Ed25519Identity.Generate();
        Assert.Equal(Fixtures.ServerPublicKey, server.PublicKey.ToString());
        Ed25519PublicKey? seenByServer = null;

        Task<BoxStream> serverTask = SecretHandshake.ServerAsync(
            s, Fixtures.NetworkKey, server, (key, _) => { seenByServer = key; return ValueTask.FromResult(true); }, Fixtures.Options(), cts.Token).AsTask();
        await using BoxStream clientBox = await SecretHandshake.ClientAsync(
            c, Fixtures.NetworkKey, client, Ed25519PublicKey.Parse(Fixtures.ServerPublicKey), Fixtures.Options(), cts.Token);
        await using BoxStream serverBox = await serverTask;

        Assert.Equal(server.PublicKey, clientBox.RemotePublicKey);
        Assert.Equal(client.PublicKey, serverBox.RemotePublicKey);
        Assert.Equal(client.PublicKey, seenByServer);

        await clientBox.WriteAsync("ping"u8.ToArray(), cts.Token);
        await clientBox.CompleteWritesAsync(cts.Token);
        Assert.Equal("ping"u8.ToArray(), await Fixtures.ReadToEndAsync(serverBox, cts.Token));

        // Half-close: the server can still answer after the client's goodbye.
        await serverBox.WriteAsync("pong"u8.ToArray(), cts.Token);
        await serverBox.CompleteWritesAsync(cts.Token);
        Assert.Equal("pong"u8.ToArray(), await Fixtures.ReadToEndAsync(clientBox, cts.Token));
    }

    [Fact]
    public async Task Handshake_SessionKeys_MirrorEachOther()
    {
        using var cts = TestStreams.Timeout();
        (NetworkStream c, NetworkStream s) = await TestStreams.TcpPairAsync(cts.Token);
        using Ed25519Identity server = Ed25519Identity.Generate();
        using Ed25519Identity client = Ed25519Identity.Generate();

        Task<SessionKeys> serverTask = SecretHandshake.ServerHandshakeAsync(
            s, Fixtures.NetworkKey, server, SecretHandshake.AllowAnyClient, Fixtures.Options(), cts.Token).AsTask();
        using SessionKeys clientKeys = await SecretHandshake.ClientHandshakeAsync(
            c, Fixtures.NetworkKey, client, server.PublicKey, Fixtures.Options(), cts.Token);
        using SessionKeys serverKeys = await serverTask;

        Assert.Equal(clientKeys.EncryptKey, serverKeys.DecryptKey);
        Assert.Equal(clientKeys.EncryptNonce, serverKeys.DecryptNonce);
        Assert.Equal(clientKeys.DecryptKey, serverKeys.EncryptKey);
        Assert.Equal(clientKeys.DecryptNonce, serverKeys.EncryptNonce);
        Assert.NotEqual(clientKeys.EncryptKey, clientKeys.DecryptKey);
        c.Dispose();
        s.Dispose();
    }

    [Fact]
    public async Task Transfer_8MiBEachWaySimultaneously_Sha256Matches()
    {
        using var cts = TestStreams.Timeout(120);
        (BoxStream clientBox, BoxStream serverBox) = await ConnectAsync(cts.Token);
        await using (clientBox)
        await using (serverBox)
        {
            byte[] up = RandomNumberGenerator.GetBytes(8 << 20);
            byte[] down = RandomNumberGenerator.GetBytes(8 << 20);

            Task<byte[]> serverReceives = Fixtures.ReadToEndAsync(serverBox, cts.Token);
            Task<byte[]> clientReceives = Fixtures.ReadToEndAsync(clientBox, cts.Token);
            Task clientSends = SendInRandomPiecesAsync(clientBox, up, cts.Token);
            Task serverSends = SendInRandomPiecesAsync(serverBox, down, cts.Token);
            await Task.WhenAll(clientSends, serverSends);

            Assert.Equal(SHA256.HashData(up), SHA256.HashData(await serverReceives));
            Assert.Equal(SHA256.HashData(down), SHA256.HashData(await clientReceives));
        }
    }

    [Fact]
    public async Task Transfer_SyncApi_RoundTrips()
    {
        using var cts = TestStreams.Timeout();
        (BoxStream clientBox, BoxStream serverBox) = await ConnectAsync(cts.Token);
        using (clientBox)
        using (serverBox)
        {
            byte[] data = RandomNumberGenerator.GetBytes(100_000);
            Task reader = Task.Run(
                () =>
                {
                    using var received = new MemoryStream();
                    serverBox.CopyTo(received);
                    Assert.Equal(data, received.ToArray());
                },
                cts.Token);

            clientBox.Write(data, 0, data.Length);
            clientBox.Flush();
            clientBox.CompleteWrites();
            await reader.WaitAsync(cts.Token);
        }
    }

    [Fact]
    public async Task ReadAsync_CancelledWhileWaiting_CanBeRetriedWithoutLosingData()
    {
        using var cts = TestStreams.Timeout();
        (BoxStream clientBox, BoxStream serverBox) = await ConnectAsync(cts.Token);
        await using (clientBox)
        await using (serverBox)
        {
            var buffer = new byte[100];
            using (var shortWait = CancellationTokenSource.CreateLinkedTokenSource(cts.Token))
            {
                shortWait.CancelAfter(200);
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await serverBox.ReadAsync(buffer, shortWait.Token));
            }

            await clientBox.WriteAsync("after cancel"u8.ToArray(), cts.Token);
            int n = await serverBox.ReadAsync(buffer, cts.Token);

            Assert.Equal("after cancel"u8.ToArray(), buffer.AsSpan(0, n).ToArray());
        }
    }

    [Fact]
    public async Task Handshake_WrongNetworkKey_BothSidesReportNetworkKeyMismatch()
    {
        using var cts = TestStreams.Timeout();
        byte[] otherKey = RandomNumberGenerator.GetBytes(32);
        using Ed25519Identity server = Ed25519Identity.Generate();
        using Ed25519Identity client = Ed25519Identity.Generate();

        (Exception? clientError, Exception? serverError) = await RunBothAsync(
            s => SecretHandshake.ServerAsync(s, Fixtures.NetworkKey, server, SecretHandshake.AllowAnyClient, Fixtures.Options(), cts.Token),
            c => SecretHandshake.ClientAsync(c, otherKey, client, server.PublicKey, Fixtures.Options(), cts.Token),
            cts.Token);

        AssertError(SecureChannelError.NetworkKeyMismatch, serverError, "msg1");
        AssertError(SecureChannelError.NetworkKeyMismatch, clientError, "network key");
    }

    [Fact]
    public async Task ClientAsync_ReplyWithBadHmac_ReportsNetworkKeyMismatch()
    {
        using var cts = TestStreams.Timeout();
        (NetworkStream c, NetworkStream s) = await TestStreams.TcpPairAsync(cts.Token);
        using Ed25519Identity client = Ed25519Identity.Generate();
        using Ed25519Identity server = Ed25519Identity.Generate();
        using var rawServer = s;

        Task<BoxStream> handshake = SecretHandshake.ClientAsync(c, Fixtures.NetworkKey, client, server.PublicKey, Fixtures.Options(), cts.Token).AsTask();
        await s.ReadExactlyAsync(new byte[64], cts.Token);
        await s.WriteAsync(RandomNumberGenerator.GetBytes(64), cts.Token);

        var e = await Assert.ThrowsAsync<SecureChannelException>(() => handshake);
        Assert.Equal(SecureChannelError.NetworkKeyMismatch, e.Error);
        Assert.Contains("msg2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handshake_ClientDialsWrongServerKey_ServerFailsMsg3AndClientIsRejected()
    {
        using var cts = TestStreams.Timeout();
        using Ed25519Identity server = Ed25519Identity.Generate();
        using Ed25519Identity impostorKey = Ed25519Identity.Generate();
        using Ed25519Identity client = Ed25519Identity.Generate();

        (Exception? clientError, Exception? serverError) = await RunBothAsync(
            s => SecretHandshake.ServerAsync(s, Fixtures.NetworkKey, server, SecretHandshake.AllowAnyClient, Fixtures.Options(), cts.Token),
            c => SecretHandshake.ClientAsync(c, Fixtures.NetworkKey, client, impostorKey.PublicKey, Fixtures.Options(), cts.Token),
            cts.Token);

        AssertError(SecureChannelError.ClientAuthenticationFailed, serverError, "msg3");
        AssertError(SecureChannelError.HandshakeRejected, clientError, "not the public key that was dialled");
    }

    [Fact]
    public async Task ClientAsync_ServerWithoutTheDialledKeyAnswersMsg3_ReportsServerAuthenticationFailed()
    {
        using var cts = TestStreams.Timeout();
        (NetworkStream c, NetworkStream s) = await TestStreams.TcpPairAsync(cts.Token);
        using Ed25519Identity client = Ed25519Identity.Generate();
        using Ed25519Identity dialled = Ed25519Identity.Generate();
        using Ed25519Identity impostor = Ed25519Identity.Generate();
        using var rawServer = s;
        using var impostorState = new ServerHandshake(Fixtures.NetworkKey, impostor);

        Task<BoxStream> handshake = SecretHandshake.ClientAsync(c, Fixtures.NetworkKey, client, dialled.PublicKey, Fixtures.Options(), cts.Token).AsTask();
        var buffer = new byte[112];
        await s.ReadExactlyAsync(buffer.AsMemory(0, 64), cts.Token);
        impostorState.ReadMsg1(buffer);
        impostorState.WriteMsg2(buffer);
        await s.WriteAsync(buffer.AsMemory(0, 64), cts.Token);
        await s.ReadExactlyAsync(buffer, cts.Token);
        await s.WriteAsync(RandomNumberGenerator.GetBytes(80), cts.Token);

        var e = await Assert.ThrowsAsync<SecureChannelException>(() => handshake);
        Assert.Equal(SecureChannelError.ServerAuthenticationFailed, e.Error);
        Assert.Contains("msg4", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handshake_AuthorizeReturnsFalse_ServerReportsUnauthorizedAndClientIsRejected()
    {
        using var cts = TestStreams.Timeout();
        using Ed25519Identity server = Ed25519Identity.Generate();
        using Ed25519Identity client = Ed25519Identity.Generate();
        int calls = 0;

        (Exception? clientError, Exception? serverError) = await RunBothAsync(
            s => SecretHandshake.ServerAsync(
                s, Fixtures.NetworkKey, server, (_, _) => { calls++; return ValueTask.FromResult(false); }, Fixtures.Options(), cts.Token),
            c => SecretHandshake.ClientAsync(c, Fixtures.NetworkKey, client, server.PublicKey, Fixtures.Options(), cts.Token),
            cts.Token);

        Assert.Equal(1, calls);
        AssertError(SecureChannelError.ClientUnauthorized, serverError, "authorisation");
        AssertError(SecureChannelError.HandshakeRejected, clientError, "refused");
    }

    [Fact]
    public async Task ServerAsync_SilentClient_TimesOutAndDisposesStream()
    {
        using var cts = TestStreams.Timeout();
        (NetworkStream c, NetworkStream s) = await TestStreams.TcpPairAsync(cts.Token);
        using var silentClient = c;
        using Ed25519Identity server = Ed25519Identity.Generate();
        var started = System.Diagnostics.Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<SecureChannelException>(async () =>
            await SecretHandshake.ServerAsync(s, Fixtures.NetworkKey, server, SecretHandshake.AllowAnyClient, Fixtures.Options(0.3), cts.Token));

        Assert.Equal(SecureChannelError.HandshakeTimeout, e.Error);
        Assert.Contains("timed out", e.Message, StringComparison.Ordinal);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10));
        Assert.Throws<ObjectDisposedException>(() => s.Write([1]));
        Assert.Equal(0, await c.ReadAsync(new byte[1], cts.Token)); // the client sees the connection close
    }

    [Fact]
    public async Task ClientAsync_StreamIgnoringCancellation_StillTimesOut()
    {
        using var cts = TestStreams.Timeout();
        var stubborn = new StubbornStream();
        using Ed25519Identity client = Ed25519Identity.Generate();
        using Ed25519Identity server = Ed25519Identity.Generate();

        Task<BoxStream> handshake = SecretHandshake.ClientAsync(
            stubborn, Fixtures.NetworkKey, client, server.PublicKey, Fixtures.Options(0.3), cts.Token).AsTask();

        var e = await Assert.ThrowsAsync<SecureChannelException>(() => handshake.WaitAsync(cts.Token));
        Assert.Equal(SecureChannelError.HandshakeTimeout, e.Error);
        Assert.True(stubborn.IsDisposed);
    }

    [Fact]
    public async Task ClientAsync_SilentServer_TimesOut()
    {
        using var cts = TestStreams.Timeout();
        (NetworkStream c, NetworkStream s) = await TestStreams.TcpPairAsync(cts.Token);
        using var silentServer = s;
        using Ed25519Identity client = Ed25519Identity.Generate();
        using Ed25519Identity server = Ed25519Identity.Generate();

        var e = await Assert.ThrowsAsync<SecureChannelException>(async () =>
            await SecretHandshake.ClientAsync(c, Fixtures.NetworkKey, client, server.PublicKey, Fixtures.Options(0.3), cts.Token));

        Assert.Equal(SecureChannelError.HandshakeTimeout, e.Error);
    }

    [Fact]
    public async Task ClientAsync_CallerCancels_ThrowsOperationCanceled()
    {
        using var cts = TestStreams.Timeout();
        (NetworkStream c, NetworkStream s) = await TestStreams.TcpPairAsync(cts.Token);
        using var silentServer = s;
        using Ed25519Identity client = Ed25519Identity.Generate();
        using Ed25519Identity server = Ed25519Identity.Generate();
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        caller.CancelAfter(200);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await SecretHandshake.ClientAsync(c, Fixtures.NetworkKey, client, server.PublicKey, Fixtures.Options(), caller.Token));
    }

    [Fact]
    public async Task ServerAsync_ClientHangsUpBeforeHello_ReportsUnexpectedHangup()
    {
        using var cts = TestStreams.Timeout();
        (NetworkStream c, NetworkStream s) = await TestStreams.TcpPairAsync(cts.Token);
        using Ed25519Identity server = Ed25519Identity.Generate();
        await c.WriteAsync(new byte[10], cts.Token);
        c.Dispose();

        var e = await Assert.ThrowsAsync<SecureChannelException>(async () =>
            await SecretHandshake.ServerAsync(s, Fixtures.NetworkKey, server, SecretHandshake.AllowAnyClient, Fixtures.Options(), cts.Token));

        Assert.Equal(SecureChannelError.UnexpectedHangup, e.Error);
        Assert.IsType<EndOfStreamException>(e.InnerException);
    }

    [Fact]
    public async Task Read_PeerClosesConnectionWithoutGoodbye_ThrowsUnexpectedHangup()
    {
        using var cts = TestStreams.Timeout();
        (NetworkStream c, NetworkStream s) = await TestStreams.TcpPairAsync(cts.Token);
        using Ed25519Identity server = Ed25519Identity.Generate();
        using Ed25519Identity client = Ed25519Identity.Generate();
        Task<BoxStream> serverTask = SecretHandshake.ServerAsync(
            s, Fixtures.NetworkKey, server, SecretHandshake.AllowAnyClient, Fixtures.Options(), cts.Token).AsTask();
        BoxStream clientBox = await SecretHandshake.ClientAsync(
            c, Fixtures.NetworkKey, client, server.PublicKey, Fixtures.Options(), cts.Token);
        await using BoxStream serverBox = await serverTask;

        await clientBox.WriteAsync("partial"u8.ToArray(), cts.Token);
        c.Dispose(); // the TCP connection ends, but no goodbye was sent

        var buffer = new byte[100];
        Assert.Equal(7, await serverBox.ReadAsync(buffer, cts.Token));
        var e = await Assert.ThrowsAsync<SecureChannelException>(async () => await serverBox.ReadAsync(buffer, cts.Token));
        Assert.Equal(SecureChannelError.UnexpectedHangup, e.Error);
        Assert.Contains("goodbye", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientAsync_InvalidArguments_ThrowBeforeAnyIo()
    {
        using var cts = TestStreams.Timeout();
        using Ed25519Identity client = Ed25519Identity.Generate();
        var inner = new RecordingStream();

        await Assert.ThrowsAsync<ArgumentException>(async () =>
            await SecretHandshake.ClientAsync(inner, new byte[31], client, client.PublicKey, null, cts.Token));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await SecretHandshake.ClientAsync(inner, new byte[32], client, client.PublicKey, new SecretHandshakeOptions { HandshakeTimeout = TimeSpan.Zero }, cts.Token));

        Assert.Equal(0, inner.Output.Length);
    }

    [Fact]
    public async Task Exceptions_AllHandshakeFailures_NeverContainKeyMaterial()
    {
        using var cts = TestStreams.Timeout();
        using Ed25519Identity server = Fixtures.ServerIdentity();
        using Ed25519Identity client = Ed25519Identity.Generate();
        using Ed25519Identity wrong = Ed25519Identity.Generate();

        (Exception? c1, Exception? s1) = await RunBothAsync(
            s => SecretHandshake.ServerAsync(s, Fixtures.NetworkKey, server, (_, _) => ValueTask.FromResult(false), Fixtures.Options(), cts.Token),
            c => SecretHandshake.ClientAsync(c, Fixtures.NetworkKey, client, server.PublicKey, Fixtures.Options(), cts.Token),
            cts.Token);
        (Exception? c2, Exception? s2) = await RunBothAsync(
            s => SecretHandshake.ServerAsync(s, Fixtures.NetworkKey, server, SecretHandshake.AllowAnyClient, Fixtures.Options(), cts.Token),
            c => SecretHandshake.ClientAsync(c, Fixtures.NetworkKey, client, wrong.PublicKey, Fixtures.Options(), cts.Token),
            cts.Token);

        string[] secrets =
        [
            Convert.ToBase64String(Fixtures.NetworkKey), Convert.ToHexString(Fixtures.NetworkKey),
            Convert.ToBase64String(Fixtures.ServerSeed), Convert.ToHexString(Fixtures.ServerSeed),
            server.PublicKey.ToString(), client.PublicKey.ToString(), wrong.PublicKey.ToString(),
        ];
        foreach (Exception? e in new[] { c1, s1, c2, s2 })
        {
            Assert.NotNull(e);
            foreach (string secret in secrets)
            {
                Assert.DoesNotContain(secret, e.ToString(), StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    private static async Task<(BoxStream Client, BoxStream Server)> ConnectAsync(CancellationToken ct)
    {
        (NetworkStream c, NetworkStream s) = await TestStreams.TcpPairAsync(ct);
        using Ed25519Identity server = Ed25519Identity.Generate();
        using Ed25519Identity client = Ed25519Identity.Generate();
        Task<BoxStream> serverTask = SecretHandshake.ServerAsync(
            s, Fixtures.NetworkKey, server, SecretHandshake.AllowAnyClient, Fixtures.Options(), ct).AsTask();
        BoxStream clientBox = await SecretHandshake.ClientAsync(c, Fixtures.NetworkKey, client, server.PublicKey, Fixtures.Options(), ct);
        return (clientBox, await serverTask);
    }

    private static async Task SendInRandomPiecesAsync(BoxStream box, byte[] data, CancellationToken ct)
    {
        int offset = 0;
        while (offset < data.Length)
        {
            int n = Math.Min(data.Length - offset, Random.Shared.Next(1, 200_000));
            await box.WriteAsync(data.AsMemory(offset, n), ct);
            offset += n;
        }

        await box.CompleteWritesAsync(ct);
    }

    /// <summary>Runs a server and a client handshake against each other and returns each side's failure.</summary>
    private static async Task<(Exception? Client, Exception? Server)> RunBothAsync(
        Func<Stream, ValueTask<BoxStream>> serverSide, Func<Stream, ValueTask<BoxStream>> clientSide, CancellationToken ct)
    {
        (NetworkStream c, NetworkStream s) = await TestStreams.TcpPairAsync(ct);
        Task<Exception?> server = CaptureAsync(() => serverSide(s));
        Task<Exception?> client = CaptureAsync(() => clientSide(c));
        return (await client.WaitAsync(ct), await server.WaitAsync(ct));
    }

    private static async Task<Exception?> CaptureAsync(Func<ValueTask<BoxStream>> handshake)
    {
        try
        {
            await using BoxStream box = await handshake();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private static void AssertError(SecureChannelError expected, Exception? actual, string messagePart)
    {
        var e = Assert.IsType<SecureChannelException>(actual);
        Assert.Equal(expected, e.Error);
        Assert.Contains(messagePart, e.Message, StringComparison.Ordinal);
    }
}
