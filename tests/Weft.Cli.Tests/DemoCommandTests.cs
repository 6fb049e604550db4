using Weft.Cli.Tests.Support;

namespace Weft.Cli.Tests;

/// <summary>Runs the built <c>weft demo</c> as a real process, as a user would.</summary>
public class DemoCommandTests
{
    [Fact]
    public async Task Demo_SmallRun_VerifiesEveryConnectionThroughTheTunnelAndExitsZero()
    {
        var (exit, output, error) = await WeftProcess.RunAsync(["demo", "--connections", "3", "--bytes", "512KiB"]);

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{error}");
        Assert.Contains("3 (3 verified, 0 failed)", output, StringComparison.Ordinal);
        Assert.Contains("3 MiB (1.5 MiB each way), through 3 hops", output, StringComparison.Ordinal);
        Assert.Matches(@"client agent\s+-L 127\.0\.0\.1:\d+ -> demo:127\.0\.0\.1:\d+", output);
        Assert.Matches(@"relay\s+net:127\.0\.0\.1:\d+ \(noise\)", output);
        Assert.Contains("links             client agent over noise, server agent over noise", output, StringComparison.Ordinal);
        Assert.Contains("3 stream(s) carried, 0 refused", output, StringComparison.Ordinal);
        Assert.Contains("rtt client-relay", output, StringComparison.Ordinal);
        Assert.Contains("weft demo: OK", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--bytes", "lots", "is not a size")]
    [InlineData("--connections", "0", "between 1 and 1024")]
    [InlineData("--timeout", "soon", "is not a duration")]
    [InlineData("--log-level", "loud", "is not a log level")]
    public async Task Demo_BadArgument_ExitsTwoWithClearMessage(string option, string value, string message)
    {
        var (exit, _, error) = await WeftProcess.RunAsync(["demo", option, value]);

        Assert.Equal(2, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_TimeoutTooShort_FailsWithClearMessage()
    {
        var (exit, output, error) = await WeftProcess.RunAsync(["demo", "--connections", "2", "--bytes", "4GiB", "--timeout", "1ms"]);

        Assert.True(exit == 1, $"exit {exit}\n{output}\n{error}");
        Assert.Contains("FAILED: did not finish within 1ms", error, StringComparison.Ordinal);
    }
}
