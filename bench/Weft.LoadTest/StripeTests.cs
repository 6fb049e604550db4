using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Weft.Testing;
using Weft.Transports;
using Weft.Transports.Registry;

namespace Weft.LoadTest;

/// <summary>
/// Striping under per-connection caps: every leg passes through the test kit's <see cref="ChaosProxy"/>,
/// which caps each connection at R bytes per second (the seed's per-stream cap). Reports, in one run,
/// one capped raw TCP connection (the measured R), bundles of 1, 2, 4 and 8 capped legs, four legs with one
/// at R/10, and four legs with one delayed by 50 ms against the same four without the delay. Each figure is
/// printed with its ratio to its target so the verdict does not depend on this machine's absolute speed.
/// </summary>
internal sealed class StripeTests
{
    private const double MiB = 1024 * 1024;

    /// <summary>Cap per leg and direction: 8 legs × 4 MiB/s stays well below what loopback and the proxy do on 2 cores.</summary>
    public const long CapBytesPerSecond = 4L * 1024 * 1024;

    private readonly HarnessOptions _options;
    private readonly Report _report;
    private readonly TextWriter _log;

    public StripeTests(HarnessOptions options, Report report, TextWriter log)
    {
        _options = options;
        _report = report;
        _log = log;
    }

    private double Seconds => _options.Quick ? 1.5 : 4;

    public async Task RunAsync()
    {
        double r = CapBytesPerSecond / MiB;
        _log.WriteLine($"stripe: each leg capped at R = {r:0.##} MiB/s per direction by ChaosProxy; ~{Seconds:0.#} s per transfer");

        // Warm-up (JIT, pools) before anything is timed.
        await BundleAsync(2, null, 2 * CapBytesPerSecond);

        const string rawTest = "stripe-raw-1conn-capR";
        _report.Declare(rawTest, "MiB/s", "one raw TCP connection through the same capped proxy: the measured R");
        List<double> raw = await RepeatAsync(rawTest, () => RawCappedAsync((long)(CapBytesPerSecond * Seconds)));
        _report.Add(rawTest, Report.Raw, raw);

        var capped = new Dictionary<int, List<double>>();
        foreach (int legs in new[] { 1, 2, 4, 8 })
        {
            string test = $"stripe-{legs}legs-capR";
            _report.Declare(test, "MiB/s", $"stripe:{legs}, every leg capped at R; target >= 0.85 x {legs} x R (raw column: {legs} x measured R)");
            capped[legs] = await RepeatAsync(test, () => BundleAsync(legs, null, (long)(legs * CapBytesPerSecond * Seconds)));
            _report.Add(test, Report.Weft, capped[legs]);
            _report.Add(test, Report.Raw, [.. raw.Select(x => x * legs)]);
            Verdict(test, capped[legs], legs * r, 0.85);
        }

        const string slowTest = "stripe-4legs-oneR/10";
        _report.Declare(slowTest, "MiB/s", "stripe:4, one leg capped at R/10 and three at R; target >= 0.85 x 3.1 x R (raw column: 3.1 x measured R)");
        List<double> slow = await RepeatAsync(slowTest, () => BundleAsync(4, c => { if (c.Id == 0) { c.Configure(bytesPerSecond: CapBytesPerSecond / 10); } }, (long)(3.1 * CapBytesPerSecond * Seconds)));
        _report.Add(slowTest, Report.Weft, slow);
        _report.Add(slowTest, Report.Raw, [.. raw.Select(x => x * 3.1)]);
        Verdict(slowTest, slow, 3.1 * r, 0.85);

        // The delayed leg and its reference run alternately, so both see the same machine load.
        const string delayTest = "stripe-4legs-one+50ms";
        _report.Declare(delayTest, "MiB/s", "stripe:4 at R, one leg delayed 50 ms each way (SHA-256 checked); target >= 0.8 x the same four legs without the delay (raw column)");
        var delayed = new List<double>();
        var reference = new List<double>();
        for (int rep = 0; rep < _options.Repeat; rep++)
        {
            reference.Add(await BundleAsync(4, null, (long)(4 * CapBytesPerSecond * Seconds)));
            delayed.Add(await BundleAsync(4, c => { if (c.Id == 1) { c.Configure(delay: TimeSpan.FromMilliseconds(50)); } }, (long)(4 * CapBytesPerSecond * Seconds)));
            _log.WriteLine($"  {delayTest,-24} without {reference[^1]:0.0}  with {delayed[^1]:0.0} MiB/s  ratio {delayed[^1] / reference[^1]:0.00}");
        }

        _report.Add(delayTest, Report.Weft, delayed);
        _report.Add(delayTest, Report.Raw, reference);
        double ratio = Report.Median(delayed) / Report.Median(reference);
        _log.WriteLine($"  {delayTest}: median {Report.Median(delayed):0.0} vs {Report.Median(reference):0.0} MiB/s = {ratio:0.00} (target >= 0.80) {(ratio >= 0.8 ? "MET" : "MISSED")}");
    }

    private void Verdict(string test, List<double> samples, double target, double fraction)
    {
        double median = Report.Median(samples);
        _log.WriteLine($"  {test}: median {median:0.0} MiB/s = {median / target:0.00} x target rate {target:0.0} (goal >= {fraction:0.00}) {(median >= fraction * target ? "MET" : "MISSED")}; runs {string.Join(", ", samples.Select(s => s.ToString("0.0", CultureInfo.InvariantCulture)))}");
    }

    private async Task<List<double>> RepeatAsync(string test, Func<Task<double>> run)
    {
        var samples = new List<double>();
        for (int rep = 0; rep < _options.Repeat; rep++)
        {
            samples.Add(await run());
            _log.WriteLine($"  {test,-24} {samples[^1].ToString("0.0", CultureInfo.InvariantCulture)} MiB/s");
        }

        return samples;
    }

    /// <summary>One-way transfer over a bundle of <paramref name="legs"/> capped legs; verifies the SHA-256; returns MiB/s.</summary>
    private static async Task<double> BundleAsync(int legs, Action<ChaosConnection>? configure, long bytes)
    {
        TransportRegistry registry = TransportRegistry.CreateDefault();
        await using IConnectionListener listener = await registry.ListenAsync(Address.Parse($"net:127.0.0.1:0~stripe:{legs}"));
        int port = int.Parse(listener.Address.Transport.Fields[^1], CultureInfo.InvariantCulture);
        await using ChaosProxy proxy = ChaosProxy.Start(new IPEndPoint(IPAddress.Loopback, port), new ChaosProxyOptions
        {
            BytesPerSecond = CapBytesPerSecond,
            ConfigureConnection = configure,
        });
        ValueTask<TransportConnection> accept = listener.AcceptAsync();
        await using TransportConnection client = await registry.DialAsync(Address.Parse($"net:127.0.0.1:{proxy.EndPoint.Port}~stripe:{legs}"));
        await using TransportConnection server = await accept;
        var watch = Stopwatch.StartNew();
        Task<(long Length, byte[] Sha256)> reading = Task.Run(() => Patterns.ReadAndHashAsync(server.Stream));
        byte[] sent = await Patterns.WriteAsync(client.Stream, bytes, seed: legs);
        await ((IHalfCloseable)client.Stream).CompleteWritesAsync();
        var (length, hash) = await reading;
        watch.Stop();
        if (length != bytes || !hash.AsSpan().SequenceEqual(sent))
        {
            throw new InvalidOperationException($"stripe:{legs}: {length} of {bytes} bytes arrived or the SHA-256 differs.");
        }

        return bytes / MiB / watch.Elapsed.TotalSeconds;
    }

    /// <summary>One raw TCP connection through the same capped proxy; returns MiB/s.</summary>
    private static async Task<double> RawCappedAsync(long bytes)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        await using ChaosProxy proxy = ChaosProxy.Start((IPEndPoint)listener.LocalEndpoint, new ChaosProxyOptions { BytesPerSecond = CapBytesPerSecond });
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(proxy.EndPoint);
        using TcpClient server = await listener.AcceptTcpClientAsync();
        var watch = Stopwatch.StartNew();
        Task<(long Length, byte[] Sha256)> reading = Task.Run(() => Patterns.ReadAndHashAsync(server.GetStream()));
        await Patterns.WriteAsync(client.GetStream(), bytes, seed: 1);
        client.Client.Shutdown(SocketShutdown.Send);
        await reading;
        watch.Stop();
        return bytes / MiB / watch.Elapsed.TotalSeconds;
    }
}
