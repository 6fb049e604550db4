using Microsoft.Extensions.Logging;
using Weft.Mux;
using Weft.Transports;
using Weft.Tunnel.Status;

namespace Weft.Tunnel.Agents;

/// <summary>
/// One agent's link to one upstream (a relay, or a server agent in direct mode): dial, authenticate, set up
/// (register names / request -R ports), serve the streams the upstream opens, and when the session breaks make
/// a new one after a jittered exponential backoff (seed 000: use a session until it breaks, then replace it).
/// </summary>
internal sealed class UpstreamConnector
{
    private readonly string _address;
    private readonly MultiAddressClient _client;
    private readonly MuxOptions? _mux;
    private readonly ReconnectPolicy _policy;
    private readonly ILogger _logger;
    private readonly Func<MuxSession, CancellationToken, Task> _setUp;
    private readonly Action<MuxSession, MuxStream> _onStream;
    private readonly TimeProvider _time;
    private readonly Action<TunnelEventArgs> _raise;
    private readonly Random _random = new();
    private readonly object _sync = new();
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private MuxSession? _current;
    private string? _peerKey;
    private ILegStatisticsSource? _legs;
    private TunnelSessionState _state = TunnelSessionState.Connecting;
    private int _generation;
    private DateTimeOffset _since;
    private string? _lastError;
    private long _totalStreams;

    public UpstreamConnector(
        string address,
        MultiAddressClient client,
        MuxOptions? mux,
        ReconnectPolicy policy,
        ILogger logger,
        Func<MuxSession, CancellationToken, Task> setUp,
        Action<MuxSession, MuxStream> onStream,
        TimeProvider time,
        Action<TunnelEventArgs> raise)
    {
        _time = time;
        _raise = raise;
        _address = address;
        _client = client;
        _mux = mux;
        _policy = policy;
        _logger = logger;
        _setUp = setUp;
        _onStream = onStream;
        _since = time.GetUtcNow();
    }

    /// <summary>The session in use, or null while there is none.</summary>
    public MuxSession? Current => Volatile.Read(ref _current);

    /// <summary>Why there is no session (for the log line of a refused local connection).</summary>
    public string NoSessionReason
    {
        get
        {
            lock (_sync)
            {
                return _lastError is null
                    ? $"no session to {_address} yet (connecting)"
                    : $"no session to {_address} ({_lastError}); reconnecting";
            }
        }
    }

    public void CountStream() => Interlocked.Increment(ref _totalStreams);

    public Task WaitConnectedAsync(CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            return _current is not null ? Task.CompletedTask : _connected.Task.WaitAsync(cancellationToken);
        }
    }

    public TunnelSessionStatus GetStatus(IReadOnlyList<string> names, int activeStreams)
    {
        lock (_sync)
        {
            MuxSession? session = _current;
            return new TunnelSessionStatus
            {
                Address = _address,
                PeerRole = "upstream",
                PeerKey = session is null ? null : _peerKey,
                Names = names,
                State = _state,
                RoundTripTime = session?.RoundTripTime ?? TimeSpan.Zero,
                ActiveStreams = session is null ? 0 : activeStreams,
                TotalStreams = Interlocked.Read(ref _totalStreams),
                BytesSent = session?.BytesSent ?? 0,
                BytesReceived = session?.BytesReceived ?? 0,
                Since = _since,
                Generation = _generation,
                LastError = _lastError,
                Legs = session is null ? [] : _legs?.GetLegStatistics() ?? [],
            };
        }
    }

    public async Task RunAsync(CancellationToken stop)
    {
        int attempt = 0;
        while (!stop.IsCancellationRequested)
        {
            long started = _time.GetTimestamp();
            bool wasUp = false;
            MuxSession? session = null;
            try
            {
                SetState(TunnelSessionState.Connecting, null);
                TransportConnection connection = await _client.ConnectAsync(_address, stop).ConfigureAwait(false);
                if (connection.Authentication != ConnectionAuthentication.Authenticated || connection.PeerIdentity is null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    throw new TunnelException(
                        Routing.RouteHop.Client,
                        Routing.RouteStatus.NotAllowed,
                        $"{_address} is not authenticated: add a security layer with the peer's key (…~noise:KEY or …~shs:KEY)");
                }

                session = MuxSession.CreateClient(connection.Stream, _mux);
                await _setUp(session, stop).ConfigureAwait(false);
                int generation;
                lock (_sync)
                {
                    _current = session;
                    _peerKey = connection.PeerIdentity;
                    _legs = connection.FindLayerStream<ILegStatisticsSource>();
                    _state = TunnelSessionState.Connected;
                    _since = _time.GetUtcNow();
                    _lastError = null;
                    generation = ++_generation;
                    _connected.TrySetResult();
                }

                wasUp = true;
                started = _time.GetTimestamp();
                Log.AgentConnected(_logger, _address, generation);
                _raise(new TunnelEventArgs { Kind = TunnelEventKind.SessionUp, IsUpstream = true, Address = _address, PeerKey = connection.PeerIdentity, Generation = generation });
                while (true)
                {
                    MuxStream stream = await session.AcceptStreamAsync(stop).ConfigureAwait(false);
                    _onStream(session, stream);
                }
            }
            catch (Exception ex) when (!stop.IsCancellationRequested)
            {
                string reason = Describe(ex, session);
                TimeSpan lived = _time.GetElapsedTime(started);
                attempt = wasUp && lived >= _policy.ResetAfter ? 0 : wasUp ? attempt : attempt + 1;
                TimeSpan delay = _policy.GetDelay(attempt, _random);
                Log.AgentSessionFailed(_logger, _address, reason, (long)delay.TotalMilliseconds);
                await DropAsync(session, reason).ConfigureAwait(false);
                if (wasUp)
                {
                    _raise(new TunnelEventArgs { Kind = TunnelEventKind.SessionDown, IsUpstream = true, Address = _address, Generation = GenerationNow, Reason = reason });
                }

                try
                {
                    await Task.Delay(delay, _time, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            catch (Exception)
            {
                await DropAsync(session, "stopping").ConfigureAwait(false);
                if (wasUp)
                {
                    _raise(new TunnelEventArgs { Kind = TunnelEventKind.SessionDown, IsUpstream = true, Address = _address, Generation = GenerationNow, Reason = "stopping" });
                }

                return;
            }
        }
    }

    private int GenerationNow
    {
        get
        {
            lock (_sync)
            {
                return _generation;
            }
        }
    }

    private async ValueTask DropAsync(MuxSession? session, string reason)
    {
        lock (_sync)
        {
            if (_current == session || session is null)
            {
                _current = null;
                _legs = null;
                if (_connected.Task.IsCompleted)
                {
                    _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }

            _state = TunnelSessionState.WaitingToRetry;
            _lastError = reason;
            _since = _time.GetUtcNow();
        }

        if (session is not null)
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void SetState(TunnelSessionState state, string? error)
    {
        lock (_sync)
        {
            _state = state;
            if (error is not null)
            {
                _lastError = error;
            }
        }
    }

    private static string Describe(Exception ex, MuxSession? session) => ex switch
    {
        TunnelException t => t.Message,
        MuxException when session?.TerminationException is { } end => "session ended: " + end.Message,
        TransportException t => t.Message,
        _ => ex.Message,
    };
}
