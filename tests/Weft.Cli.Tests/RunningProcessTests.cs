using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Weft.Cli.Tests.Support;
using Weft.Crypto.Keys;
using Weft.Testing;

namespace Weft.Cli.Tests;

/// <summary>Long-running weft processes: status from the control socket, Ctrl-C, and a whole chain from one file.</summary>
public class RunningProcessTests
{
    private const int SigInt = 2;

    [Fact]
    public async Task Status_RunningRelay_ReportsItsListenAddressInJsonAndText()
    {
        using var dir = new TempDirectory();
        string relayKey = Key(dir, "relay.key");
        string serverKey = Key(dir, "server.key");
        string control = dir.File("weft-test.sock");
        await using WeftProcess relay = WeftProcess.Start(["relay", "-i", dir.File("relay.key"), "-l", "net:127.0.0.1:0~shs", "--server", $"{serverKey}:office", "--control", control]);
        Match listening = await relay.WaitForLineAsync(@"^listening: relay (\S+)$");
        await relay.WaitForLineAsync("^ready: pid");

        var (exit, json, error) = await WeftProcess.RunAsync(["status", "--control", control, "--json"]);
        Assert.True(exit == 0, error);
        using JsonDocument document = JsonDocument.Parse(json);
        Assert.Equal(relay.Id, document.RootElement.GetProperty("pid").GetInt32());
        JsonElement role = document.RootElement.GetProperty("roles")[0];
        Assert.Equal("relay", role.GetProperty("role").GetString());
        Assert.Equal(listening.Groups[1].Value, role.GetProperty("listen")[0].GetString());
        Assert.Contains(relayKey, listening.Groups[1].Value, StringComparison.Ordinal);

        var (textExit, text, _) = await WeftProcess.RunAsync(["status"], environment: new Dictionary<string, string> { ["WEFT_CONTROL_DIR"] = dir.Path });
        Assert.Equal(0, textExit);
        Assert.Contains($"pid {relay.Id}", text, StringComparison.Ordinal);
        Assert.Contains($"listening   {listening.Groups[1].Value}", text, StringComparison.Ordinal);
        Assert.Contains("streams     0 open, 0 total, 0 refused", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_RunningRelay_ReportsInlineSocketCompletionsUnlessTheEnvironmentTurnsThemOff()
    {
        using var dir = new TempDirectory();
        Key(dir, "relay.key");
        string serverKey = Key(dir, "server.key");
        string[] Relay(string control) => ["relay", "-i", dir.File("relay.key"), "-l", "net:127.0.0.1:0~noise", "--server", $"{serverKey}:office", "--control", control];

        // weft's default: completions run on the socket engine's event thread (read back from the runtime itself).
        string control = dir.File("weft-default.sock");
        await using (WeftProcess relay = WeftProcess.Start(Relay(control)))
        {
            await relay.WaitForLineAsync("^ready: pid");
            var (exit, json, error) = await WeftProcess.RunAsync(["status", "--control", control, "--json"]);
            Assert.True(exit == 0, error);
            using JsonDocument document = JsonDocument.Parse(json);
            Assert.Equal("inline", document.RootElement.GetProperty("socketCompletions").GetString());
            var (textExit, text, textError) = await WeftProcess.RunAsync(["status", "--control", control]);
            Assert.True(textExit == 0, textError);
            Assert.Contains("socket completions: inline", text, StringComparison.Ordinal);
        }

        // The operator's environment wins: =0 keeps the runtime's thread-pool completions.
        string off = dir.File("weft-off.sock");
        await using (WeftProcess relay = WeftProcess.Start(Relay(off), environment: new Dictionary<string, string> { ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "0" }))
        {
            await relay.WaitForLineAsync("^ready: pid");
            var (exit, json, error) = await WeftProcess.RunAsync(["status", "--control", off, "--json"]);
            Assert.True(exit == 0, error);
            using JsonDocument document = JsonDocument.Parse(json);
            Assert.Equal("thread pool", document.RootElement.GetProperty("socketCompletions").GetString());
        }
    }

    [Fact]
    public async Task Status_NothingRunning_SaysSoAndExitsOne()
    {
        using var dir = new TempDirectory();

        var (exit, _, error) = await WeftProcess.RunAsync(["status"], environment: new Dictionary<string, string> { ["WEFT_CONTROL_DIR"] = dir.Path });

        Assert.Equal(1, exit);
        Assert.Contains("no running weft found", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CtrlC_RunningRelay_StopsCleanlyWithExitZeroAndRemovesTheSocket()
    {
        using var dir = new TempDirectory();
        Key(dir, "relay.key");
        string control = dir.File("relay.sock");
        await using WeftProcess relay = WeftProcess.Start(["relay", "-i", dir.File("relay.key"), "-l", "net:127.0.0.1:0~shs", "--control", control]);
        await relay.WaitForLineAsync("^ready: pid");
        Assert.True(File.Exists(control));

        relay.Signal(SigInt);
        int exit = await relay.WaitForExitAsync();

        Assert.True(exit == 0, $"exit {exit}\n{relay.Output}\n{relay.Error}");
        Assert.Contains("SIGINT: stopping", relay.Error, StringComparison.Ordinal);
        Assert.Contains("stopped", relay.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(control));
    }

    [Fact]
    public async Task Up_RelayServerAndClientFromOneFile_CarryBytesThroughTheForwardAndStopOnCtrlC()
    {
        using var chain = ChainKit.Create();
        TempDirectory dir = chain.Dir;
        string relayKey = chain.RelayKey;
        int relayPort = FreePort();
        await File.WriteAllTextAsync(dir.File("weft.yaml"), "log:\n  level: information\n  format: json\n" + chain.Yaml(
            [$"net:127.0.0.1:{relayPort}~shs"], $"net:127.0.0.1:{relayPort}~shs:{relayKey}", $"net:127.0.0.1:{relayPort}~shs:{relayKey}"), TestContext.Current.CancellationToken);

        await using WeftProcess up = WeftProcess.Start(["up", "-c", dir.File("weft.yaml")]);
        Match forward = await up.WaitForLineAsync(@"^listening: -L 127\.0\.0\.1:(\d+) -> office:127\.0\.0\.1:\d+$");
        await up.WaitForLineAsync(@"^connected: client -> ");
        await up.WaitForLineAsync(@"^connected: server office -> ");

        // One connection through client agent, relay and server agent to the target, checked both ways.
        await chain.CarryOneConnectionAsync(int.Parse(forward.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));

        // Logs are JSON lines and never carry a secret seed.
        string seed = Regex.Match(await File.ReadAllTextAsync(dir.File("client.key"), TestContext.Current.CancellationToken), "\"seed\": \"([^\"]+)\"").Groups[1].Value;
        Assert.DoesNotContain(seed, up.Output + up.Error, StringComparison.Ordinal);
        Assert.Contains("{\"Timestamp\":", up.Error, StringComparison.Ordinal);

        up.Signal(SigInt);
        int exit = await up.WaitForExitAsync();
        Assert.True(exit == 0, $"exit {exit}\n{up.Output}\n{up.Error}");
        Assert.False(File.Exists(dir.File("weft.sock")));
    }

    [Fact]
    public async Task Up_RelayOffersNoiseAndShsAtOnce_AgentsConnectOverEachAndCarryBytes()
    {
        using var chain = ChainKit.Create();
        TempDirectory dir = chain.Dir;
        string relayKey = chain.RelayKey;
        int noisePort = FreePort();
        int shsPort = FreePort();
        await File.WriteAllTextAsync(dir.File("weft.yaml"), chain.Yaml(
            [$"net:127.0.0.1:{noisePort}~noise", $"net:127.0.0.1:{shsPort}~shs"],
            serverRelay: $"net:127.0.0.1:{noisePort}~noise:{relayKey}",
            clientUpstream: $"net:127.0.0.1:{shsPort}~shs:{relayKey}"), TestContext.Current.CancellationToken);

        await using WeftProcess up = WeftProcess.Start(["up", "-c", dir.File("weft.yaml")]);
        Match listeningNoise = await up.WaitForLineAsync(@"^listening: relay (\S+~noise:\S+)$");
        Match listeningShs = await up.WaitForLineAsync(@"^listening: relay (\S+~shs:\S+)$");
        Match forward = await up.WaitForLineAsync(@"^listening: -L 127\.0\.0\.1:(\d+) -> office:127\.0\.0\.1:\d+$");
        await up.WaitForLineAsync($@"^connected: client -> net:127\.0\.0\.1:{shsPort}~shs:{Regex.Escape(relayKey)} ");
        await up.WaitForLineAsync($@"^connected: server office -> net:127\.0\.0\.1:{noisePort}~noise:{Regex.Escape(relayKey)} ");

        // The relay prints both addresses, each with its key pinned: a peer picks the layer it speaks.
        Assert.Equal($"net:127.0.0.1:{noisePort}~noise:{relayKey}", listeningNoise.Groups[1].Value);
        Assert.Equal($"net:127.0.0.1:{shsPort}~shs:{relayKey}", listeningShs.Groups[1].Value);

        // The client agent came in over shs, the server agent over noise: bytes cross from one to the other.
        await chain.CarryOneConnectionAsync(int.Parse(forward.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));

        up.Signal(SigInt);
        int exit = await up.WaitForExitAsync();
        Assert.True(exit == 0, $"exit {exit}\n{up.Output}\n{up.Error}");
    }

    private static string Key(TempDirectory dir, string name) => ChainKit.Key(dir, name);

    private static int FreePort() => ChainKit.FreePort();
}
