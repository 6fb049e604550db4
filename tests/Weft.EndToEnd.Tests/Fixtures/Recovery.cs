using System.Diagnostics;
using System.Net;

namespace Weft.EndToEnd.Fixtures;

/// <summary>How long a route took to carry checked bytes again after a fault, and how many probes failed first.</summary>
/// <param name="Elapsed">From the start of the wait to the first probe that succeeded.</param>
/// <param name="FailedProbes">Probes that failed before it.</param>
/// <param name="LastError">The last probe failure's message, if any.</param>
public sealed record RecoveryResult(TimeSpan Elapsed, int FailedProbes, string? LastError)
{
    /// <summary>One line for test output and docs/benchmarks.md.</summary>
    /// <returns>The line.</returns>
    public override string ToString() => FormattableString.Invariant($"recovered in {Elapsed.TotalMilliseconds:0} ms after {FailedProbes} failed probe(s){(LastError is null ? string.Empty : $" (last: {LastError})")}");
}

/// <summary>Measures recovery: probes a route with small checked echoes until one succeeds.</summary>
public static class Recovery
{
    /// <summary>The probe: a fresh connection, a 4 KiB checked echo with half-close, within <paramref name="probeTimeout"/>.</summary>
    /// <param name="entry">The route's entry.</param>
    /// <param name="probeTimeout">How long one probe may take.</param>
    /// <param name="cancellationToken">Cancels the probe.</param>
    /// <returns>A task that completes when the echo was checked.</returns>
    public static async Task ProbeAsync(IPEndPoint entry, TimeSpan probeTimeout, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(probeTimeout);
        await TransferClient.EchoAndVerifyAsync(entry, 4096, seed: 99, timeout.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// Probes <paramref name="entry"/> every <paramref name="interval"/> until a probe succeeds or
    /// <paramref name="timeout"/> passes (then throws with the last failure).
    /// </summary>
    /// <param name="entry">The route's entry.</param>
    /// <param name="timeout">How long recovery may take at most.</param>
    /// <param name="interval">Pause between failed probes.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The recovery time.</returns>
    public static async Task<RecoveryResult> WaitAsync(IPEndPoint entry, TimeSpan timeout, TimeSpan? interval = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        int failed = 0;
        string? last = null;
        while (true)
        {
            try
            {
                await ProbeAsync(entry, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
                return new RecoveryResult(clock.Elapsed, failed, last);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                failed++;
                last = e.GetType().Name + ": " + e.Message;
                if (clock.Elapsed > timeout)
                {
                    throw new TimeoutException($"the route did not recover within {timeout.TotalSeconds:0.#} s ({failed} failed probes; last: {last})", e);
                }

                await Task.Delay(interval ?? TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
