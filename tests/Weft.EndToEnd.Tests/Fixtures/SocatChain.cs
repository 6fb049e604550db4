using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Weft.EndToEnd.Fixtures;

/// <summary>
/// The baseline three-hop chain: three <c>socat</c> processes on loopback, each forwarding every
/// connection to the next (client side → middle → server side → target), the shape of Weft's client
/// agent → relay → server agent, without encryption or multiplexing.
/// </summary>
public sealed partial class SocatChain : IAsyncDisposable
{
    private readonly List<ProcessRunner> _hops;

    private SocatChain(List<ProcessRunner> hops, int entryPort)
    {
        _hops = hops;
        EntryPort = entryPort;
    }

    /// <summary>The port clients connect to (first hop, 127.0.0.1).</summary>
    public int EntryPort { get; }

    /// <summary>The entry endpoint.</summary>
    public IPEndPoint EntryPoint => new(IPAddress.Loopback, EntryPort);

    /// <summary>The socat processes, first hop first.</summary>
    public IReadOnlyList<ProcessRunner> Hops => _hops;

    /// <summary>Starts <paramref name="hops"/> socat processes leading to <paramref name="target"/> and waits until the first accepts.</summary>
    /// <param name="target">The last hop's destination.</param>
    /// <param name="hops">How many socat processes (3 for the comparison).</param>
    /// <param name="timeout">How long the chain may take to come up.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running chain.</returns>
    public static async Task<SocatChain> StartAsync(IPEndPoint target, int hops, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var processes = new List<ProcessRunner>();
        try
        {
            IPEndPoint next = target;
            for (int i = 0; i < hops; i++)
            {
                int port = Tools.FreeTcpPort();
                // -t 5: after one direction ends, wait up to 5 s for the other (half-close), not socat's 0.5 s.
                processes.Insert(0, ProcessRunner.Start(
                    FormattableString.Invariant($"socat hop {hops - i}"),
                    Tools.Socat,
                    [
                        "-d", "-d",
                        "-t", "5",
                        FormattableString.Invariant($"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,nodelay,backlog=4096"),
                        FormattableString.Invariant($"TCP:{next.Address}:{next.Port.ToString(CultureInfo.InvariantCulture)},nodelay"),
                    ]));
                // "-d -d" makes socat log "listening on AF=2 127.0.0.1:PORT" (a probe connection would reach the target).
                await processes[0].WaitForLineAsync(ListeningLine(), timeout, cancellationToken: cancellationToken).ConfigureAwait(false);
                next = new IPEndPoint(IPAddress.Loopback, port);
            }

            return new SocatChain(processes, next.Port);
        }
        catch
        {
            foreach (ProcessRunner process in processes)
            {
                await process.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    [GeneratedRegex(@"listening on AF=2 127\.0\.0\.1:\d+")]
    private static partial Regex ListeningLine();

    /// <summary>Stops every hop.</summary>
    /// <returns>A task that completes when all are gone.</returns>
    public async ValueTask DisposeAsync()
    {
        foreach (ProcessRunner hop in _hops)
        {
            await hop.DisposeAsync().ConfigureAwait(false);
        }
    }
}
