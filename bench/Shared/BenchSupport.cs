using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Weft.Bench;

/// <summary>
/// What the ratio-printing benchmark programs (bench/Weft.SecurityBench, bench/Weft.GomuxBench) share: their option
/// parsing, loopback TCP pairs, MB/s, the load average, process CPU per MB, and the JSON output. Compiled into each
/// program (see its .csproj), not a library of its own.
/// </summary>
internal static class BenchSupport
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    /// <summary>Megabytes (10^6) per second.</summary>
    public static double MBps(long bytes, TimeSpan elapsed) => bytes / elapsed.TotalSeconds / 1e6;

    /// <summary>The 1-, 5- and 15-minute load averages, or "?" where /proc/loadavg is not readable.</summary>
    public static string LoadAverage()
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

    /// <summary>This process's CPU time so far (all threads, user and kernel).</summary>
    public static TimeSpan ProcessCpu()
    {
        using Process self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    /// <summary>A connected loopback TCP pair with Nagle off on both ends.</summary>
    public static async Task<(Socket Client, Socket Server)> ConnectTcpAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Task<Socket> accept = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!);
        Socket server = await accept;
        server.NoDelay = true;
        return (client, server);
    }

    /// <summary>Reads until <paramref name="bytes"/> arrived or the stream ends, with a 256 KiB buffer; returns what arrived.</summary>
    public static async Task<long> ReadUpToAsync(Stream stream, long bytes)
    {
        byte[] buffer = new byte[256 * 1024];
        long received = 0;
        int n;
        while (received < bytes && (n = await stream.ReadAsync(buffer)) > 0)
        {
            received += n;
        }

        return received;
    }

    /// <summary>Writes <paramref name="data"/> again and again until at least <paramref name="bytes"/> went out, then flushes.</summary>
    public static async Task WriteRepeatedAsync(Stream stream, byte[] data, long bytes)
    {
        for (long done = 0; done < bytes; done += data.Length)
        {
            await stream.WriteAsync(data);
        }

        await stream.FlushAsync();
    }

    /// <summary>
    /// Parses <c>--name value</c> options and <c>--flag</c> switches. Returns false (after printing
    /// <paramref name="usage"/>) on an unknown option or a missing or malformed value.
    /// </summary>
    /// <param name="args">The command line.</param>
    /// <param name="usage">The usage line to print on error.</param>
    /// <param name="values">Known value options (e.g. <c>--mib</c>), filled with what was given.</param>
    /// <param name="switches">Known switches, filled with those given.</param>
    public static bool TryParseArguments(string[] args, string usage, Dictionary<string, string?> values, HashSet<string> switches)
    {
        var known = new HashSet<string>(switches);
        switches.Clear();
        for (int i = 0; i < args.Length; i++)
        {
            if (values.ContainsKey(args[i]) && i + 1 < args.Length)
            {
                values[args[i]] = args[++i];
            }
            else if (known.Contains(args[i]))
            {
                switches.Add(args[i]);
            }
            else
            {
                Console.Error.WriteLine(usage);
                return false;
            }
        }

        return true;
    }

    /// <summary>An integer option's value, or <paramref name="fallback"/> when it was not given.</summary>
    public static int Int(Dictionary<string, string?> values, string name, int fallback) =>
        values[name] is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    /// <summary>A number option's value, or <paramref name="fallback"/> when it was not given.</summary>
    public static double Number(Dictionary<string, string?> values, string name, double fallback) =>
        values[name] is { } text ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;

    /// <summary>Prints every result as an aligned table, and writes them as indented JSON when a path is given.</summary>
    public static async Task ReportAsync(Dictionary<string, double> results, string? jsonPath, int width = 44)
    {
        Console.WriteLine();
        Console.WriteLine($"{"measurement".PadRight(width)} {"value",12}");
        foreach (var (name, value) in results)
        {
            Console.WriteLine($"{name.PadRight(width)} {value,12:0.00}");
        }

        if (jsonPath is not null)
        {
            await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(results, s_json));
        }
    }
}
