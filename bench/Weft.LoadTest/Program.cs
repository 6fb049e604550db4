// Weft.LoadTest: end-to-end loopback benchmarks. Every figure is printed next to raw TCP measured the same
// way in the same run, and (where a Go peer exists) next to hashicorp/yamux, because absolute numbers on a
// small shared machine are noise. See docs/benchmarks.md.
namespace Weft.LoadTest;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // The harness starts itself as the raw TCP peer, so that raw TCP runs as separate processes too.
        if (args.Length > 0 && args[0] == "raw-peer")
        {
            return await RawTcpPeer.RunAsync(args.AsSpan(1).ToArray());
        }

        HarnessOptions options;
        try
        {
            options = HarnessOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"Weft.LoadTest: {e.Message}\n\n{HarnessOptions.Usage}");
            return 2;
        }

        if (options.Help)
        {
            Console.WriteLine(HarnessOptions.Usage);
            return 0;
        }

        var report = new Report(options.Json ? Console.Out : null);
        TextWriter log = Console.Error;
        log.WriteLine($"Weft.LoadTest ({(options.Quick ? "quick" : "full")}, median of {options.Repeat}): {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");

        report.Machine("cores", Environment.ProcessorCount, "count");
        report.Machine("loadavg-start", LoadAverage(), "load");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var inProcess = new InProcessTests(options, report, log);
        var peers = new PeerTests(options, report, log);
        try
        {
            await inProcess.RunAsync();
            await peers.RunAsync();
            if (options.Wants("stripe"))
            {
                await new StripeTests(options, report, log).RunAsync();
            }
        }
        finally
        {
            log.WriteLine($"done in {clock.Elapsed.TotalSeconds:0} s");
        }

        report.Machine("loadavg-end", LoadAverage(), "load");
        report.Machine("duration", Math.Round(clock.Elapsed.TotalSeconds), "s");

        report.EmitRatios();
        TextWriter table = options.Json ? Console.Error : Console.Out;
        report.PrintTable(table);
        return report.Failures == 0 ? 0 : 1;
    }

    /// <summary>The 1-minute load average: other work on a shared machine is the main source of noise.</summary>
    private static double LoadAverage()
    {
        try
        {
            string text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return double.NaN;
        }
    }
}
