using System.Net.Sockets;
using System.Text;
using Weft.Crypto.Keys;

namespace Weft.Security.Tests;

/// <summary>
/// shs alone cannot tell a client "your key is refused" from "that server is not the key you dialled": the server
/// hangs up after msg3 in both cases. A Weft server sends a short refusal notice first when it refuses a key it
/// verified, so the client's message names the likely cause.
/// </summary>
public sealed class ShsRefusalNoticeTests
{
    private const string Refused = "refused this client's key";
    private const string WrongKey = "not the public key that was dialled";

    [Fact]
    public async Task UnknownClientKey_ClientIsToldItsKeyWasRefused_NotThatTheServerKeyIsWrong()
    {
        using var cts = TestStreams.Timeout();
        using Ed25519Identity server = Ed25519Identity.Generate();
        using Ed25519Identity client = Ed25519Identity.Generate();

        (Exception? clientError, Exception? serverError) = await RunBothAsync(
            s => SecretHandshake.ServerAsync(s, Fixtures.NetworkKey, server, (_, _) => ValueTask.FromResult(false), Fixtures.Options(), cts.Token),
            c => SecretHandshake.ClientAsync(c, Fixtures.NetworkKey, client, server.PublicKey, Fixtures.Options(), cts.Token),
            cts.Token);

        Assert.Equal(SecureChannelError.ClientUnauthorized, Assert.IsType<SecureChannelException>(serverError).Error);
        var e = Assert.IsType<SecureChannelException>(clientError);
        Assert.Equal(SecureChannelError.HandshakeRejected, e.Error);
        Assert.Contains(Refused, e.Message, StringComparison.Ordinal);
        Assert.Contains("ask the server's operator", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(WrongKey, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongServerKey_ClientIsToldTheServerIsNotTheKeyDialled_NotThatItsKeyWasRefused()
    {
        using var cts = TestStreams.Timeout();
        using Ed25519Identity server = Ed25519Identity.Generate();
        using Ed25519Identity other = Ed25519Identity.Generate();
        using Ed25519Identity client = Ed25519Identity.Generate();

        // The server would refuse this client too, but it never gets that far: msg3 does not verify for it.
        (Exception? clientError, Exception? serverError) = await RunBothAsync(
            s => SecretHandshake.ServerAsync(s, Fixtures.NetworkKey, server, (_, _) => ValueTask.FromResult(false), Fixtures.Options(), cts.Token),
            c => SecretHandshake.ClientAsync(c, Fixtures.NetworkKey, client, other.PublicKey, Fixtures.Options(), cts.Token),
            cts.Token);

        Assert.Equal(SecureChannelError.ClientAuthenticationFailed, Assert.IsType<SecureChannelException>(serverError).Error);
        var e = Assert.IsType<SecureChannelException>(clientError);
        Assert.Equal(SecureChannelError.HandshakeRejected, e.Error);
        Assert.Contains(WrongKey, e.Message, StringComparison.Ordinal);
        Assert.Contains("~shs:", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Refused, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]                                   // silent hang-up (any non-Weft server)
    [InlineData("weft-shs: client key")]               // the notice cut short
    [InlineData("weft-shs: client key refused\nXYZ")]  // the notice with bytes after it
    [InlineData("WEFT-SHS: CLIENT KEY REFUSED\n")]     // not the notice
    public async Task ServerHangsUpAfterMsg3_WithAnythingButTheExactNotice_GivesTheGenericMessage(string sent)
    {
        using var cts = TestStreams.Timeout();
        (NetworkStream c, NetworkStream s) = await TestStreams.TcpPairAsync(cts.Token);
        using Ed25519Identity server = Ed25519Identity.Generate();
        using Ed25519Identity client = Ed25519Identity.Generate();
        using var rawServer = s;
        using var state = new ServerHandshake(Fixtures.NetworkKey, server);

        Task<BoxStream> handshake = SecretHandshake.ClientAsync(c, Fixtures.NetworkKey, client, server.PublicKey, Fixtures.Options(), cts.Token).AsTask();
        var buffer = new byte[112];
        await s.ReadExactlyAsync(buffer.AsMemory(0, 64), cts.Token);
        state.ReadMsg1(buffer);
        state.WriteMsg2(buffer);
        await s.WriteAsync(buffer.AsMemory(0, 64), cts.Token);
        await s.ReadExactlyAsync(buffer, cts.Token);
        await s.WriteAsync(Encoding.ASCII.GetBytes(sent), cts.Token);
        s.Socket.Shutdown(SocketShutdown.Send);

        var e = await Assert.ThrowsAsync<SecureChannelException>(() => handshake);
        Assert.Equal(SecureChannelError.HandshakeRejected, e.Error);
        Assert.Contains(WrongKey, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Refused, e.Message, StringComparison.Ordinal);
    }

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
}
