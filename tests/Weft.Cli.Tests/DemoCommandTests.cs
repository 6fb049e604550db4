using System.Diagnostics;

namespace Weft.Cli.Tests;

/// <summary>Runs the built <c>weft</c> as a real process, as a user would.</summary>
public class DemoCommandTests
{
    [Fact]
    public async Task Demo_SmallRun_VerifiesEveryStreamAndExitsZero()
    {
        var (exit, output, error) = await RunWeftAsync("demo", "--streams", "16", "--bytes", "256KiB");
        Assert.True(exit == 0, $"exit {exit}\n{output}\n{error}");
        Assert.Contains("16 (16 verified, 0 failed)", output, StringComparison.Ordinal);
        Assert.Contains("8 MiB (4 MiB each way)", output, StringComparison.Ordinal);
        Assert.Contains("0 streams left open", output, StringComparison.Ordinal);
        Assert.Contains("OK", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--bytes", "lots", "is not a size")]
    [InlineData("--streams", "0", "between 1 and 4096")]
    public async Task Demo_BadArgument_ExitsTwoWithClearMessage(string option, string value, string message)
    {
        var (exit, _, error) = await RunWeftAsync("demo", option, value);
        Assert.Equal(2, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_ListsDemoWithExamples()
    {
        var (exit, output, _) = await RunWeftAsync("--help");
        Assert.Equal(0, exit);
        Assert.Contains("demo", output, StringComparison.Ordinal);
        Assert.Contains("Examples:", output, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output, string Error)> RunWeftAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "weft.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        Task<string> output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        Task<string> error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output, await error);
    }
}
