using Weft.Tunnel.Forwards;
using Weft.Tunnel.Status;

namespace Weft.Tunnel.Agents;

/// <summary>Counters and the bound end point of one running forward.</summary>
internal sealed class ForwardState(ForwardSpec spec)
{
    private int _active;
    private long _total;
    private long _refused;
    private string? _bound;
    private string? _lastError;

    public ForwardSpec Spec { get; } = spec;

    public TrafficCounter Traffic { get; } = new();

    public string Option => ForwardSpec.Option(Spec.Kind);

    public string? BoundEndPoint
    {
        get => Volatile.Read(ref _bound);
        set => Volatile.Write(ref _bound, value);
    }

    public int BoundPort { get; set; }

    public void Opened()
    {
        Interlocked.Increment(ref _total);
        Interlocked.Increment(ref _active);
    }

    public void Closed() => Interlocked.Decrement(ref _active);

    public void Refused(string message)
    {
        Interlocked.Increment(ref _refused);
        Volatile.Write(ref _lastError, message);
    }

    public TunnelForwardStatus GetStatus() => new()
    {
        Spec = Spec,
        BoundEndPoint = BoundEndPoint,
        ActiveConnections = Volatile.Read(ref _active),
        TotalConnections = Interlocked.Read(ref _total),
        RefusedConnections = Interlocked.Read(ref _refused),
        BytesToTarget = Traffic.Up,
        BytesFromTarget = Traffic.Down,
        LastError = Volatile.Read(ref _lastError),
    };
}
