namespace Weft.Tunnel.Routing;

/// <summary>A decoded route frame.</summary>
internal abstract record RouteMessage
{
    /// <summary>The frame type.</summary>
    public abstract RouteFrameType Type { get; }
}

/// <summary>The innermost request: where to connect.</summary>
internal sealed record TargetRequest(bool Udp, string Host, int Port) : RouteMessage
{
    public override RouteFrameType Type => Udp ? RouteFrameType.UdpTarget : RouteFrameType.TcpTarget;

    public string Describe() => $"{Forwards.ForwardSpec.FormatHost(Host)}:{Port}" + (Udp ? "/udp" : string.Empty);
}

/// <summary>Client → relay.</summary>
internal sealed record OpenRequest(string Server, TargetRequest Inner) : RouteMessage
{
    public override RouteFrameType Type => RouteFrameType.Open;
}

/// <summary>Relay → server agent, with the client's verified key (canonical base64).</summary>
internal sealed record IncomingRequest(string ClientKey, TargetRequest Inner) : RouteMessage
{
    public override RouteFrameType Type => RouteFrameType.Incoming;
}

/// <summary>Server agent → relay.</summary>
internal sealed record RegisterRequest(IReadOnlyList<string> Names) : RouteMessage
{
    public override RouteFrameType Type => RouteFrameType.Register;
}

/// <summary>Agent → relay: open a -R port.</summary>
internal sealed record ListenRequest(string Host, int Port) : RouteMessage
{
    public override RouteFrameType Type => RouteFrameType.Listen;
}

/// <summary>Relay → agent: a connection arrived on the -R port <see cref="Port"/> from <see cref="Peer"/>.</summary>
internal sealed record AcceptedNotice(int Port, string Peer) : RouteMessage
{
    public override RouteFrameType Type => RouteFrameType.Accepted;
}

/// <summary>The answer to a request.</summary>
internal sealed record RouteReply(RouteStatus Status, RouteHop Hop, string Message) : RouteMessage
{
    public override RouteFrameType Type => RouteFrameType.Reply;

    public static RouteReply Ok(RouteHop hop, string message = "") => new(RouteStatus.Ok, hop, message);

    public TunnelException ToException() => new(Hop, Status, Message);
}
