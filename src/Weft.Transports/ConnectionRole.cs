namespace Weft.Transports;

/// <summary>Which side of a connection this process is.</summary>
public enum ConnectionRole
{
    /// <summary>This side dialled the connection.</summary>
    Client,

    /// <summary>This side accepted the connection.</summary>
    Server,
}
