using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Weft.Cli.Control;

/// <summary>
/// The local control endpoint of a running weft: a unix socket, owner-only (the socket file is mode 600
/// and a folder weft creates is 700), that answers <c>GET /status</c> with a JSON status
/// (<see cref="ControlProtocol"/>). Each connection is served on its own task with a read timeout; the
/// socket file is removed on dispose.
/// </summary>
internal sealed partial class ControlServer : IAsyncDisposable
{
    private static readonly TimeSpan s_requestTimeout = TimeSpan.FromSeconds(5);

    private readonly Socket _listener;
    private readonly Func<byte[]> _status;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly Lock _lock = new();
    private readonly HashSet<Task> _connections = [];

    private ControlServer(string path, Socket listener, Func<byte[]> status, ILogger logger)
    {
        Path = path;
        _listener = listener;
        _status = status;
        _logger = logger;
        _accepting = AcceptLoopAsync();
    }

    /// <summary>The socket's path.</summary>
    public string Path { get; }

    /// <summary>
    /// Binds the socket at <paramref name="path"/>. A stale socket file (nobody answers on it) is replaced;
    /// a live one is an error, so two processes never share a path.
    /// </summary>
    /// <exception cref="IOException">The path is in use by a running process or cannot be bound.</exception>
    public static async Task<ControlServer> StartAsync(string path, Func<byte[]> status, ILogger logger, CancellationToken cancellationToken = default)
    {
        string full = System.IO.Path.GetFullPath(path);
        string? folder = System.IO.Path.GetDirectoryName(full);
        if (folder is not null && !Directory.Exists(folder))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(folder);
            }
            else
            {
                Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        if (File.Exists(full))
        {
            if (await IsAliveAsync(full, cancellationToken).ConfigureAwait(false))
            {
                throw new IOException($"control socket '{full}' is in use by another running weft; give this one another path with --control PATH (or control.socket in the config)");
            }

            // A socket file has length 0; anything with content is someone's file, not a stale socket.
            if (new FileInfo(full).Length > 0)
            {
                throw new IOException($"'{full}' exists and is not a socket; refusing to replace it: give the control socket another path");
            }

            File.Delete(full);
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(full));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(full, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            listener.Listen(16);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new IOException($"cannot open control socket '{full}': {e.Message}", e);
        }

        return new ControlServer(full, listener, status, logger);
    }

    /// <summary>Whether something answers on the unix socket at <paramref name="path"/>.</summary>
    public static async Task<bool> IsAliveAsync(string path, CancellationToken cancellationToken = default)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await probe.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        Task[] running;
        lock (_lock)
        {
            running = [.. _connections];
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
            // Someone else's now, or already gone.
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Task serving = ServeAsync(connection);
            lock (_lock)
            {
                _connections.Add(serving);
            }

            _ = serving.ContinueWith(
                t =>
                {
                    lock (_lock)
                    {
                        _connections.Remove(t);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        using (connection)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(s_requestTimeout);
            byte[] buffer = new byte[ControlProtocol.MaxRequestHead];
            int filled = 0;
            int status;
            string detail;
            try
            {
                while (true)
                {
                    if (filled == buffer.Length)
                    {
                        status = 431;
                        detail = $"request head larger than {ControlProtocol.MaxRequestHead} bytes";
                        break;
                    }

                    int n = await connection.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                    if (n == 0)
                    {
                        return;
                    }

                    filled += n;
                    int end = ControlProtocol.FindHeadEnd(buffer.AsSpan(0, filled));
                    if (end >= 0)
                    {
                        status = ControlProtocol.Route(buffer.AsSpan(0, end), out detail);
                        break;
                    }
                }

                byte[] response = status == 200
                    ? ControlProtocol.Response(200, "application/json", _status())
                    : ControlProtocol.Response(status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(detail + "\n"));
                if (status != 200)
                {
                    LogBadRequest(_logger, status, detail);
                }

                await connection.SendAsync(response, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                connection.Shutdown(SocketShutdown.Both);
            }
            catch (OperationCanceledException)
            {
                if (!_stop.IsCancellationRequested)
                {
                    LogBadRequest(_logger, 408, "no complete request within the timeout");
                }
            }
            catch (SocketException)
            {
                // The reader went away; nothing to tell it.
            }
        }
    }

    [LoggerMessage(EventId = 900, Level = LogLevel.Debug, Message = "control: refused a request ({Status}): {Detail}")]
    private static partial void LogBadRequest(ILogger logger, int status, string detail);
}
