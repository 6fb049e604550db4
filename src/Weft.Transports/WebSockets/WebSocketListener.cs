using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Weft.Transports.Net;
using Weft.Transports.Registry;

namespace Weft.Transports.WebSockets;

/// <summary>
/// A Kestrel server with one WebSocket endpoint. Each accepted WebSocket becomes a connection in a bounded
/// queue; its HTTP request stays open until the connection's stream is disposed. Other paths get 404,
/// plain HTTP on the path gets 400.
/// </summary>
internal sealed class WebSocketListener : IConnectionListener
{
    private readonly WebApplication _app;
    private readonly Channel<TransportConnection> _accepted;
    private readonly IPEndPoint _bound;
    private readonly WebSocketEndpoint _endpoint;
    private readonly WebSocketTransportOptions _options;
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;

    private WebSocketListener(WebApplication app, Channel<TransportConnection> accepted, IPEndPoint bound, WebSocketEndpoint endpoint, WebSocketTransportOptions options)
    {
        _app = app;
        _accepted = accepted;
        _bound = bound;
        _endpoint = endpoint;
        _options = options;
        Address = new Address((endpoint with { Host = bound.Address.ToString(), Port = bound.Port }).ToPart());
    }

    public Address Address { get; }

    public static async ValueTask<IConnectionListener> StartAsync(WebSocketEndpoint endpoint, WebSocketTransportOptions options, CancellationToken cancellationToken)
    {
        IPAddress bindAddress = IPAddress.TryParse(endpoint.Host, out IPAddress? ip)
            ? ip
            : (await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken).ConfigureAwait(false)).FirstOrDefault()
              ?? throw new TransportException(TransportError.ListenFailed, $"The host name '{endpoint.Host}' has no addresses to listen on.");
        var certificate = endpoint.Secure ? CertificateFiles.LoadServerCertificate(options) : null;
        var accepted = Channel.CreateBounded<TransportConnection>(options.AcceptBacklog);
        string path = PathOnly(endpoint.Path);

        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddLogging();
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownTimeout);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(bindAddress, endpoint.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
        });
        WebApplication app = builder.Build();
        WebSocketListener? listener = null;
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = options.KeepAliveInterval });
        app.Run(context => listener!.HandleAsync(context, path));
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new TransportException(TransportError.ListenFailed, $"Cannot listen on '{endpoint}': {ex.Message}", ex);
        }

        string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        int port = new Uri(bound).Port;
        listener = new WebSocketListener(app, accepted, new IPEndPoint(bindAddress, port), endpoint, options);
        return listener;
    }

    public async ValueTask<TransportConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw new ObjectDisposedException($"The listener on {Address} is closed.", ex);
        }
    }

    public IReadOnlyList<Address> GetAdvertisedAddresses(AddressScope scope, AdvertiseOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return [.. NetTransport.AdvertisedHosts(_bound, scope, options)
            .Select(h => new Address((_endpoint with { Host = h, Port = _bound.Port }).ToPart()))];
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _accepted.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        while (_accepted.Reader.TryRead(out TransportConnection? queued))
        {
            await Quietly.DisposeAsync(queued).ConfigureAwait(false);
        }

        using (var stop = new CancellationTokenSource(_options.ShutdownTimeout))
        {
            try
            {
                await _app.StopAsync(stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private static string PathOnly(string pathAndQuery)
    {
        int query = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? pathAndQuery : pathAndQuery[..query];
    }

    private async Task HandleAsync(HttpContext context, string path)
    {
        if (!string.Equals(context.Request.PathBase + context.Request.Path, path, StringComparison.Ordinal))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest || _stopping.IsCancellationRequested)
        {
            context.Response.StatusCode = _stopping.IsCancellationRequested ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status400BadRequest;
            return;
        }

        var webSocket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        var stream = new WebSocketConnectionStream(
            webSocket, _options.CloseTimeout, context.RequestAborted, context.Features.Get<IConnectionSocketFeature>()?.Socket);
        string? remote = context.Connection.RemoteIpAddress is null
            ? null
            : new IPEndPoint(context.Connection.RemoteIpAddress, context.Connection.RemotePort).ToString();
        var connection = new TransportConnection(stream, ConnectionRole.Server, Address, remote);
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
            await _accepted.Writer.WriteAsync(connection, linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            await Quietly.DisposeAsync(connection).ConfigureAwait(false);
            return;
        }

        try
        {
            // Kestrel ends the WebSocket when this handler returns: stay until the owner disposes the stream.
            await stream.Disposed.WaitAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
