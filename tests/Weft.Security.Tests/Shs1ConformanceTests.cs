using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace Weft.Security.Tests;

/// <summary>
/// Runs the npm <c>shs1-test</c> 1.1.1 suite (GPL-3.0, installed, not copied) against <c>weft-shs-adapter</c>, the
/// small program in <c>interop/shs-adapter</c> that plays either role of the handshake over stdin/stdout with
/// Weft.Security. Each run performs the suite's own randomised trials (good peers and several kinds of bad ones).
/// </summary>
/// <remarks>
/// The binaries come from <c>WEFT_SHS1TEST_BIN</c> if set, else <c>interop/js/node_modules/.bin</c>. When they are
/// missing the test fails (it never skips): install them with <c>npm ci --prefix interop/js</c>.
/// </remarks>
public sealed class Shs1ConformanceTests
{
    public static TheoryData<string, string> Runs()
    {
        // A fixed seed reproduces a run exactly; the random one widens coverage and is printed on failure.
        string random = Random.Shared.Next(1, int.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new TheoryData<string, string>
        {
            { "shs1testserver", "1" },
            { "shs1testserver", random },
            { "shs1testclient", "1" },
            { "shs1testclient", random },
        };
    }

    [Theory]
    [MemberData(nameof(Runs), DisableDiscoveryEnumeration = true)]
    public async Task Shs1Test_AdapterInRole_PassesSuite(string suite, string seed)
    {
        using var cts = TestStreams.Timeout(300);
        string root = FindRepositoryRoot();
        string tool = Path.Combine(LocateShs1TestBin(root), suite);
        string adapter = LocateAdapter(root);

        (int exitCode, string output) = await RunAsync(tool, [adapter, seed], cts.Token);

        string passed = suite == "shs1testserver" ? "Passed the server test suite" : "Passed the client test suite";
        Assert.True(
            exitCode == 0 && output.Contains(passed, StringComparison.Ordinal),
            $"{suite} {seed} exited with {exitCode} (the exit code counts failed trials). Output:\n{Tail(output, 6000)}");
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Weft.slnx")))
            {
                return dir.FullName;
            }
        }

        Assert.Fail("Could not find the repository root (a folder holding Weft.slnx) above " + AppContext.BaseDirectory);
        return null!;
    }

    private static string LocateShs1TestBin(string root)
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("WEFT_SHS1TEST_BIN");
        string bin = string.IsNullOrEmpty(fromEnvironment) ? Path.Combine(root, "interop", "js", "node_modules", ".bin") : fromEnvironment;
        if (!File.Exists(Path.Combine(bin, "shs1testserver")) || !File.Exists(Path.Combine(bin, "shs1testclient")))
        {
            Assert.Fail(
                $"shs1-test was not found in '{bin}'. Install it (needs node and npm): 'npm ci --prefix interop/js' from the " +
                "repository root (interop/js/package.json pins shs1-test 1.1.1), or 'npm install --prefix DIR shs1-test@1.1.1' " +
                "and set WEFT_SHS1TEST_BIN=DIR/node_modules/.bin.");
        }

        return bin;
    }

    private static string LocateAdapter(string root)
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("WEFT_SHS_ADAPTER");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }

        // The test project references the adapter project (without its assembly), so the adapter of the same
        // configuration is built before these tests.
        string configuration = typeof(Shs1ConformanceTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "BuildConfiguration").Value!;
        string name = OperatingSystem.IsWindows() ? "weft-shs-adapter.exe" : "weft-shs-adapter";
        string path = Path.Combine(root, "interop", "shs-adapter", "bin", configuration, "net10.0", name);
        Assert.True(File.Exists(path), $"The adapter was not found at '{path}': build interop/shs-adapter (dotnet build -c {configuration}) or set WEFT_SHS_ADAPTER.");
        return path;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string fileName, string[] arguments, CancellationToken ct)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var output = new StringBuilder();
        Task stdout = PumpAsync(process.StandardOutput, output);
        Task stderr = PumpAsync(process.StandardError, output);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        await Task.WhenAll(stdout, stderr);
        return (process.ExitCode, output.ToString());
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder sink)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (sink)
            {
                sink.AppendLine(line);
            }
        }
    }

    private static string Tail(string text, int length) => text.Length <= length ? text : "…" + text[^length..];
}
