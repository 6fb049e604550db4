using Weft.Mux.Protocol;

namespace Weft.Mux;

/// <summary>
/// Peer misbehaviour found while handling a frame. Thrown inside the read loop only, and caught there in
/// one place, which sends GoAway with <see cref="Code"/> and fails the session.
/// </summary>
internal sealed class MuxProtocolException : Exception
{
    public MuxProtocolException(string message, YamuxGoAwayCode code = YamuxGoAwayCode.ProtocolError, MuxError error = MuxError.ProtocolError)
        : base(message)
    {
        Code = code;
        Error = error;
    }

    public YamuxGoAwayCode Code { get; }

    public MuxError Error { get; }
}
