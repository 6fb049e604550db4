using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Weft.EndToEnd.Fixtures;
using Weft.Testing;

namespace Weft.EndToEnd.Tests.FixtureTests;

/// <summary>The socat chain, the UDP echo server, the HTTP server with curl, and the process runner.</summary>
public sealed partial class BaselineFixtureTests
{
    private static readonly TimeSpan s_timeout = TestTimeout.Scaled(TimeSpan.FromSeconds(30));

    [Fact]
    public async Task SocatChain_ThreeHops_CarriesCheckedBytesAndHalfClose()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using TcpTarget target = TcpTarget.Start();
        await using SocatChain chain = await SocatChain.StartAsync(target.EndPoint, 3, s_timeout, ct);

        Assert.Equal(3, chain.Hops.Count);
        await TransferClient.UploadAndVerifyAsync(chain.EntryPoint, 4 << 20, seed: 1, ct);
        await TransferClient.EchoAndVerifyAsync(chain.EntryPoint, 1 << 20, seed: 2, ct); // needs FIN through all hops
        Assert.Equal(2, target.Accepted);
    }

    [Fact]
    public async Task UdpEcho_AssortedSizes_ComeBackWhole()
    {
        CancellationToken ct = TestTimeout.Token();
        await using UdpEchoServer server = UdpEchoServer.Start();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Connect(server.EndPoint);
        int[] sizes = [1, 2, 100, 1472, 1473, 9000, 32_768, 65_000, UdpEchoServer.MaxDatagram];
        var buffer = new byte[UdpEchoServer.MaxDatagram + 1];
        foreach (int size in sizes)
        {
            byte[] datagram = Patterns.Create(size, seed: size);
            await client.SendAsync(datagram, SocketFlags.None, ct);
            int n = await client.ReceiveAsync(buffer, SocketFlags.None, ct);
            Assert.Equal(size, n);
            Assert.True(buffer.AsSpan(0, n).SequenceEqual(datagram));
        }

        Assert.Equal(sizes, server.ReceivedSizes);
    }

    [Fact]
    public async Task HttpServer_Curl_GetsHelloAndCheckedBytesByName()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using HttpTestServer http = await HttpTestServer.StartAsync(ct);
        string file = Path.GetTempFileName();
        try
        {
            var (exit, body, error) = await CurlClient.GetAsync($"http://127.0.0.1:{http.Port}/hello", socks5: null, s_timeout, cancellationToken: ct);
            Assert.True(exit == 0, error);
            Assert.Equal(http.HelloBody, body + "\n");

            (exit, string summary, error) = await CurlClient.GetAsync($"http://localhost:{http.Port}/bytes/1000000?seed=4", socks5: null, s_timeout, file, ct);
            Assert.True(exit == 0, error);
            Assert.Equal("200 1000000", summary);
            Assert.Equal(Patterns.Sha256OfPattern(1_000_000, seed: 4), Patterns.Sha256(await File.ReadAllBytesAsync(file, ct)));
            Assert.Equal(2, http.Requests);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task ProcessRunner_WaitsForLineThenKillsTheWholeTree()
    {
        CancellationToken ct = TestTimeout.Token();
        ProcessRunner shell = ProcessRunner.Start("sh", "/bin/sh", ["-c", "sleep 300 & echo child $!; echo 'listening 127.0.0.1:4242'; wait"]);
        int child;
        await using (shell)
        {
            Match line = await shell.WaitForLineAsync(ChildLine(), s_timeout, cancellationToken: ct);
            child = int.Parse(line.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            await shell.WaitForLineAsync(new Regex(@"listening 127\.0\.0\.1:4242"), s_timeout, cancellationToken: ct);
            Assert.True(Directory.Exists($"/proc/{child}"));
        }

        Assert.True(shell.HasExited);
        for (int i = 0; i < 100 && IsRunning(child); i++)
        {
            await Task.Delay(50, ct);
        }

        Assert.False(IsRunning(child), $"child {child} of the killed shell is still running");
    }

    [Fact]
    public async Task ProcessRunner_ExitWithoutTheLine_FailsAtOnceWithTheOutput()
    {
        CancellationToken ct = TestTimeout.Token();
        await using ProcessRunner shell = ProcessRunner.Start("sh", "/bin/sh", ["-c", "echo oops >&2; exit 3"]);

        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => shell.WaitForLineAsync(new Regex("listening"), TimeSpan.FromMinutes(5), cancellationToken: ct));

        Assert.Contains("oops", e.Message, StringComparison.Ordinal);
        Assert.Equal(3, await shell.WaitForExitAsync(s_timeout, ct));
    }

    [Fact]
    public async Task WeftProcess_ParsesListeningEndpoints()
    {
        CancellationToken ct = TestTimeout.Token();
        // The parser only: any program printing listening lines in the CLI's shape.
        await using ProcessRunner shell = ProcessRunner.Start("sh", "/bin/sh", ["-c", "echo 'info: relay listening on net:127.0.0.1:5001~shs:KEY'; echo 'listening -L 127.0.0.1:6001 -> web:127.0.0.1:80'; echo 'listening [::1]:7001'; sleep 30"]);
        Match relay = await shell.WaitForLineAsync(WeftProcessListening("relay"), s_timeout, cancellationToken: ct);
        Match forward = await shell.WaitForLineAsync(WeftProcessListening("-L"), s_timeout, cancellationToken: ct);
        Match v6 = await shell.WaitForLineAsync(WeftProcessListening(@"\[::1\]"), s_timeout, cancellationToken: ct);

        Assert.Equal("127.0.0.1:5001", relay.Groups["ep"].Value);
        Assert.Equal("127.0.0.1:6001", forward.Groups["ep"].Value);
        Assert.Equal(IPEndPoint.Parse("[::1]:7001"), IPEndPoint.Parse(v6.Groups["ep"].Value));
    }

    private static Regex WeftProcessListening(string label) => WeftProcess.ListeningPattern(label);

    private static bool IsRunning(int pid) =>
        File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2].Equals("Z", StringComparison.Ordinal);

    [GeneratedRegex(@"^child (\d+)$")]
    private static partial Regex ChildLine();
}
