using System.Text;
using Weft.Transports.Registry;

namespace Weft.Transports.Tests;

/// <summary>
/// A third-party stream layer <c>hello:TOKEN</c>: the client sends "TOKEN\n", the server reads a line and
/// fails unless it equals its own TOKEN. Records (role, token) of every application. A server-side token
/// <c>slow</c> waits forever (to test layer timeouts).
/// </summary>
internal sealed class RecordingLayer(string name = "hello") : IStreamLayer
{
    private readonly List<string> _events = [];

    public string Name { get; } = name;

    public IReadOnlyList<string> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    public async ValueTask<TransportConnection> ApplyAsync(TransportConnection connection, ProtocolPart part, CancellationToken cancellationToken = default)
    {
        string token = part.Fields.Count > 0 ? part.Fields[0] : string.Empty;
        lock (_events)
        {
            _events.Add($"{connection.Role}:{Name}:{token}");
        }

        if (connection.Role == ConnectionRole.Client)
        {
            await connection.Stream.WriteAsync(Encoding.ASCII.GetBytes(token + "\n"), cancellationToken);
        }
        else
        {
            var line = new StringBuilder();
            byte[] one = new byte[1];
            while (true)
            {
                if (await connection.Stream.ReadAsync(one, cancellationToken) == 0)
                {
                    throw new TransportException(TransportError.LayerFailed, "hello: the client hung up");
                }

                if (one[0] == '\n')
                {
                    break;
                }

                line.Append((char)one[0]);
            }

            if (line.ToString() != token)
            {
                throw new TransportException(TransportError.LayerFailed, $"hello: expected '{token}', got '{line}'");
            }
        }

        return connection.WithLayer(connection.Stream, part).WithAuthentication(ConnectionAuthentication.Authenticated, token);
    }
}
