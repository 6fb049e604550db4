namespace Weft.Tunnel.Access;

/// <summary>Which kind of target connection a <see cref="TargetRule"/> allows.</summary>
public enum TargetProtocol
{
    /// <summary>TCP and UDP.</summary>
    Any,

    /// <summary>TCP only (<c>-L</c>, <c>-D</c>).</summary>
    Tcp,

    /// <summary>UDP only (<c>-U</c>).</summary>
    Udp,
}
