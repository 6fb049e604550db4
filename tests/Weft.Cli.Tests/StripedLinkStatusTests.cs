using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Weft.Cli.Tests.Support;
using Weft.Crypto.Keys;
using Weft.Testing;

namespace Weft.Cli.Tests;

/// <summary>
/// Agent ↔ relay links over striped addresses (<c>net:…~stripe:3~shs:KEY</c>): bytes flow through a forward,
/// and <c>weft status</c> shows the three legs of each striped session with their bytes and queue depth.
/// </summary>
public class StripedLinkStatusTests
{
    private const int SigInt = 2;

    [Fact]
    public async Task Status_AgentsOnStripedRelayLinks_ShowsThreeLegsWithBytesPerSession()
    {
        using var chain = ChainKit.Create();
        TempDirectory dir = chain.Dir;
        int relayPort = ChainKit.FreePort();
        await File.WriteAllTextAsync(dir.File("weft.yaml"), chain.Yaml(
            [$"net:127.0.0.1:{relayPort}~stripe:3~shs"],
            serverRelay: $"net:127.0.0.1:{relayPort}~stripe:3~shs:{chain.RelayKey}",
            clientUpstream: $"net:127.0.0.1:{relayPort}~stripe:3~shs:{chain.RelayKey}"), TestContext.Current.CancellationToken);

        await using WeftProcess up = WeftProcess.Start(["up", "-c", dir.File("weft.yaml")]);
        Match forward = await up.WaitForLineAsync(@"^listening: -L 127\.0\.0\.1:(\d+) -> office:127\.0\.0\.1:\d+$");
        await up.WaitForLineAsync(@"^connected: client -> ");
        await up.WaitForLineAsync(@"^connected: server office -> ");

        // 4 MiB up and 1 MiB down through client agent, relay and server agent: enough to fill every leg.
        const int upBytes = 4 * 1024 * 1024;
        await chain.CarryOneConnectionAsync(int.Parse(forward.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), upBytes, 1024 * 1024);

        var (exit, json, error) = await WeftProcess.RunAsync(["status", "--control", dir.File("weft.sock"), "--json"]);
        Assert.True(exit == 0, error);
        using JsonDocument document = JsonDocument.Parse(json);
        var sessions = document.RootElement.GetProperty("roles").EnumerateArray()
            .SelectMany(r => r.GetProperty("sessions").EnumerateArray().Select(s => (Role: r.GetProperty("role").GetString(), Session: s)))
            .ToList();

        // Four striped sessions: the relay's two agents, and each agent's link upstream.
        Assert.Equal(4, sessions.Count);
        foreach (var (role, session) in sessions)
        {
            JsonElement legs = session.GetProperty("legs");
            Assert.Equal(3, legs.GetArrayLength());
            Assert.Equal([0, 1, 2], legs.EnumerateArray().Select(l => l.GetProperty("index").GetInt32()));
            Assert.All(legs.EnumerateArray(), l => Assert.Equal("up", l.GetProperty("state").GetString()));
            Assert.All(legs.EnumerateArray(), l => Assert.True(l.GetProperty("queueBytes").GetInt64() >= 0));
            Assert.True(legs.EnumerateArray().Sum(l => l.GetProperty("bytesSent").GetInt64()) > 0, $"{role}: no bytes sent on any leg");
        }

        // The 4 MiB went client agent → relay → server agent, spread over all three legs of each hop.
        foreach (var (role, session) in sessions.Where(s => s.Role == "client" || (s.Role == "relay" && s.Session.GetProperty("peerRole").GetString() == "server")))
        {
            JsonElement[] legs = [.. session.GetProperty("legs").EnumerateArray()];
            Assert.All(legs, l => Assert.True(l.GetProperty("bytesSent").GetInt64() > 64 * 1024, $"{role}: leg {l.GetProperty("index")} sent only {l.GetProperty("bytesSent")} bytes"));
            Assert.True(legs.Sum(l => l.GetProperty("bytesSent").GetInt64()) >= upBytes, $"{role}: the legs sent less than the transfer");
        }

        // The text form: a leg table under each striped session.
        var (textExit, text, _) = await WeftProcess.RunAsync(["status", "--control", dir.File("weft.sock")]);
        Assert.Equal(0, textExit);
        Assert.Equal(4, Regex.Count(text, @"legs of \S+ \(3 of 3 up\)"));
        Assert.Contains("leg  state  sent", text, StringComparison.Ordinal);
        Assert.Equal(12, Regex.Count(text, @"^\s+[012]\s+up\s+\d", RegexOptions.Multiline));

        up.Signal(SigInt);
        int stopped = await up.WaitForExitAsync();
        Assert.True(stopped == 0, $"exit {stopped}\n{up.Output}\n{up.Error}");
    }
}
