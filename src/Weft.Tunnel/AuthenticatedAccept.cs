using Microsoft.Extensions.Logging;
using Weft.Transports;
using Weft.Transports.Registry;
using Weft.Tunnel.Access;

namespace Weft.Tunnel;

/// <summary>The listening side shared by the relay and a server agent in direct mode: start every listener or none, and give sessions only to verified peers.</summary>
internal static class AuthenticatedAccept
{
    /// <summary>
    /// Starts one server per listen address, logging each bound address; if any fails, the ones already started
    /// are disposed and the error is rethrown, so a host never runs on half of its addresses.
    /// </summary>
    /// <param name="registry">Builds the listeners.</param>
    /// <param name="listen">The multiaddresses to listen on.</param>
    /// <param name="options">Server options.</param>
    /// <param name="listening">Called with each bound address.</param>
    /// <param name="cancellationToken">Cancels starting.</param>
    /// <returns>The started servers, in the order of <paramref name="listen"/>.</returns>
    public static async Task<List<MultiAddressServer>> StartListenersAsync(
        TransportRegistry registry,
        IEnumerable<string> listen,
        MultiAddressServerOptions? options,
        Action<string> listening,
        CancellationToken cancellationToken)
    {
        var servers = new List<MultiAddressServer>();
        try
        {
            foreach (string address in listen)
            {
                MultiAddressServer server = await MultiAddressServer.StartAsync(registry, MultiAddress.Parse(address), options, cancellationToken).ConfigureAwait(false);
                servers.Add(server);
                listening(server.BoundAddress.ToString());
            }
        }
        catch
        {
            foreach (MultiAddressServer server in servers)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        return servers;
    }

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
