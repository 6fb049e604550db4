using Weft.Tunnel.Routing;

namespace Weft.Tunnel;

/// <summary>
/// The one public exception of the tunnel layer: a hop refused or failed a route. <see cref="Exception.Message"/>
/// is what the user sees, prefixed by the hop (<c>relay: no server named 'office'</c>,
/// <c>server: target 10.0.0.5:22 not allowed for key …</c>); <see cref="Status"/> and <see cref="Hop"/> say
/// the same for programs. Messages never contain secrets (public keys are not secrets).
/// </summary>
public sealed class TunnelException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="hop">The hop that refused.</param>
    /// <param name="status">Why.</param>
    /// <param name="detail">The hop's text, without the prefix.</param>
    /// <param name="innerException">The local cause, if any.</param>
    public TunnelException(RouteHop hop, RouteStatus status, string detail, Exception? innerException = null)
        : base(Describe(hop, detail), innerException)
    {
        Hop = hop;
        Status = status;
        Detail = detail;
    }

    /// <summary>Creates an internal-error exception (for serializers and frameworks).</summary>
    public TunnelException()
        : this(RouteHop.Client, RouteStatus.InternalError, "tunnel error")
    {
    }

    /// <summary>Creates an internal-error exception with a message.</summary>
    /// <param name="message">The message.</param>
    public TunnelException(string message)
        : this(RouteHop.Client, RouteStatus.InternalError, message)
    {
    }

    /// <summary>Creates an internal-error exception with a message and cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public TunnelException(string message, Exception innerException)
        : this(RouteHop.Client, RouteStatus.InternalError, message, innerException)
    {
    }

    /// <summary>The hop that refused or failed.</summary>
    public RouteHop Hop { get; }

    /// <summary>Why.</summary>
    public RouteStatus Status { get; }

    /// <summary>The hop's own text, without the <c>relay: </c> prefix.</summary>
    public string Detail { get; }

    /// <summary>The user-facing form: <c>hop: detail</c>.</summary>
    /// <param name="hop">The hop.</param>
    /// <param name="detail">Its text.</param>
    /// <returns>For example <c>relay: no server named 'office'</c>.</returns>
    public static string Describe(RouteHop hop, string detail) => hop switch
    {
        RouteHop.Relay => "relay: ",
        RouteHop.Server => "server: ",
        RouteHop.Agent => "agent: ",
        _ => "client: ",
    } + detail;
}
