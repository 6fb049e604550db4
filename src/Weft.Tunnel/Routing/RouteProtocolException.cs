namespace Weft.Tunnel.Routing;

/// <summary>A malformed route frame: caught by the hop that read it, which replies with <see cref="Status"/> and closes the stream.</summary>
internal sealed class RouteProtocolException : Exception
{
    public RouteProtocolException(RouteStatus status, string message)
        : base(message)
    {
        Status = status;
    }

    public RouteProtocolException()
        : this(RouteStatus.BadRequest, "bad request")
    {
    }

    public RouteProtocolException(string message)
        : this(RouteStatus.BadRequest, message)
    {
    }

    public RouteProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = RouteStatus.BadRequest;
    }

    public RouteStatus Status { get; }
}
