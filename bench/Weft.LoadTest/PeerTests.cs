using System.Globalization;
using System.Text.Json;

namespace Weft.LoadTest;

/// <summary>
/// Peer programs as separate processes, client against server, all speaking the same CLI: the raw TCP
/// peer (this harness), weft-peer, the Go hashicorp/yamux peer, and the two cross pairs. The client sends
/// and the server echoes, so throughput here counts each byte once although it crosses loopback twice.
/// </summary>
internal sealed class PeerTests
{
    private readonly HarnessOptions _options;
    private readonly Report _report;
    private readonly TextWriter _log;

    public PeerTests(HarnessOptions options, Report report, TextWriter log)
    {
        _options = options;
        _report = report;
        _log = log;
    }

    public async Task RunAsync()
    {
        if (_options.NoPeers || !(_options.Wants("echo") || _options.Wants("rtt") || _options.Wants("openclose")))
        {
            return;
        }

        string? root = RepoRoot.Find();
        PeerCommand raw = PeerCommand.RawTcp();
        PeerCommand? weft = Locate("weft-peer", _options.WeftPeer, root, "interop/weft-peer/bin/Release/net10.0/weft-peer");
        PeerCommand? go = Locate("go-yamux-peer", _options.GoPeer, root, "interop/go-yamux/build/go-yamux-peer");

        var servers = new Dictionary<string, (PeerProcess Process, string Address)>();
        try
        {
            foreach (PeerCommand command in new[] { raw, weft, go }.OfType<PeerCommand>())
            {
                servers[command.Name] = await PeerProcess.StartServerAsync(command);
            }

            // (implementation, server, client)
            var pairs = new List<(string Impl, PeerCommand Server, PeerCommand Client)> { (Report.Raw, raw, raw) };
            if (weft is not null)
            {
                pairs.Add((Report.Weft, weft, weft));
            }

            if (go is not null)
            {
                pairs.Add((Report.Go, go, go));
            }

            if (weft is not null && go is not null)
            {
                pairs.Add((Report.WeftToGo, go, weft));
                pairs.Add((Report.GoToWeft, weft, go));
            }

            if (_options.Wants("echo"))
            {
                foreach (int streams in new[] { 1, 16, 256 })
                {
                    string test = $"echo-{streams}";
                    long bytes = _options.EchoBytes / streams;
                    _report.Declare(test, "MiB/s", $"separate processes, {streams} stream(s) x {Size(bytes)} echoed (client sends pattern + SHA-256, server echoes); MiB/s one way");
                    await MeasureAsync(test, pairs, servers, ["client", "--streams", Str(streams), "--bytes", Str(bytes)], json =>
                        json.GetProperty("streams").GetDouble() * json.GetProperty("bytes").GetDouble() / json.GetProperty("seconds").GetDouble() / (1 << 20));
                }
            }

            if (_options.Wants("rtt"))
            {
                _report.Declare("rtt64-p50", "us", $"separate processes, {_options.RttCount} round trips of 64 bytes on one stream (TCP: one connection); median");
                _report.Declare("rtt64-p99", "us", "the same runs, 99th percentile");
                await MeasureAsync(["rtt64-p50", "rtt64-p99"], pairs, servers, ["rtt", "--count", Str(_options.RttCount), "--size", "64"],
                    [json => json.GetProperty("p50_us").GetDouble(), json => json.GetProperty("p99_us").GetDouble()]);
            }

            if (_options.Wants("openclose"))
            {
                _report.Declare("openclose", "streams/s", $"separate processes, {_options.OpenCloseCount} x (open, 1 byte, half-close, read echo to EOF, close), one after another (TCP: a connection each)");
                await MeasureAsync("openclose", pairs, servers, ["openclose", "--count", Str(_options.OpenCloseCount)], json => json.GetProperty("per_second").GetDouble());
            }
        }
        finally
        {
            foreach ((PeerProcess process, _) in servers.Values)
            {
                process.Dispose();
            }
        }
    }

    private Task MeasureAsync(string test, List<(string Impl, PeerCommand Server, PeerCommand Client)> pairs, Dictionary<string, (PeerProcess Process, string Address)> servers, string[] args, Func<JsonElement, double> value)
        => MeasureAsync([test], pairs, servers, args, [value]);

    /// <summary>Runs the client of every pair once per repetition, pairs interleaved so that noise spreads evenly.</summary>
    private async Task MeasureAsync(string[] tests, List<(string Impl, PeerCommand Server, PeerCommand Client)> pairs, Dictionary<string, (PeerProcess Process, string Address)> servers, string[] args, Func<JsonElement, double>[] values)
    {
        var samples = pairs.ToDictionary(p => p.Impl, _ => tests.Select(_ => new List<double>()).ToArray());
        var failed = new Dictionary<string, string>();
        for (int rep = 0; rep < _options.Repeat; rep++)
        {
            if (_options.FreshServers && rep > 0)
            {
                await RestartServersAsync(servers);
            }

            foreach ((string impl, PeerCommand server, PeerCommand client) in pairs)
            {
                if (failed.ContainsKey(impl))
                {
                    continue;
                }

                try
                {
                    string address = servers[server.Name].Address;
                    string line = await PeerProcess.RunClientAsync(client, [args[0], "--connect", address, .. args[1..]], TimeSpan.FromSeconds(_options.Quick ? 60 : 180));
                    using JsonDocument doc = JsonDocument.Parse(line);
                    JsonElement json = doc.RootElement;
                    if (!json.GetProperty("ok").GetBoolean())
                    {
                        throw new IOException(json.TryGetProperty("error", out JsonElement e) ? e.ToString() : line);
                    }

                    for (int t = 0; t < tests.Length; t++)
                    {
                        samples[impl][t].Add(values[t](json));
                    }

                    _log.WriteLine($"  {tests[0],-12} {impl,-8} {string.Join(" ", tests.Select((_, t) => samples[impl][t][^1].ToString("0.0", CultureInfo.InvariantCulture)))}");
                }
                catch (Exception e) when (e is IOException or TimeoutException or JsonException or KeyNotFoundException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    failed[impl] = e.Message;
                    _log.WriteLine($"  {tests[0],-12} {impl,-8} FAILED: {e.Message}");
                }
            }
        }

        foreach ((string impl, _, _) in pairs)
        {
            for (int t = 0; t < tests.Length; t++)
            {
                if (failed.TryGetValue(impl, out string? error))
                {
                    _report.Fail(tests[t], impl, error);
                }
                else
                {
                    _report.Add(tests[t], impl, samples[impl][t]);
                }
            }
        }
    }

    /// <summary>Replaces every server process with a new one (<c>--fresh-servers</c>).</summary>
    private static async Task RestartServersAsync(Dictionary<string, (PeerProcess Process, string Address)> servers)
    {
        foreach (string name in servers.Keys.ToList())
        {
            (PeerProcess old, _) = servers[name];
            PeerCommand command = old.Command;
            old.Dispose();
            servers[name] = await PeerProcess.StartServerAsync(command);
        }
    }

    private PeerCommand? Locate(string name, string? overridePath, string? root, string relative)
    {
        string? path = overridePath ?? (root is null ? null : Path.Combine(root, relative));
        if (path is not null && File.Exists(path))
        {
            return new PeerCommand(name, Path.GetFullPath(path), []);
        }

        _log.WriteLine($"  {name} not found ({path ?? relative}); its columns are skipped (scripts/bench.sh builds it)");
        return null;
    }

    private static string Str(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Size(long bytes) => bytes >= 1 << 20 ? $"{bytes >> 20} MiB" : $"{bytes >> 10} KiB";
}
