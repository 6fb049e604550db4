namespace Weft.LoadTest;

/// <summary>How to start one peer program: an executable and the arguments that go before the peer CLI's own.</summary>
/// <param name="Name">Short name for messages.</param>
/// <param name="FileName">The executable.</param>
/// <param name="Prefix">Arguments before the role (e.g. the harness's own dll and "raw-peer").</param>
internal sealed record PeerCommand(string Name, string FileName, string[] Prefix)
{
    /// <summary>This harness, started again as the raw TCP peer.</summary>
    public static PeerCommand RawTcp()
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        return Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? new PeerCommand(Report.Raw, self, [typeof(Program).Assembly.Location, "raw-peer"])
            : new PeerCommand(Report.Raw, self, ["raw-peer"]);
    }
}
