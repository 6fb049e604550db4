using Weft.Cli.Tests.Support;

namespace Weft.Cli.Tests;

public class HelpTests
{
    [Fact]
    public async Task Help_Root_ListsEveryCommandWithASummaryAndExamples()
    {
        var (exit, output, _) = await WeftProcess.RunAsync(["--help"]);

        Assert.Equal(0, exit);
        foreach (string command in new[] { "demo", "keygen", "relay", "serve", "connect", "up", "status" })
        {
            Assert.Matches($@"(?m)^  {command}\s+\S", output);
        }

        Assert.Contains("Examples:", output, StringComparison.Ordinal);
        Assert.Contains("weft connect net:relay.example.com:7000~noise:RELAYKEY -s office -L 2222:localhost:22", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("demo", "weft demo --connections 16 --bytes 1MiB")]
    [InlineData("keygen", "weft keygen -o relay.key --show")]
    [InlineData("relay", "weft relay --server SERVERKEY:office --client CLIENTKEY:office")]
    [InlineData("serve", "weft serve --name office --relay net:relay.example.com:7000~noise:RELAYKEY --allow CLIENTKEY:localhost:22")]
    [InlineData("connect", "weft connect net:relay.example.com:7000~noise:RELAYKEY -s office -L 2222:localhost:22")]
    [InlineData("up", "weft up -c weft.yaml --check")]
    [InlineData("status", "weft status --json")]
    public async Task Help_EveryCommand_ShowsRealExamplesAndDefaults(string command, string example)
    {
        var (exit, output, _) = await WeftProcess.RunAsync([command, "--help"]);

        Assert.Equal(0, exit);
        Assert.Contains("Examples:", output, StringComparison.Ordinal);
        Assert.Contains(example, output, StringComparison.Ordinal);
        Assert.Contains("Options:", output, StringComparison.Ordinal);
    }
}
