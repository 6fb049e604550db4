using System.Globalization;
using System.Net;
using System.Text.Json;
using Weft.EndToEnd.Fixtures;

namespace Weft.TunnelBench;

/// <summary>
/// Tunnel benchmark on loopback, every route measured by this one harness in one run, rounds
/// interleaved so a burst of load from elsewhere hits every route alike:
/// (a) raw TCP to the target, (b) <c>ssh -N -L</c> through a throwaway sshd, (c) a three-hop socat chain,
/// (d) Weft's three-hop chain (client agent → relay → server agent → target) as real <c>weft</c> processes.
/// Throughput is what the TARGET received per second; round trips are 64-byte echoes. Ratios are to raw TCP.
/// </summary>
internal static class Program
{
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;

    public static async Task<int> Main(string[] args)
    {
        BenchOptions options;
        try
        {
            options = BenchOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(BenchOptions.Usage);
            return 2;
        }

        if (options.Help)
        {
            Console.WriteLine(BenchOptions.Usage);
            return 0;
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        TextWriter? json = options.JsonPath is null ? null : new StreamWriter(options.JsonPath, append: false);
        try
        {
            return await RunAsync(options, json, stop.Token);
        }
        finally
        {
            json?.Dispose();
        }
    }

    private static async Task<int> RunAsync(BenchOptions options, TextWriter? json, CancellationToken cancellationToken)
    {
        Log($"machine: {Environment.ProcessorCount} cores, load {LoadAverage()}; {options.Rounds} rounds × ({options.Seconds.ToString(s_inv)} s bulk + {options.RoundTrips} × 64 B round trips) per route");
        await using TcpTarget target = TcpTarget.Start();
        var routes = new List<IRoute>();
        int failures = 0;
        try
        {
            foreach (string name in options.Routes)
            {
                Log($"starting route {name}");
                try
                {
                    routes.Add(await Routes.StartAsync(name, target.EndPoint, options, cancellationToken));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    failures++;
                    Log($"route {name} could not start: {e.Message}");
                }
            }

            var results = routes.ToDictionary(r => r.Name, _ => new RouteResult());
            for (int round = 1; round <= options.Rounds; round++)
            {
                foreach (IRoute route in routes)
                {
                    RouteResult result = results[route.Name];
                    try
                    {
                        double bytesPerSecond = await TransferClient.MeasureThroughputAsync(route.Entry, TimeSpan.FromSeconds(options.Seconds), cancellationToken);
                        // Sampled while the round-trip connection is open, so that forked per-connection processes count.
                        Dictionary<int, ProcessActivity> before = [];
                        ProcessActivity spent = default;
                        double[] rtt = await TransferClient.MeasureRoundTripsAsync(
                            route.Entry,
                            64,
                            options.RoundTrips,
                            warmup: 200,
                            () => before = ProcessActivity.Sample(route.ProcessIds),
                            () =>
                            {
                                Dictionary<int, ProcessActivity> after = ProcessActivity.Sample(route.ProcessIds);
                                spent = ProcessActivity.Difference(after, before);
                                result.ByThread = ProcessActivity.ByThreadName(after, before);
                            },
                            cancellationToken);
                        result.Throughput.Add(bytesPerSecond);
                        result.P50.Add(TransferClient.Quantile(rtt, 0.50));
                        result.P99.Add(TransferClient.Quantile(rtt, 0.99));
                        result.Activity.Add(spent);

                        double trips = options.RoundTrips;
                        Log(FormattableString.Invariant($"round {round} {route.Name,-14} {bytesPerSecond / 1e6,9:0.0} MB/s  p50 {TransferClient.Quantile(rtt, 0.5),7:0} µs  p99 {TransferClient.Quantile(rtt, 0.99),7:0} µs  per round trip: {spent.Voluntary / trips,5:0.0} wake-ups, {spent.Involuntary / trips,5:0.0} preemptions, CPU {spent.CpuNanoseconds / trips / 1e3,6:0} µs, run-queue wait {spent.WaitNanoseconds / trips / 1e3,6:0} µs"));
                        json?.WriteLine(JsonSerializer.Serialize(new
                        {
                            round,
                            route = route.Name,
                            bytes_per_second = bytesPerSecond,
                            p50_us = TransferClient.Quantile(rtt, 0.5),
                            p99_us = TransferClient.Quantile(rtt, 0.99),
                            wakeups_per_rtt = spent.Voluntary / trips,
                            preemptions_per_rtt = spent.Involuntary / trips,
                            cpu_us_per_rtt = spent.CpuNanoseconds / trips / 1e3,
                            runqueue_wait_us_per_rtt = spent.WaitNanoseconds / trips / 1e3,
                        }));
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                    {
                        failures++;
                        result.Errors.Add(e.Message);
                        Log($"round {round} {route.Name}: FAILED {e.GetType().Name}: {e.Message}");
                    }
                }
            }

            PrintTable(routes, results, options);
            if (options.Connections > 0 && routes.OfType<Routes.WeftChainRoute>().FirstOrDefault() is { } weft)
            {
                failures += await ConnectionMemory.RunAsync(weft.Chain, options.Connections, json, cancellationToken) ? 0 : 1;
            }
        }
        finally
        {
            foreach (IRoute route in routes)
            {
                await route.DisposeAsync();
            }
        }

        Log($"done; load {LoadAverage()}; {failures} failure(s)");
        return failures == 0 ? 0 : 1;
    }

    private static void PrintTable(List<IRoute> routes, Dictionary<string, RouteResult> results, BenchOptions options)
    {
        RouteResult? raw = results.GetValueOrDefault(Routes.Raw);
        Console.WriteLine();
        Console.WriteLine("route           MB/s median (min..max)     ×raw   p50 µs (min..max)   ×raw   p99 µs  runs");
        foreach (IRoute route in routes)
        {
            RouteResult r = results[route.Name];
            if (r.Throughput.Count == 0)
            {
                Console.WriteLine($"{route.Name,-14}  FAILED: {string.Join("; ", r.Errors.Distinct())}");
                continue;
            }

            string tputRatio = raw is { Throughput.Count: > 0 } ? (Median(r.Throughput) / Median(raw.Throughput)).ToString("0.00", s_inv) : "-";
            string p50Ratio = raw is { P50.Count: > 0 } ? (Median(r.P50) / Median(raw.P50)).ToString("0.00", s_inv) : "-";
            Console.WriteLine(FormattableString.Invariant(
                $"{route.Name,-14} {Median(r.Throughput) / 1e6,8:0.0} ({r.Throughput.Min() / 1e6,7:0.0}..{r.Throughput.Max() / 1e6,7:0.0}) {tputRatio,6} {Median(r.P50),7:0} ({r.P50.Min(),5:0}..{r.P50.Max(),5:0}) {p50Ratio,6} {Median(r.P99),8:0} {r.Throughput.Count,5}"));
        }

        double trips = options.RoundTrips;
        Console.WriteLine();
        Console.WriteLine("per 64 B round trip, the route's own processes (weft: relay + agents; socat: hops; ssh: ssh + sshd), medians:");
        Console.WriteLine("route           wake-ups  preemptions  CPU µs  run-queue wait µs  threads");
        foreach (IRoute route in routes)
        {
            RouteResult r = results[route.Name];
            if (r.Activity.Count == 0 || route.ProcessIds.Count == 0)
            {
                continue;
            }

            Console.WriteLine(FormattableString.Invariant(
                $"{route.Name,-14} {Median([.. r.Activity.Select(a => a.Voluntary / trips)]),9:0.0} {Median([.. r.Activity.Select(a => a.Involuntary / trips)]),12:0.0} {Median([.. r.Activity.Select(a => a.CpuNanoseconds / trips / 1e3)]),7:0} {Median([.. r.Activity.Select(a => a.WaitNanoseconds / trips / 1e3)]),18:0} {r.Activity[^1].Threads,8}"));
        }

        Console.WriteLine();
        Console.WriteLine("the same by thread name, last round (threads woken at least once per 20 round trips):");
        foreach (IRoute route in routes)
        {
            if (results[route.Name].ByThread is not { } byThread || route.ProcessIds.Count == 0)
            {
                continue;
            }

            foreach ((string name, ProcessActivity a) in byThread.Where(t => t.Value.Voluntary / trips >= 0.05))
            {
                Console.WriteLine(FormattableString.Invariant(
                    $"{route.Name,-14}   {name,-16} ×{a.Threads,-3} {a.Voluntary / trips,6:0.00} wake-ups {a.Involuntary / trips,6:0.00} preemptions {a.CpuNanoseconds / trips / 1e3,6:0} µs CPU"));
            }
        }

        if (results.TryGetValue(Routes.Weft, out RouteResult? weft) && results.TryGetValue(Routes.Ssh, out RouteResult? ssh)
            && weft.Throughput.Count > 0 && ssh.Throughput.Count > 0)
        {
            double tput = Median(weft.Throughput) / Median(ssh.Throughput);
            double p50 = Median(weft.P50) / Median(ssh.P50);
            Console.WriteLine();
            Console.WriteLine(FormattableString.Invariant($"target 1: weft 3-hop bytes/s ≥ ssh -L 1-hop: ratio {tput:0.00} → {(tput >= 1 ? "MET" : "NOT MET")}"));
            Console.WriteLine(FormattableString.Invariant($"target 2: weft 3-hop 64 B p50 ≤ ssh -L p50:   ratio {p50:0.00} → {(p50 <= 1 ? "MET" : "NOT MET")}"));
        }
    }

    internal static double Median(IReadOnlyList<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    internal static void Log(string message) => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {message}");

    internal static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private sealed class RouteResult
    {
        public List<double> Throughput { get; } = [];

        public List<double> P50 { get; } = [];

        public List<double> P99 { get; } = [];

        public List<string> Errors { get; } = [];

        public List<ProcessActivity> Activity { get; } = [];

        public SortedDictionary<string, ProcessActivity>? ByThread { get; set; }
    }
}

/// <summary>Command-line options.</summary>
internal sealed class BenchOptions
{
    public const string Usage = """
        Weft.TunnelBench — loopback tunnel benchmark (raw TCP, ssh -N -L, 3-hop socat, 3-hop weft over noise
        and over shs) in one run.
          --seconds S       bulk transfer per measurement (default 5)
          --round-trips N   64-byte round trips per measurement (default 2000)
          --rounds R        rounds; every route is measured once per round (default 3)
          --routes LIST     comma-separated subset of raw,ssh-L,socat-3hop,weft-3hop (links over
                            noise, weft's default),weft-3hop-shs (over shs) (default all)
          --connections N   then hold N concurrent connections through the weft chain and report the
                            relay's memory per connection (default 1000; 0 to skip)
          --json FILE       also write one JSON line per measurement
          --weft-variant NAME:VAR=VALUE[,VAR=VALUE...]
                            also measure the noise chain with these environment variables set in
                            its three weft processes, as route weft-3hop:NAME, interleaved with
                            the others (repeatable); e.g.
                            --weft-variant inline:DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1
        Besides bytes/s and round-trip times, each route's own processes are sampled around the
        round trips (/proc schedstat and context switches): wake-ups, preemptions, CPU and run-queue
        wait per round trip.
        Example: scripts/bench-tunnel.sh --rounds 5
        """;

    public double Seconds { get; private set; } = 5;

    public int RoundTrips { get; private set; } = 2000;

    public int Rounds { get; private set; } = 3;

    public IReadOnlyList<string> Routes { get; private set; } = TunnelBench.Routes.All;

    public int Connections { get; private set; } = 1000;

    public string? JsonPath { get; private set; }

    /// <summary>Extra weft chains: route name suffix → environment variables of its processes.</summary>
    public IReadOnlyList<(string Name, IReadOnlyDictionary<string, string?> Environment)> WeftVariants => _variants;

    public bool Help { get; private set; }

    private readonly List<(string Name, IReadOnlyDictionary<string, string?> Environment)> _variants = [];

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--seconds":
                    options.Seconds = double.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--round-trips":
                    options.RoundTrips = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--rounds":
                    options.Rounds = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--routes":
                    string[] routes = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    string[] unknown = [.. routes.Except(TunnelBench.Routes.All)];
                    options.Routes = unknown.Length == 0 ? routes : throw new ArgumentException($"unknown route(s) {string.Join(", ", unknown)}; known: {string.Join(", ", TunnelBench.Routes.All)}");
                    break;
                case "--connections":
                    options.Connections = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--json":
                    options.JsonPath = Value();
                    break;
                case "--weft-variant":
                    options._variants.Add(ParseVariant(Value()));
                    break;
                case "-h" or "--help":
                    options.Help = true;
                    break;
                default:
                    throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        if (options._variants.Count > 0)
        {
            options.Routes = [.. options.Routes, .. options._variants.Select(v => TunnelBench.Routes.Variant(v.Name))];
        }

        return options;
    }

    private static (string Name, IReadOnlyDictionary<string, string?> Environment) ParseVariant(string text)
    {
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new ArgumentException($"--weft-variant {text}: expected NAME:VAR=VALUE[,VAR=VALUE...]");
        }

        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (string pair in text[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new ArgumentException($"--weft-variant {text}: '{pair}' is not VAR=VALUE");
            }

            environment[pair[..equals]] = pair[(equals + 1)..];
        }

        return (text[..colon], environment);
    }
}

/// <summary>One way from the harness to the target.</summary>
internal interface IRoute : IAsyncDisposable
{
    string Name { get; }

    IPEndPoint Entry { get; }

    /// <summary>The route's own processes (their descendants count too); empty for raw TCP.</summary>
    IReadOnlyList<int> ProcessIds { get; }
}

/// <summary>The routes and how each starts.</summary>
internal static class Routes
{
    public const string Raw = "raw";
    public const string Ssh = "ssh-L";
    public const string Socat = "socat-3hop";
    public const string Weft = "weft-3hop";
    public const string WeftShs = "weft-3hop-shs";

    public static IReadOnlyList<string> All { get; } = [Raw, Ssh, Socat, Weft, WeftShs];

    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The route name of a <c>--weft-variant</c>.</summary>
    public static string Variant(string name) => $"{Weft}:{name}";

    public static async Task<IRoute> StartAsync(string name, IPEndPoint target, BenchOptions options, CancellationToken cancellationToken)
    {
        if (name.StartsWith(Weft + ":", StringComparison.Ordinal))
        {
            var variant = options.WeftVariants.First(v => Variant(v.Name) == name);
            return new WeftChainRoute(name, await WeftChain.StartAsync(ChainOptions("noise", target, variant.Environment), cancellationToken));
        }

        switch (name)
        {
            case Raw:
                return new SimpleRoute(Raw, target, [], () => ValueTask.CompletedTask);
            case Ssh:
                SshServer sshd = await SshServer.StartAsync(s_startTimeout, cancellationToken);
                try
                {
                    var (ssh, port) = await sshd.StartLocalForwardAsync(target, s_startTimeout, cancellationToken);
                    return new SimpleRoute(Ssh, new IPEndPoint(IPAddress.Loopback, port), [ssh.Id, sshd.Process.Id], async () =>
                    {
                        await ssh.DisposeAsync();
                        await sshd.DisposeAsync();
                    });
                }
                catch
                {
                    await sshd.DisposeAsync();
                    throw;
                }

            case Socat:
                SocatChain chain = await SocatChain.StartAsync(target, 3, s_startTimeout, cancellationToken);
                return new SimpleRoute(Socat, chain.EntryPoint, [.. chain.Hops.Select(h => h.Id)], chain.DisposeAsync);
            case Weft or WeftShs:
                return new WeftChainRoute(name, await WeftChain.StartAsync(ChainOptions(name == Weft ? "noise" : "shs", target, null), cancellationToken));
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, "unknown route");
        }
    }

    private static WeftChainOptions ChainOptions(string secureLayer, IPEndPoint target, IReadOnlyDictionary<string, string?>? environment) => new()
    {
        SecureLayer = secureLayer,
        Target = target,
        LogLevel = "warning",
        RelayLimits = ["max-streams: 20000"], // the memory scenario goes past the default 256 streams per key
        ServerLimits = ["max-streams: 20000"],
        Environment = environment,
    };

    /// <summary>Weft's three-hop chain: client agent, relay and server agent as real <c>weft up</c> processes.</summary>
    internal sealed class WeftChainRoute(string name, WeftChain chain) : IRoute
    {
        public WeftChain Chain => chain;

        public string Name => name;

        public IPEndPoint Entry => chain.LocalForward;

        public IReadOnlyList<int> ProcessIds => [.. new[] { chain.Relay, chain.Server, chain.Client }.OfType<WeftProcess>().Select(p => p.Runner.Id)];

        public ValueTask DisposeAsync() => chain.DisposeAsync();
    }

    private sealed class SimpleRoute(string name, IPEndPoint entry, IReadOnlyList<int> processIds, Func<ValueTask> dispose) : IRoute
    {
        public string Name => name;

        public IPEndPoint Entry => entry;

        public IReadOnlyList<int> ProcessIds => processIds;

        public ValueTask DisposeAsync() => dispose();
    }
}
