using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Weft.EndToEnd.Fixtures;

/// <summary>
/// A local HTTP/1.1 server (Kestrel) for curl: <c>GET /hello</c> answers a fixed line naming the port,
/// <c>GET /bytes/N?seed=S</c> answers N pattern bytes (so a download can be checked with SHA-256).
/// It listens on 127.0.0.1 and, where the machine has IPv6, on [::1] at the same port, so the name
/// "localhost" works whichever address a resolver returns first. Counts requests.
/// </summary>
public sealed class HttpTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private long _requests;

    private HttpTestServer(WebApplication app, int port, bool hasIPv6)
    {
        _app = app;
        Port = port;
        HasIPv6 = hasIPv6;
    }

    /// <summary>The port (the same on both loopback addresses).</summary>
    public int Port { get; }

    /// <summary>True when the server also listens on [::1].</summary>
    public bool HasIPv6 { get; }

    /// <summary>Requests served so far.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>The body of <c>/hello</c>.</summary>
    public string HelloBody => $"hello from the weft test server on port {Port}\n";

    /// <summary>Starts the server on a free port.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server.</returns>
    public static async Task<HttpTestServer> StartAsync(CancellationToken cancellationToken = default)
    {
        for (int attempt = 1; ; attempt++)
        {
            int port = Tools.FreeTcpPort();
            bool ipv6 = System.Net.Sockets.Socket.OSSupportsIPv6;
            WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(options =>
            {
                options.Listen(IPAddress.Loopback, port);
                if (ipv6)
                {
                    options.Listen(IPAddress.IPv6Loopback, port);
                }
            });
            WebApplication app = builder.Build();
            HttpTestServer? server = null;
            app.Use(async (context, next) =>
            {
                Interlocked.Increment(ref server!._requests);
                await next(context).ConfigureAwait(false);
            });
            app.MapGet("/hello", () => server!.HelloBody);
            app.MapGet("/bytes/{length:long}", async (HttpContext context, long length, int? seed) =>
            {
                context.Response.ContentType = "application/octet-stream";
                context.Response.ContentLength = length;
                var chunk = new byte[64 * 1024];
                for (long sent = 0; sent < length;)
                {
                    int n = (int)Math.Min(chunk.Length, length - sent);
                    TcpTarget.PatternBytes(chunk.AsSpan(0, n), sent, seed ?? 0);
                    await context.Response.Body.WriteAsync(chunk.AsMemory(0, n), context.RequestAborted).ConfigureAwait(false);
                    sent += n;
                }
            });
            server = new HttpTestServer(app, port, ipv6);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                return server;
            }
            catch (IOException) when (attempt < 5)
            {
                await app.DisposeAsync().ConfigureAwait(false); // the port was taken meanwhile: try another
            }
        }
    }

    /// <summary>Stops the server.</summary>
    /// <returns>A task that completes when it has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
