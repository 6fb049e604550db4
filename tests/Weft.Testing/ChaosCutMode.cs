namespace Weft.Testing;

/// <summary>How a <see cref="ChaosProxy"/> drops a connection.</summary>
public enum ChaosCutMode
{
    /// <summary>Abortive close (linger 0): both ends receive a TCP reset and see an <see cref="IOException"/>.</summary>
    Reset,

    /// <summary>
    /// Graceful close: both ends receive a FIN and read end of stream. (Like any TCP stack, the OS still
    /// sends a reset instead on a proxy socket that holds unread bytes from that end.)
    /// </summary>
    Fin,
}
