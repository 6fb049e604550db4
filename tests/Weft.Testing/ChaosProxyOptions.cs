namespace Weft.Testing;

/// <summary>
/// Settings a <see cref="ChaosProxy"/> gives each NEW connection (both directions). Read at each accept,
/// so changing them affects later connections only; change a live connection through
/// <see cref="ChaosConnection.ClientToServer"/>, <see cref="ChaosConnection.ServerToClient"/> and its methods.
/// </summary>
public sealed class ChaosProxyOptions
{
    /// <summary>Added one-way delay per direction. Default zero.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Jitter per direction: each chunk's delay is <see cref="Delay"/> ± a uniform random amount up to this (never reordering). Default zero.</summary>
    public TimeSpan Jitter { get; set; }

    /// <summary>Bandwidth cap per direction in bytes per second; 0 (the default) for none.</summary>
    public long BytesPerSecond { get; set; }

    /// <summary>Cut each connection after this many bytes forwarded (both directions together); -1 (the default) for never.</summary>
    public long KillAfterBytes { get; set; } = -1;

    /// <summary>How <see cref="KillAfterBytes"/> cuts. Default <see cref="ChaosCutMode.Reset"/>.</summary>
    public ChaosCutMode KillMode { get; set; } = ChaosCutMode.Reset;

    /// <summary>
    /// Most bytes held by the proxy per direction of a connection (default 1 MiB). A full buffer stops
    /// the proxy reading from the sender, so back-pressure reaches it; it also bounds throughput to
    /// about buffer ÷ delay.
    /// </summary>
    public int BufferBytesPerDirection { get; set; } = 1024 * 1024;

    /// <summary>Seed for the jitter random numbers (each connection derives its own from it). Default 1.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Timeout for connecting to the target. Default 10 s; on failure the client is reset.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Called for each new connection after it is accepted and before it forwards any byte, so that one
    /// connection can be set apart (e.g. cap only the second one, or delay one): change it through
    /// <see cref="ChaosConnection.Configure"/>, <see cref="ChaosConnection.KillAfter"/> and its links. Its
    /// <see cref="ChaosConnection.Id"/> says which connection it is (0, 1, 2, … in accept order). Runs on
    /// the proxy's accept loop, so keep it short; if it throws, that connection is reset. Default null.
    /// </summary>
    public Action<ChaosConnection>? ConfigureConnection { get; set; }

    internal ChaosProxyOptions Snapshot()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Delay, TimeSpan.Zero, nameof(Delay));
        ArgumentOutOfRangeException.ThrowIfLessThan(Jitter, TimeSpan.Zero, nameof(Jitter));
        ArgumentOutOfRangeException.ThrowIfNegative(BytesPerSecond, nameof(BytesPerSecond));
        ArgumentOutOfRangeException.ThrowIfLessThan(KillAfterBytes, -1, nameof(KillAfterBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(BufferBytesPerDirection, 1024, nameof(BufferBytesPerDirection));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero, nameof(ConnectTimeout));
        return (ChaosProxyOptions)MemberwiseClone();
    }
}
