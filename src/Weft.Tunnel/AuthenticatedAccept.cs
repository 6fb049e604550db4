using Microsoft.Extensions.Logging;
using Weft.Transports;
using Weft.Tunnel.Access;

namespace Weft.Tunnel;

/// <summary>The accept loop shared by the relay and a server agent in direct mode: only verified peers get a session.</summary>
internal static class AuthenticatedAccept
{
    /// <summary>
    /// Accepts connections until <paramref name="stop"/> or the server fails. A connection whose security layer
    /// did not verify a key, or one past <paramref name="maxSessions"/>, is logged and closed; every other one is
    /// handed to <paramref name="accepted"/> with the peer's normalised key.
    /// </summary>
    /// <param name="server">The listening server.</param>
    /// <param name="sessionCount">How many sessions are open now.</param>
    /// <param name="maxSessions">The most sessions allowed at once.</param>
    /// <param name="logger">Where refusals are logged.</param>
    /// <param name="accepted">Takes ownership of an accepted connection and its peer key.</param>
    /// <param name="stop">Stops the loop.</param>
    /// <returns>Completes when the loop ends.</returns>
    public static async Task RunAsync(
        MultiAddressServer server,
        Func<int> sessionCount,
        int maxSessions,
        ILogger logger,
        Action<TransportConnection, string> accepted,
        CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            TransportConnection connection;
            try
            {
                connection = await server.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (Exception)
            {
                return;
            }

            // Nothing unauthenticated is ever served: no key, no session.
            if (connection.Authentication != ConnectionAuthentication.Authenticated || !TunnelKey.TryNormalize(connection.PeerIdentity, out string? key))
            {
                Log.RelayUnauthenticated(logger, connection.RemoteEndPoint, connection.Address.ToString());
                await connection.DisposeAsync().ConfigureAwait(false);
                continue;
            }

            if (sessionCount() >= maxSessions)
            {
                Log.RelayTooManySessions(logger, connection.RemoteEndPoint, maxSessions);
                await connection.DisposeAsync().ConfigureAwait(false);
                continue;
            }

            accepted(connection, key);
        }
    }
}
