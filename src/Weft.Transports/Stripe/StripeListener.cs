using System.Threading.Channels;
using Weft.Transports.Registry;

namespace Weft.Transports.Stripe;

/// <summary>
/// Accepts legs from the inner listener and groups them into bundles by bundle id. A first leg (index 0)
/// opens a pending bundle; the other legs must name a pending bundle, fit its leg count and a free index,
/// and (when the layers below authenticated the peer) carry the same peer identity. A bundle that does not
/// get all its legs within <see cref="StripeOptions.BundleTimeout"/> is dropped. Complete bundles queue for
/// <see cref="AcceptAsync"/>. A running bundle accepted here can take a rejoining leg (hello status
/// <see cref="StripeHelloStatus.Rejoin"/>) in the slot of a dead one, if it proves membership the same way:
/// the bundle id, the leg count, and the peer identity of leg 0; at most <see cref="StripeOptions.MaxLegRejoins"/> times.
/// </summary>
internal sealed class StripeListener : IConnectionListener
{
    private readonly StripeCombinator _owner;
    private readonly IConnectionListener _inner;
    private readonly ProtocolPart _part;
    private readonly int _maxLegs;
    private readonly StripeOptions _options;
    private readonly Lock _lock = new();
    private readonly Dictionary<UInt128, PendingBundle> _pending = [];
    private readonly Dictionary<UInt128, RunningBundle> _running = [];
    private readonly HashSet<Task> _handlers = [];
    private readonly Channel<TransportConnection> _ready;
    private readonly SemaphoreSlim _greeting;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _disposed;

    public StripeListener(StripeCombinator owner, IConnectionListener inner, ProtocolPart part, int maxLegs)
    {
        _owner = owner;
        _inner = inner;
        _part = part;
        _maxLegs = maxLegs;
        _options = owner.Options;
        _greeting = new SemaphoreSlim(_options.MaxPendingBundles * 4);
        _ready = Channel.CreateBounded<TransportConnection>(new BoundedChannelOptions(_options.AcceptBacklog));
        Address = inner.Address.Append(part);
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public Address Address { get; }

    public async ValueTask<TransportConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _ready.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw new ObjectDisposedException($"The listener on {Address} is closed.", ex.InnerException ?? ex);
        }
    }

    public IReadOnlyList<Address> GetAdvertisedAddresses(AddressScope scope, AdvertiseOptions options) =>
        [.. _inner.GetAdvertisedAddresses(scope, options).Select(a => a.Append(_part))];

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _inner.DisposeAsync().ConfigureAwait(false);
        await _acceptLoop.ConfigureAwait(false);
        Task[] handlers;
        lock (_lock)
        {
            handlers = [.. _handlers];
        }

        await Task.WhenAll(handlers).ConfigureAwait(false);
        PendingBundle[] pending;
        lock (_lock)
        {
            pending = [.. _pending.Values];
            _pending.Clear();
        }

        foreach (PendingBundle bundle in pending)
        {
            await bundle.DisposeAsync().ConfigureAwait(false);
        }

        _ready.Writer.TryComplete();
        while (_ready.Reader.TryRead(out TransportConnection? left))
        {
            await Quietly.DisposeAsync(left).ConfigureAwait(false);
        }

        _stop.Dispose();
        _greeting.Dispose();
    }

    private Task AcceptLoopAsync() =>
        PermitAcceptLoop.RunAsync(_inner, _greeting, _ready.Writer, TrackLeg, _stop.Token);

    /// <summary>Starts a leg's handler and keeps it in <c>_handlers</c> until it ends (dispose waits for them).</summary>
    private void TrackLeg(TransportConnection leg)
    {
        Task handler = HandleLegAsync(leg);
        lock (_lock)
        {
            if (!handler.IsCompleted)
            {
                _handlers.Add(handler);
            }
        }

        _ = handler.ContinueWith(
            t =>
            {
                lock (_lock)
                {
                    _handlers.Remove(t);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Reads one leg's hello, answers it, and files the leg into its bundle. Never throws.</summary>
    private async Task HandleLegAsync(TransportConnection leg)
    {
        await Task.Yield();
        bool owned = false;
        try
        {
            using var timeout = new CancellationTokenSource(_options.BundleTimeout, _options.TimeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stop.Token);
            byte[] hello = new byte[StripeWire.HelloSize];
            await leg.Stream.ReadExactlyAsync(hello, linked.Token).ConfigureAwait(false);
            StripeHello request = StripeWire.ReadHello(hello);

            if (request.Status == StripeHelloStatus.Rejoin)
            {
                owned = await RejoinAsync(request, leg, hello, linked.Token).ConfigureAwait(false);
                return;
            }

            (StripeHelloStatus status, PendingBundle? bundle) = Reserve(request, leg);
            StripeWire.WriteHello(hello, request.LegCount, request.LegIndex, status, _options.ReceiveWindowBytes, request.BundleId);
            try
            {
                await leg.Stream.WriteAsync(hello, linked.Token).ConfigureAwait(false);
                await leg.Stream.FlushAsync(linked.Token).ConfigureAwait(false);
            }
            catch when (bundle is not null)
            {
                await DropAsync(bundle).ConfigureAwait(false);
                throw;
            }

            if (bundle is null)
            {
                return; // Refused: the answer says why; the leg is closed below.
            }

            owned = true;
            TransportConnection[]? complete = bundle.Commit();
            if (complete is null)
            {
                return;
            }

            // Registered as running before the bundle starts, so that its close (however early) unregisters it.
            var running = new RunningBundle(request.LegCount, bundle.Authentication, bundle.PeerIdentity);
            lock (_lock)
            {
                _pending.Remove(request.BundleId);
                _running[request.BundleId] = running;
            }

            bundle.CancelTimeout();

            StripeStream stream = _owner.CreateBundle(complete, bundle.PeerWindow, onClosed: _ =>
            {
                lock (_lock)
                {
                    _running.Remove(request.BundleId);
                }
            });
            lock (_lock)
            {
                running.Stream = stream;
            }

            TransportConnection connection = complete[0].WithLayer(stream, _part);
            try
            {
                await _ready.Writer.WriteAsync(connection, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                await Quietly.DisposeAsync(connection).ConfigureAwait(false);
            }
        }
        catch (Exception)
        {
            // A bad hello, a timeout or a reset: this leg is dropped (below); a bundle it was part of was dropped.
        }
        finally
        {
            if (!owned)
            {
                await Quietly.DisposeAsync(leg).ConfigureAwait(false);
            }

            _greeting.Release();
        }
    }

    /// <summary>A rejoin hello: answers it and, when accepted, hands the leg to the running bundle. Returns whether the leg is owned by the bundle now.</summary>
    private async Task<bool> RejoinAsync(StripeHello request, TransportConnection leg, byte[] hello, CancellationToken cancellationToken)
    {
        StripeHelloStatus status;
        StripeStream? stream = null;
        if (request.LegCount < 1 || request.LegCount > _maxLegs || request.LegIndex >= request.LegCount || request.ReceiveWindow < StripeWire.HeaderSize + 1)
        {
            status = StripeHelloStatus.Unsupported;
        }
        else
        {
            lock (_lock)
            {
                if (!_running.TryGetValue(request.BundleId, out RunningBundle? running) || running.Stream is null)
                {
                    status = StripeHelloStatus.UnknownBundle;
                }
                else if (running.LegCount != request.LegCount || running.Authentication != leg.Authentication || running.PeerIdentity != leg.PeerIdentity
                    || running.Rejoins >= _options.MaxLegRejoins)
                {
                    // Not a member: another leg count or, when the layers below authenticate, another peer than leg 0's.
                    status = StripeHelloStatus.NotInBundle;
                }
                else
                {
                    running.Rejoins++;
                    stream = running.Stream;
                    status = StripeHelloStatus.Accepted;
                }
            }
        }

        StripeWire.WriteHello(hello, request.LegCount, request.LegIndex, status, _options.ReceiveWindowBytes, request.BundleId);
        await leg.Stream.WriteAsync(hello, cancellationToken).ConfigureAwait(false);
        await leg.Stream.FlushAsync(cancellationToken).ConfigureAwait(false);

        // Only after the answer is on the wire may the bundle write frames on the leg.
        return stream is not null && stream.TryAttachLeg(request.LegIndex, leg);
    }

    /// <summary>Decides whether the leg may join and, if so, reserves its place (under the lock).</summary>
    private (StripeHelloStatus Status, PendingBundle? Bundle) Reserve(StripeHello request, TransportConnection leg)
    {
        if (request.LegCount < 1 || request.LegCount > _maxLegs || request.LegIndex >= request.LegCount || request.Status != StripeHelloStatus.Accepted || request.ReceiveWindow < StripeWire.HeaderSize + 1)
        {
            return (StripeHelloStatus.Unsupported, null);
        }

        lock (_lock)
        {
            if (_stop.IsCancellationRequested)
            {
                return (StripeHelloStatus.Busy, null);
            }

            if (request.LegIndex == 0)
            {
                if (_pending.ContainsKey(request.BundleId) || _running.ContainsKey(request.BundleId))
                {
                    return (StripeHelloStatus.NotInBundle, null);
                }

                if (_pending.Count >= _options.MaxPendingBundles)
                {
                    return (StripeHelloStatus.Busy, null);
                }

                var bundle = new PendingBundle(request.LegCount, request.ReceiveWindow, leg);
                _pending.Add(request.BundleId, bundle);
                bundle.StartTimeout(_options, () => ExpireAsync(request.BundleId, bundle));
                return (StripeHelloStatus.Accepted, bundle);
            }

            if (!_pending.TryGetValue(request.BundleId, out PendingBundle? existing))
            {
                return (StripeHelloStatus.UnknownBundle, null);
            }

            return existing.TryReserve(request.LegCount, request.LegIndex, leg)
                ? (StripeHelloStatus.Accepted, existing)
                : (StripeHelloStatus.NotInBundle, null);
        }
    }

    private async Task ExpireAsync(UInt128 id, PendingBundle bundle)
    {
        lock (_lock)
        {
            if (!_pending.TryGetValue(id, out PendingBundle? current) || current != bundle)
            {
                return;
            }

            _pending.Remove(id);
        }

        await bundle.DisposeAsync().ConfigureAwait(false);
    }

    private async Task DropAsync(PendingBundle bundle)
    {
        lock (_lock)
        {
            foreach (var (id, candidate) in _pending)
            {
                if (candidate == bundle)
                {
                    _pending.Remove(id);
                    break;
                }
            }
        }

        await bundle.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>A complete bundle that may take rejoining legs: what a rejoining leg must match.</summary>
    private sealed class RunningBundle(int legCount, ConnectionAuthentication authentication, string? peerIdentity)
    {
        public int LegCount { get; } = legCount;

        public ConnectionAuthentication Authentication { get; } = authentication;

        public string? PeerIdentity { get; } = peerIdentity;

        public StripeStream? Stream { get; set; }

        public int Rejoins { get; set; }
    }

    /// <summary>A bundle waiting for its legs. Its slots are reserved when a hello is accepted and committed once the answer is written.</summary>
    private sealed class PendingBundle : IAsyncDisposable
    {
        private readonly Lock _lock = new();
        private readonly TransportConnection?[] _legs;
        private readonly bool[] _reserved;
        private readonly string? _peerIdentity;
        private readonly ConnectionAuthentication _authentication;
        private CancellationTokenSource? _timeout;
        private int _committed;
        private bool _closed;

        public PendingBundle(int legs, int peerWindow, TransportConnection first)
        {
            _legs = new TransportConnection?[legs];
            _reserved = new bool[legs];
            _reserved[0] = true;
            _legs[0] = first;
            PeerWindow = peerWindow;
            _peerIdentity = first.PeerIdentity;
            _authentication = first.Authentication;
        }

        public int PeerWindow { get; }

        public ConnectionAuthentication Authentication => _authentication;

        public string? PeerIdentity => _peerIdentity;

        public void StartTimeout(StripeOptions options, Func<Task> expire)
        {
            _timeout = new CancellationTokenSource(options.BundleTimeout, options.TimeProvider);
            _timeout.Token.Register(() => _ = expire());
        }

        public void CancelTimeout()
        {
            lock (_lock)
            {
                _timeout?.Dispose();
                _timeout = null;
            }
        }

        public bool TryReserve(int legCount, int index, TransportConnection leg)
        {
            lock (_lock)
            {
                // A leg from another peer (as the layers below authenticated it) never joins someone else's bundle.
                if (_closed || legCount != _legs.Length || _reserved[index] || leg.Authentication != _authentication || leg.PeerIdentity != _peerIdentity)
                {
                    return false;
                }

                _reserved[index] = true;
                _legs[index] = leg;
                return true;
            }
        }

        /// <summary>Marks one reserved leg as answered; returns every leg when it was the last one.</summary>
        public TransportConnection[]? Commit()
        {
            lock (_lock)
            {
                _committed++;
                if (_committed != _legs.Length || _closed)
                {
                    return null;
                }

                // Taken: from now on the legs belong to the bundle stream, and a late expiry leaves them alone.
                _closed = true;
                return [.. _legs.Select(l => l!)];
            }
        }

        public async ValueTask DisposeAsync()
        {
            TransportConnection?[] legs;
            lock (_lock)
            {
                if (_closed)
                {
                    return;
                }

                _closed = true;
                legs = [.. _legs];
                _timeout?.Dispose();
                _timeout = null;
            }

            foreach (TransportConnection? leg in legs)
            {
                await Quietly.DisposeAsync(leg).ConfigureAwait(false);
            }
        }
    }
}
