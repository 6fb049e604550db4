using System.Net.Security;
using System.Net.WebSockets;
using Weft.Transports.Registry;

namespace Weft.Transports.WebSockets;

/// <summary>Dials one <c>ws</c>/<c>wss</c> address with <see cref="ClientWebSocket"/>.</summary>
internal sealed class WebSocketDialer : IConnectionDialer
{
    private readonly WebSocketEndpoint _endpoint;
    private readonly WebSocketTransportOptions _options;
    private readonly Lazy<RemoteCertificateValidationCallback?>? _validation;

    public WebSocketDialer(Address address, WebSocketEndpoint endpoint, WebSocketTransportOptions options, Lazy<RemoteCertificateValidationCallback?>? validation)
    {
        Address = address;
        _endpoint = endpoint;
        _options = options;
        _validation = validation;
    }

    public Address Address { get; }

    public async ValueTask<TransportConnection> DialAsync(CancellationToken cancellationToken = default)
    {
        var client = new ClientWebSocket();
        try
        {
            client.Options.KeepAliveInterval = _options.KeepAliveInterval;
            RemoteCertificateValidationCallback? validation = _validation?.Value;
            if (validation is not null)
            {
                client.Options.RemoteCertificateValidationCallback = validation;
            }

            Uri uri = _endpoint.ToUri();
            try
            {
                await client.ConnectAsync(uri, cancellationToken).ConfigureAwait(false);
            }
            catch (WebSocketException ex)
            {
                cancellationToken.ThrowIfCancellationRequested();
                string detail = ex.InnerException is null ? ex.Message : $"{ex.Message} ({Innermost(ex).Message})";
                throw new TransportException(TransportError.ConnectFailed, $"WebSocket connection to {uri} failed: {detail}", ex);
            }

            return new TransportConnection(new WebSocketConnectionStream(client, _options.CloseTimeout), ConnectionRole.Client, Address, _endpoint.ToUri().Authority);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex;
    }
}
