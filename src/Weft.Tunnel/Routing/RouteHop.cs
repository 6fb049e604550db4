namespace Weft.Tunnel.Routing;

/// <summary>Which hop produced a route reply: the prefix of the message the user sees ("relay: …").</summary>
public enum RouteHop
{
    /// <summary>The client agent itself.</summary>
    Client = 0,

    /// <summary>The relay.</summary>
    Relay = 1,

    /// <summary>The server agent (the exit).</summary>
    Server = 2,

    /// <summary>The agent that asked for an <c>-R</c> forward (connecting its local target).</summary>
    Agent = 3,
}
