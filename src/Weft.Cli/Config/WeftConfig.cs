using Microsoft.Extensions.Logging;
using Weft.Cli.Hosting;

namespace Weft.Cli.Config;

/// <summary>
/// Everything one weft process runs, read from a YAML file (<see cref="ConfigLoader"/>) or built from a
/// command line (<c>weft relay</c>, <c>weft serve</c>, <c>weft connect</c>): the same model either way, so
/// both paths validate alike. Roles hold tunnel types that are already parsed and checked.
/// </summary>
internal sealed record WeftConfig
{
    /// <summary>The file as the user named it, or <c>command line</c>.</summary>
    public required string Source { get; init; }

    /// <summary>The 32-byte network key every peer of this network shares (never logged).</summary>
    public required byte[] NetworkKey { get; init; }

    /// <summary>The mux dialect and keepalive of every agent link.</summary>
    public MuxSettings Mux { get; init; } = new();

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    public LogFormat LogFormat { get; init; } = LogFormat.Text;

    /// <summary>Path of the control socket; null when disabled.</summary>
    public string? ControlSocket { get; init; }

    public RelayRole? Relay { get; init; }

    public IReadOnlyList<ServerRole> Servers { get; init; } = [];

    public IReadOnlyList<ClientRole> Clients { get; init; } = [];

    public int RoleCount => (Relay is null ? 0 : 1) + Servers.Count + Clients.Count;
}
