using Microsoft.Extensions.Logging;

namespace Weft.Tunnel;

/// <summary>
/// Every tunnel log line, with stable event ids (1xx relay, 2xx server agent, 3xx client agent, 4xx shared).
/// Keys are public ids; no secret is ever logged.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(100, LogLevel.Information, "Relay listening on {Address}")]
    public static partial void RelayListening(ILogger logger, string address);

    [LoggerMessage(101, LogLevel.Warning, "Relay closed an unauthenticated connection from {RemoteEndPoint} ({Address}): the relay needs a security layer such as ~shs")]
    public static partial void RelayUnauthenticated(ILogger logger, string? remoteEndPoint, string address);

    [LoggerMessage(102, LogLevel.Information, "Agent {Key} connected from {RemoteEndPoint}")]
    public static partial void RelayAgentConnected(ILogger logger, string key, string? remoteEndPoint);

    [LoggerMessage(103, LogLevel.Information, "Agent {Key} from {RemoteEndPoint} disconnected: {Reason}")]
    public static partial void RelayAgentDisconnected(ILogger logger, string key, string? remoteEndPoint, string reason);

    [LoggerMessage(104, LogLevel.Information, "Server {Key} registered {Names}")]
    public static partial void RelayRegistered(ILogger logger, string key, string names);

    [LoggerMessage(105, LogLevel.Warning, "Refused {Request} from {Key}: {Reason}")]
    public static partial void Refused(ILogger logger, string request, string key, string reason);

    [LoggerMessage(106, LogLevel.Debug, "Route {Key} -> {Server} {Target} opened")]
    public static partial void RelayRouteOpened(ILogger logger, string key, string server, string target);

    [LoggerMessage(107, LogLevel.Warning, "Relay refused a session from {RemoteEndPoint}: {MaxSessions} sessions already")]
    public static partial void RelayTooManySessions(ILogger logger, string? remoteEndPoint, int maxSessions);

    [LoggerMessage(108, LogLevel.Information, "Reverse forward for {Key} listening on {EndPoint}")]
    public static partial void ReverseListening(ILogger logger, string key, string endPoint);

    [LoggerMessage(109, LogLevel.Information, "Name {Name} moved from an older session of {Key} to its new one")]
    public static partial void RelayNameReplaced(ILogger logger, string name, string key);

    [LoggerMessage(200, LogLevel.Information, "Connected to {Upstream} (session {Generation})")]
    public static partial void AgentConnected(ILogger logger, string upstream, int generation);

    [LoggerMessage(201, LogLevel.Warning, "Session to {Upstream} failed: {Reason}; retrying in {Delay} ms")]
    public static partial void AgentSessionFailed(ILogger logger, string upstream, string reason, long delay);

    [LoggerMessage(202, LogLevel.Warning, "Refused target {Target} for {Key}: {Reason}")]
    public static partial void TargetRefused(ILogger logger, string target, string key, string reason);

    [LoggerMessage(203, LogLevel.Debug, "Connected {Target} for {Key}")]
    public static partial void TargetConnected(ILogger logger, string target, string key);

    [LoggerMessage(204, LogLevel.Information, "Direct-mode listener on {Address}")]
    public static partial void DirectListening(ILogger logger, string address);

    [LoggerMessage(300, LogLevel.Information, "Forward {Option} {Spec} listening on {EndPoint}")]
    public static partial void ForwardListening(ILogger logger, string option, string spec, string endPoint);

    [LoggerMessage(301, LogLevel.Warning, "Reset a connection to {Option} {EndPoint}: {Reason}")]
    public static partial void ForwardRefused(ILogger logger, string option, string endPoint, string reason);

    [LoggerMessage(302, LogLevel.Debug, "Forwarded connection on {EndPoint} ended: {Reason}")]
    public static partial void ForwardEnded(ILogger logger, string endPoint, string reason);

    [LoggerMessage(303, LogLevel.Warning, "Reverse forward {Spec} not opened: {Reason}")]
    public static partial void ReverseRefused(ILogger logger, string spec, string reason);

    [LoggerMessage(400, LogLevel.Warning, "Bad request on a stream from {Key}: {Reason}")]
    public static partial void BadRequest(ILogger logger, string key, string reason);

    [LoggerMessage(401, LogLevel.Error, "Unexpected failure in {Where}")]
    public static partial void Unexpected(ILogger logger, string where, Exception exception);

    [LoggerMessage(402, LogLevel.Warning, "A handler of the {Kind} event threw; the host carries on")]
    public static partial void EventHandlerFailed(ILogger logger, string kind, Exception exception);
}
