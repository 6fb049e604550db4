using System.Text.Json;
using System.Text.Json.Serialization;
using Weft.Transports;
using Weft.Tunnel.Forwards;
using Weft.Tunnel.Status;

namespace Weft.Cli.Control;

/// <summary>
/// The JSON that a running weft serves on its control socket and <c>weft status --json</c> prints
/// (documented in docs/cli.md). Field names are camelCase; times are ISO 8601; RTT in milliseconds.
/// </summary>
internal sealed record StatusDocument
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>weft's version.</summary>
    public required string Version { get; init; }

    public required int Pid { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required double UptimeSeconds { get; init; }

    /// <summary>The configuration file, or <c>command line</c>.</summary>
    public required string Source { get; init; }

    public string? Control { get; init; }

    /// <summary>Where socket completions run: <c>inline</c> (on the socket engine's event thread) or <c>thread pool</c>.</summary>
    public string? SocketCompletions { get; init; }

    public required IReadOnlyList<RoleStatus> Roles { get; init; }

    public static StatusDocument? Parse(ReadOnlySpan<byte> json) => JsonSerializer.Deserialize<StatusDocument>(json, JsonOptions);

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, JsonOptions);
}

/// <summary>One role of the process (relay, server agent, client agent).</summary>
internal sealed record RoleStatus
{
    /// <summary><c>relay</c>, <c>server</c> or <c>client</c>.</summary>
    public required string Role { get; init; }

    /// <summary>The server agent's names, or the client agent's upstream.</summary>
    public string? Name { get; init; }

    public IReadOnlyList<string> Listen { get; init; } = [];

    public int ActiveStreams { get; init; }

    public long TotalStreams { get; init; }

    public long RefusedStreams { get; init; }

    public IReadOnlyList<SessionStatus> Sessions { get; init; } = [];

    public IReadOnlyList<ForwardStatus> Forwards { get; init; } = [];

    /// <summary>Set when the role could not report (the rest of the document still holds).</summary>
    public string? Error { get; init; }

    public static RoleStatus From(string role, string? name, TunnelStatus status) => new()
    {
        Role = role,
        Name = name,
        Listen = status.ListenAddresses,
        ActiveStreams = status.ActiveStreams,
        TotalStreams = status.TotalStreams,
        RefusedStreams = status.RefusedStreams,
        Sessions = status.Sessions.Select(SessionStatus.From).ToList(),
        Forwards = status.Forwards.Select(ForwardStatus.From).ToList(),
    };
}

/// <summary>One session: an agent connected to a relay, or an agent's link upstream.</summary>
internal sealed record SessionStatus
{
    public string? PeerKey { get; init; }

    public required string Address { get; init; }

    public required string PeerRole { get; init; }

    public IReadOnlyList<string> Names { get; init; } = [];

    /// <summary><c>connecting</c>, <c>connected</c> or <c>waiting-to-retry</c>.</summary>
    public required string State { get; init; }

    public double RttMs { get; init; }

    public int ActiveStreams { get; init; }

    public long TotalStreams { get; init; }

    public long BytesSent { get; init; }

    public long BytesReceived { get; init; }

    public DateTimeOffset Since { get; init; }

    public int Generation { get; init; }

    public string? LastError { get; init; }

    /// <summary>The legs of a striped link (null, and left out of the JSON, otherwise).</summary>
    public IReadOnlyList<LegStatus>? Legs { get; init; }

    public static SessionStatus From(TunnelSessionStatus s) => new()
    {
        PeerKey = s.PeerKey,
        Address = s.Address,
        PeerRole = s.PeerRole,
        Names = s.Names,
        State = s.State switch
        {
            TunnelSessionState.Connected => "connected",
            TunnelSessionState.Connecting => "connecting",
            _ => "waiting-to-retry",
        },
        RttMs = Math.Round(s.RoundTripTime.TotalMilliseconds, 3),
        ActiveStreams = s.ActiveStreams,
        TotalStreams = s.TotalStreams,
        BytesSent = s.BytesSent,
        BytesReceived = s.BytesReceived,
        Since = s.Since,
        Generation = s.Generation,
        LastError = s.LastError,
        Legs = s.Legs.Count == 0 ? null : s.Legs.Select(LegStatus.From).ToList(),
    };
}

/// <summary>One leg under a session whose connection runs over several (a <c>stripe:N</c> link).</summary>
internal sealed record LegStatus
{
    public int Index { get; init; }

    /// <summary><c>up</c> or <c>down</c> (dead, and not or not yet re-dialled).</summary>
    public required string State { get; init; }

    public string? Remote { get; init; }

    public long BytesSent { get; init; }

    public long BytesReceived { get; init; }

    /// <summary>Payload bytes queued on the leg and not yet acknowledged (unsent + unacknowledged).</summary>
    public long QueueBytes { get; init; }

    public long UnsentBytes { get; init; }

    public long UnacknowledgedBytes { get; init; }

    public long ResentBytes { get; init; }

    /// <summary>Measured delivery rate in bytes per second (0 until measured).</summary>
    public double RateBytesPerSecond { get; init; }

    public double MinRttMs { get; init; }

    /// <summary>How many times the leg was re-dialled after it died.</summary>
    public int Rejoins { get; init; }

    public static LegStatus From(LegStatistics l) => new()
    {
        Index = l.Index,
        State = l.IsAlive ? "up" : "down",
        Remote = l.RemoteEndPoint,
        BytesSent = l.BytesSent,
        BytesReceived = l.BytesReceived,
        QueueBytes = l.QueueDepth,
        UnsentBytes = l.UnsentBytes,
        UnacknowledgedBytes = l.UnacknowledgedBytes,
        ResentBytes = l.ResentBytes,
        RateBytesPerSecond = Math.Round(l.DeliveryRate),
        MinRttMs = Math.Round(l.MinRoundTrip.TotalMilliseconds, 3),
        Rejoins = l.Rejoins,
    };
}

/// <summary>One forward of a client agent (or an <c>-R</c> port a relay opened).</summary>
internal sealed record ForwardStatus
{
    /// <summary>The forward as on the command line, e.g. <c>-L 127.0.0.1:0:office:localhost:22</c>.</summary>
    public required string Forward { get; init; }

    /// <summary>Where it listens now (the real port), or null while not bound.</summary>
    public string? Bound { get; init; }

    public int ActiveConnections { get; init; }

    public long TotalConnections { get; init; }

    public long RefusedConnections { get; init; }

    public long BytesToTarget { get; init; }

    public long BytesFromTarget { get; init; }

    public string? LastError { get; init; }

    public static ForwardStatus From(TunnelForwardStatus f) => new()
    {
        // A port opened for another agent's -R: its target is known to that agent alone, so name the agent.
        Forward = f.Owner is { } owner
            ? $"-R {f.BoundEndPoint ?? f.Spec.BindPort.ToString(System.Globalization.CultureInfo.InvariantCulture)} -> agent {owner}"
            : $"{ForwardSpec.Option(f.Spec.Kind)} {f.Spec}",
        Bound = f.BoundEndPoint,
        ActiveConnections = f.ActiveConnections,
        TotalConnections = f.TotalConnections,
        RefusedConnections = f.RefusedConnections,
        BytesToTarget = f.BytesToTarget,
        BytesFromTarget = f.BytesFromTarget,
        LastError = f.LastError,
    };
}
