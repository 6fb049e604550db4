using System.Diagnostics;
using Weft.Transports.Registry;

namespace Weft.Transports;

/// <summary>
/// Connects to a <see cref="MultiAddress"/>: alternatives that no registered plugin understands are skipped;
/// the first understood one is dialled with a timeout and, unlike multiserver, a failure falls through to
/// the next (or they race, see <see cref="MultiAddressClientOptions.RaceStagger"/>). When everything fails,
/// one <see cref="TransportException"/> (<see cref="TransportError.AllAttemptsFailed"/>) lists every
/// alternative and why. Thread-safe.
/// </summary>
public sealed class MultiAddressClient
{
    private readonly TransportRegistry _registry;
    private readonly MultiAddressClientOptions _options;

    /// <summary>Creates a client.</summary>
    /// <param name="registry">The plugins.</param>
    /// <param name="options">Timeouts and strategy; null for the defaults.</param>
    public MultiAddressClient(TransportRegistry registry, MultiAddressClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _registry = registry;
        _options = options ?? new MultiAddressClientOptions();
        _options.Validate();
    }

    /// <summary>Parses and connects to a multiaddress.</summary>
    /// <param name="multiAddress">The text.</param>
    /// <param name="cancellationToken">Cancels every attempt.</param>
    /// <returns>The connection with every layer applied.</returns>
    /// <exception cref="AddressFormatException">The text is not a valid multiaddress.</exception>
    /// <exception cref="TransportException">No alternative connected; <see cref="TransportException.Attempts"/> says why.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public ValueTask<TransportConnection> ConnectAsync(string multiAddress, CancellationToken cancellationToken = default) =>
        ConnectAsync(MultiAddress.Parse(multiAddress), cancellationToken);

    /// <summary>Connects to the first alternative that works.</summary>
    /// <param name="address">The multiaddress.</param>
    /// <param name="cancellationToken">Cancels every attempt.</param>
    /// <returns>The connection with every layer applied.</returns>
    /// <exception cref="TransportException">No alternative connected; <see cref="TransportException.Attempts"/> says why.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public async ValueTask<TransportConnection> ConnectAsync(MultiAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        cancellationToken.ThrowIfCancellationRequested();
        var failures = new SortedList<int, DialAttempt>();
        var candidates = new List<(int Index, IConnectionDialer Dialer)>();
        for (int i = 0; i < address.Alternatives.Count; i++)
        {
            Address alternative = address.Alternatives[i];
            try
            {
                candidates.Add((i, _registry.CreateDialer(alternative)));
            }
            catch (TransportException ex)
            {
                failures.Add(i, new DialAttempt(alternative, ex, TimeSpan.Zero));
            }
        }

        if (!_options.FallThrough && candidates.Count > 1)
        {
            candidates.RemoveRange(1, candidates.Count - 1);
        }

        TransportConnection? connection = _options.RaceStagger is { } stagger && candidates.Count > 1
            ? await RaceAsync(candidates, stagger, failures, cancellationToken).ConfigureAwait(false)
            : await SequentialAsync(candidates, failures, cancellationToken).ConfigureAwait(false);
        return connection ?? throw new TransportException(address, [.. failures.Values]);
    }

    private async ValueTask<TransportConnection?> SequentialAsync(List<(int Index, IConnectionDialer Dialer)> candidates, SortedList<int, DialAttempt> failures, CancellationToken cancellationToken)
    {
        foreach (var (index, dialer) in candidates)
        {
            long started = Stopwatch.GetTimestamp();
            try
            {
                return await AttemptAsync(dialer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failures.Add(index, new DialAttempt(dialer.Address, ex, Stopwatch.GetElapsedTime(started)));
            }
        }

        return null;
    }

    private async ValueTask<TransportConnection?> RaceAsync(List<(int Index, IConnectionDialer Dialer)> candidates, TimeSpan stagger, SortedList<int, DialAttempt> failures, CancellationToken cancellationToken)
    {
        using var race = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = new Dictionary<Task<TransportConnection>, (int Index, IConnectionDialer Dialer, long Started)>();
        int next = 0;
        TransportConnection? winner = null;
        try
        {
            while (winner is null && (next < candidates.Count || running.Count > 0))
            {
                if (running.Count == 0)
                {
                    Start();
                    continue;
                }

                Task<TransportConnection> finished;
                if (next < candidates.Count)
                {
                    using var staggerCts = CancellationTokenSource.CreateLinkedTokenSource(race.Token);
                    Task delay = Task.Delay(stagger, _options.TimeProvider, staggerCts.Token);
                    Task first = await Task.WhenAny(running.Keys.Append(delay)).ConfigureAwait(false);
                    await staggerCts.CancelAsync().ConfigureAwait(false);
                    if (first == delay)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        Start();
                        continue;
                    }

                    finished = (Task<TransportConnection>)first;
                }
                else
                {
                    finished = await Task.WhenAny(running.Keys).ConfigureAwait(false);
                }

                var (index, dialer, started) = running[finished];
                running.Remove(finished);
                if (finished.IsCompletedSuccessfully)
                {
                    winner = finished.Result;
                }
                else
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    Exception error = finished.Exception?.InnerException ?? new OperationCanceledException();
                    failures.Add(index, new DialAttempt(dialer.Address, error, Stopwatch.GetElapsedTime(started)));
                }
            }

            return winner;
        }
        finally
        {
            await race.CancelAsync().ConfigureAwait(false);
            foreach (Task<TransportConnection> loser in running.Keys)
            {
                try
                {
                    TransportConnection late = await loser.ConfigureAwait(false);
                    await Quietly.DisposeAsync(late).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // A cancelled or failed loser: nothing to clean up.
                }
            }
        }

        void Start()
        {
            var (index, dialer) = candidates[next++];
            running.Add(AttemptAsync(dialer, race.Token).AsTask(), (index, dialer, Stopwatch.GetTimestamp()));
        }
    }

    /// <summary>One alternative under <see cref="MultiAddressClientOptions.AttemptTimeout"/>.</summary>
    private async ValueTask<TransportConnection> AttemptAsync(IConnectionDialer dialer, CancellationToken cancellationToken)
    {
        var timeout = new CancellationTokenSource(_options.AttemptTimeout, _options.TimeProvider);
        var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        Task<TransportConnection> dial;
        try
        {
            dial = dialer.DialAsync(linked.Token).AsTask();
        }
        catch
        {
            linked.Dispose();
            timeout.Dispose();
            throw;
        }

        try
        {
            // WaitAsync bounds the attempt even if a plugin ignores its token.
            return await dial.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TransportException(TransportError.TimedOut, $"No connection within {_options.AttemptTimeout.TotalSeconds:0.###} s (including layers).", ex);
        }
        finally
        {
            if (dial.IsCompleted)
            {
                linked.Dispose();
                timeout.Dispose();
            }
            else
            {
                // The plugin is still running: close whatever it produces late, observe its failure.
                _ = dial.ContinueWith(
                    static (t, state) =>
                    {
                        var (l, o) = ((CancellationTokenSource, CancellationTokenSource))state!;
                        if (t.IsCompletedSuccessfully)
                        {
                            _ = t.Result.DisposeAsync().AsTask().ContinueWith(static d => _ = d.Exception, TaskScheduler.Default);
                        }

                        _ = t.Exception;
                        l.Dispose();
                        o.Dispose();
                    },
                    (linked, timeout),
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
        }
    }
}
