namespace Weft.Security;

/// <summary>Where a handshake is, so that an end of stream can be explained in terms of the protocol.</summary>
internal enum HandshakeStep
{
    /// <summary>Sending our hello (msg1 for the client, msg2 for the server).</summary>
    Hello,

    /// <summary>Client: waiting for msg2.</summary>
    AwaitingServerHello,

    /// <summary>Client: sending msg3.</summary>
    Authenticating,

    /// <summary>Client: waiting for msg4.</summary>
    AwaitingServerAccept,

    /// <summary>Server: waiting for msg1.</summary>
    AwaitingClientHello,

    /// <summary>Server: waiting for msg3.</summary>
    AwaitingClientAuth,

    /// <summary>Server: running the authorisation callback.</summary>
    Authorizing,

    /// <summary>Server: sending msg4.</summary>
    Accepting,
}
