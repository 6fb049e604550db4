using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Cli.Control;
using Weft.Cli.Tests.Support;
using Weft.Testing;

namespace Weft.Cli.Tests;

public class ControlEndpointTests
{
    [Theory]
    [InlineData("GET /status HTTP/1.1\r\nHost: x\r\n\r\n", 200)]
    [InlineData("GET / HTTP/1.0\r\n\r\n", 200)]
    [InlineData("GET /status?pretty=1 HTTP/1.1\r\n\r\n", 200)]
    [InlineData("GET /secrets HTTP/1.1\r\n\r\n", 404)]
    [InlineData("POST /status HTTP/1.1\r\n\r\n", 405)]
    [InlineData("GET /status\r\n\r\n", 400)]
    [InlineData("GET status HTTP/1.1\r\n\r\n", 400)]
    [InlineData("\r\n\r\n", 400)]
    [InlineData("GET /status SMTP/1.1\r\n\r\n", 400)]
    [InlineData("GET /st\u0001atus HTTP/1.1\r\n\r\n", 400)]
    public void Route_RequestLines_AnswerTheRightStatus(string request, int expected)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(request);
        int end = ControlProtocol.FindHeadEnd(bytes);
        Assert.True(end > 0);
        Assert.Equal(expected, ControlProtocol.Route(bytes.AsSpan(0, end), out _));
    }

    [Fact]
    public void FindHeadEnd_TruncatedHead_IsNotComplete()
    {
        Assert.Equal(-1, ControlProtocol.FindHeadEnd("GET /status HTTP/1.1\r\nHost: x\r\n"u8));
    }

    [Fact]
    public async Task Server_StatusRequest_AnswersJsonAndSocketIsOwnerOnly()
    {
        using var dir = new TempDirectory();
        string path = dir.File("c.sock");
        await using ControlServer server = await ControlServer.StartAsync(path, () => "{\"ok\":true}"u8.ToArray(), NullLogger.Instance, TestTimeout.Token());

        byte[] body = await ControlClient.GetStatusAsync(path, TestTimeout.Token());

        Assert.Equal("{\"ok\":true}", Encoding.UTF8.GetString(body));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task Server_Dispose_RemovesTheSocketFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("c.sock");
        ControlServer server = await ControlServer.StartAsync(path, () => "{}"u8.ToArray(), NullLogger.Instance, TestTimeout.Token());
        Assert.True(File.Exists(path));

        await server.DisposeAsync();

        Assert.False(File.Exists(path));
        await Assert.ThrowsAsync<IOException>(() => ControlClient.GetStatusAsync(path, TestTimeout.Token()));
    }

    [Fact]
    public async Task Start_PathOfALiveServer_RefusesWithClearMessage()
    {
        using var dir = new TempDirectory();
        string path = dir.File("c.sock");
        await using ControlServer first = await ControlServer.StartAsync(path, () => "{}"u8.ToArray(), NullLogger.Instance, TestTimeout.Token());

        IOException e = await Assert.ThrowsAsync<IOException>(() => ControlServer.StartAsync(path, () => "{}"u8.ToArray(), NullLogger.Instance, TestTimeout.Token()));

        Assert.Contains("in use by another running weft", e.Message, StringComparison.Ordinal);
        Assert.Equal("{}", Encoding.UTF8.GetString(await ControlClient.GetStatusAsync(path, TestTimeout.Token())));
    }

    [Fact]
    public async Task Start_StaleSocketFile_IsReplaced()
    {
        using var dir = new TempDirectory();
        string path = dir.File("c.sock");
        using (var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            // .NET unlinks a socket file it bound when the socket is disposed; a renamed one stays behind,
            // as the file of a killed process does.
            stale.Bind(new UnixDomainSocketEndPoint(dir.File("old.sock")));
            File.Move(dir.File("old.sock"), path);
        }

        Assert.True(File.Exists(path));
        await using ControlServer server = await ControlServer.StartAsync(path, () => "{\"n\":1}"u8.ToArray(), NullLogger.Instance, TestTimeout.Token());

        Assert.Equal("{\"n\":1}", Encoding.UTF8.GetString(await ControlClient.GetStatusAsync(path, TestTimeout.Token())));
    }

    [Fact]
    public async Task Start_PathIsARegularFile_RefusesAndKeepsIt()
    {
        using var dir = new TempDirectory();
        string path = dir.File("notes.txt");
        await File.WriteAllTextAsync(path, "keep me", TestContext.Current.CancellationToken);

        IOException e = await Assert.ThrowsAsync<IOException>(() => ControlServer.StartAsync(path, () => "{}"u8.ToArray(), NullLogger.Instance, TestTimeout.Token()));

        Assert.Contains("not a socket", e.Message, StringComparison.Ordinal);
        Assert.Equal("keep me", await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Server_OversizedHead_Answers431AndKeepsServing()
    {
        using var dir = new TempDirectory();
        string path = dir.File("c.sock");
        await using ControlServer server = await ControlServer.StartAsync(path, () => "{}"u8.ToArray(), NullLogger.Instance, TestTimeout.Token());

        string answer = await RawAsync(path, Encoding.ASCII.GetBytes("GET /status HTTP/1.1\r\nX: " + new string('a', 20_000)));

        Assert.StartsWith("HTTP/1.1 431", answer, StringComparison.Ordinal);
        Assert.Equal("{}", Encoding.UTF8.GetString(await ControlClient.GetStatusAsync(path, TestTimeout.Token())));
    }

    [Fact]
    public async Task Server_Garbage_Answers400AndKeepsServing()
    {
        using var dir = new TempDirectory();
        string path = dir.File("c.sock");
        await using ControlServer server = await ControlServer.StartAsync(path, () => "{}"u8.ToArray(), NullLogger.Instance, TestTimeout.Token());

        string answer = await RawAsync(path, [0x16, 0x03, 0x01, 0x00, 0xff, (byte)'\r', (byte)'\n', (byte)'\r', (byte)'\n']);

        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Equal("{}", Encoding.UTF8.GetString(await ControlClient.GetStatusAsync(path, TestTimeout.Token())));
    }

    [Fact]
    public async Task Server_ClientThatSendsNothing_DoesNotBlockOthers()
    {
        using var dir = new TempDirectory();
        string path = dir.File("c.sock");
        await using ControlServer server = await ControlServer.StartAsync(path, () => "{}"u8.ToArray(), NullLogger.Instance, TestTimeout.Token());
        using var silent = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await silent.ConnectAsync(new UnixDomainSocketEndPoint(path), TestTimeout.Token());

        Assert.Equal("{}", Encoding.UTF8.GetString(await ControlClient.GetStatusAsync(path, TestTimeout.Token())));
    }

    private static async Task<string> RawAsync(string path, byte[] request)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), TestTimeout.Token());
        try
        {
            await socket.SendAsync(request, SocketFlags.None, TestTimeout.Token());
        }
        catch (SocketException)
        {
            // The server may answer and close before the whole oversized request is written.
        }

        var answer = new MemoryStream();
        byte[] buffer = new byte[4096];
        int n;
        try
        {
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, TestTimeout.Token())) > 0)
            {
                answer.Write(buffer, 0, n);
            }
        }
        catch (SocketException)
        {
            // Connection reset after the answer (unread request bytes): the answer is what matters.
        }

        return Encoding.ASCII.GetString(answer.ToArray());
    }
}
