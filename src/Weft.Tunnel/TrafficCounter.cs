namespace Weft.Tunnel;

/// <summary>Byte counters shared by the streams of one forward or session (thread-safe).</summary>
internal sealed class TrafficCounter
{
    private long _up;
    private long _down;

    /// <summary>Bytes from the side that opened the route towards the target.</summary>
    public long Up => Interlocked.Read(ref _up);

    /// <summary>Bytes from the target back.</summary>
    public long Down => Interlocked.Read(ref _down);

    public void AddUp(int bytes) => Interlocked.Add(ref _up, bytes);

    public void AddDown(int bytes) => Interlocked.Add(ref _down, bytes);
}
