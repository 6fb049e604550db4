using Weft.Testing;

namespace Weft.Interop.Tests;

/// <summary>
/// interop/weft-peer — the program other yamux implementations are pointed at — against the Go peer,
/// in both roles, through the shared CLI.
/// </summary>
/// <remarks>
/// The test project references weft-peer's project, so <c>dotnet test</c> builds it and copies
/// <c>weft-peer.dll</c> with its runtimeconfig next to the test binaries (a clean checkout needs no other
/// step); it is started with the <c>dotnet</c> host that runs the tests.
/// </remarks>
// One collection for every real-peer test: they run one at a time, so big transfers do not share the CPU.
[Collection("real peers")]
public sealed class WeftPeerProgramTests
{
    [Fact(Timeout = 90_000)]
    public async Task WeftPeerServer_GoClient_EchoVerified()
    {
        CancellationToken ct = TestTimeout.Token(75);
        await using PeerProcess server = await PeerProcess.StartServerAsync(WeftPeer, cancellationToken: ct);

        PeerResult result = await PeerProcess.RunClientAsync(PeerPrograms.GoYamux, server.EndpointText, streams: 16, bytes: 1 << 20, TestTimeout.Scaled(TimeSpan.FromSeconds(60)), ct);

        Assert.True(result.Ok, result.Describe("client against weft-peer") + "\n" + server.Diagnostics());
        Assert.True(result.Number("ping_us") > 0, $"no ping round trip: {result.Json}");
        for (int k = 0; k < 16; k++)
        {
            var ev = await server.WaitForStreamEventAsync(2 * k + 1, TestTimeout.Scaled(TimeSpan.FromSeconds(15)), ct);
            Assert.True(ev.GetProperty("result").ValueEquals("eof"), $"weft-peer: {ev}");
            Assert.Equal(1 << 20, ev.GetProperty("bytes").GetInt64());
        }
    }

    [Fact(Timeout = 90_000)]
    public async Task GoServer_WeftPeerClient_EchoVerified()
    {
        CancellationToken ct = TestTimeout.Token(75);
        await using PeerProcess server = await PeerProcess.StartServerAsync(PeerPrograms.GoYamux, cancellationToken: ct);

        PeerResult result = await PeerProcess.RunClientAsync(WeftPeer, server.EndpointText, streams: 16, bytes: 1 << 20, TestTimeout.Scaled(TimeSpan.FromSeconds(60)), ct);

        Assert.True(result.Ok, result.Describe("weft-peer client against the Go server") + "\n" + server.Diagnostics());
        Assert.True(result.Number("ping_us") > 0, $"no ping round trip: {result.Json}");
        Assert.Equal("weft", result.Json!.Value.GetProperty("impl").GetString());
        for (int k = 0; k < 16; k++)
        {
            var ev = await server.WaitForStreamEventAsync(2 * k + 1, TestTimeout.Scaled(TimeSpan.FromSeconds(15)), ct);
            Assert.True(ev.GetProperty("result").ValueEquals("eof"), $"go-yamux: {ev}");
            Assert.Equal(1 << 20, ev.GetProperty("bytes").GetInt64());
        }
    }

    /// <summary>weft-peer as a <see cref="PeerProgram"/>: <c>dotnet weft-peer.dll</c> from the test output folder.</summary>
    private static PeerProgram WeftPeer
    {
        get
        {
            string dll = Path.Combine(AppContext.BaseDirectory, "weft-peer.dll");
            if (!File.Exists(dll) || !File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")))
            {
                throw new PeerMissingException(
                    $"weft-peer.dll (and its runtimeconfig) is not next to the test binaries in {AppContext.BaseDirectory}; " +
                    "build the test project (it references interop/weft-peer) with `dotnet build tests/Weft.Interop.Tests`.");
            }

            return new PeerProgram("weft", DotnetHost, [dll]);
        }
    }

    /// <summary>The dotnet host: the one <c>dotnet test</c> exported, else <c>dotnet</c> beside the running runtime, else on PATH.</summary>
    private static string DotnetHost
    {
        get
        {
            string exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
            string? fromCli = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(fromCli) && File.Exists(fromCli))
            {
                return fromCli;
            }

            // The shared runtime lives in DOTNET_ROOT/shared/Microsoft.NETCore.App/VERSION/.
            string? runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location);
            string? root = runtimeDir is null ? null : Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", ".."));
            if (root is not null && File.Exists(Path.Combine(root, exe)))
            {
                return Path.Combine(root, exe);
            }

            foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                if (File.Exists(Path.Combine(dir, exe)))
                {
                    return Path.Combine(dir, exe);
                }
            }

            throw new PeerMissingException("Cannot find the `dotnet` host to run weft-peer.dll (no DOTNET_HOST_PATH, none beside the runtime, none on PATH).");
        }
    }
}
