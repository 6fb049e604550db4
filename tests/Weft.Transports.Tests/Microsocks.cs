using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Weft.Transports.Tests;

/// <summary>A running Debian <c>microsocks</c> (SOCKS5 server) on a free loopback port; a stand-in for Tor.</summary>
internal sealed class Microsocks : IAsyncDisposable
{
    private readonly Process _process;

    private Microsocks(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Starts microsocks and waits until it accepts connections. Fails (not skips) when it is not installed.</summary>
    public static async Task<Microsocks> StartAsync(CancellationToken cancellationToken)
    {
        int port = TestNet.FreeTcpPort();
        var start = new ProcessStartInfo("microsocks")
        {
            ArgumentList = { "-i", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("microsocks did not start.");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException("The SOCKS5 tests need microsocks: install the Debian package with 'apt-get install -y microsocks'.", ex);
        }

        var socks = new Microsocks(process, port);
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"microsocks exited with code {process.ExitCode}: {await process.StandardError.ReadToEndAsync(cancellationToken)}");
                }

                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                    return socks;
                }
                catch (SocketException)
                {
                    await Task.Delay(20, cancellationToken);
                }
            }
        }
        catch
        {
            await socks.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }
        finally
        {
            _process.Dispose();
        }
    }
}
