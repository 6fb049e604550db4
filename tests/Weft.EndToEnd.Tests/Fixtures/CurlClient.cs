using System.Net;

namespace Weft.EndToEnd.Fixtures;

/// <summary>Runs the real <c>curl</c>, optionally through a SOCKS5 proxy that resolves names itself (<c>--socks5-hostname</c>).</summary>
public static class CurlClient
{
    /// <summary>
    /// <c>curl -sS --fail [--socks5-hostname PROXY] [-o FILE] URL</c>. With <paramref name="outputFile"/> the
    /// body goes to that file and stdout holds only the <c>-w</c> summary; otherwise stdout is the body.
    /// </summary>
    /// <param name="url">The URL.</param>
    /// <param name="socks5">The SOCKS5 proxy, or null for a direct request.</param>
    /// <param name="timeout">How long curl may take (also passed as its own --max-time).</param>
    /// <param name="outputFile">Where to write the body, or null.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The exit code (0 = success; 97 = SOCKS5 failure, see curl(1)), stdout and stderr.</returns>
    public static async Task<(int ExitCode, string StandardOutput, string StandardError)> GetAsync(
        string url, IPEndPoint? socks5, TimeSpan timeout, string? outputFile = null, CancellationToken cancellationToken = default)
    {
        List<string> arguments = ["-sS", "--fail", "--max-time", ((int)Math.Ceiling(timeout.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture)];
        if (socks5 is not null)
        {
            arguments.AddRange(["--socks5-hostname", socks5.ToString()]);
        }

        if (outputFile is not null)
        {
            arguments.AddRange(["-o", outputFile, "-w", "%{http_code} %{size_download}"]);
        }

        arguments.Add(url);
        await using ProcessRunner curl = ProcessRunner.Start("curl", Tools.Curl, arguments);
        curl.CloseStandardInput();
        int exit = await curl.WaitForExitAsync(timeout + TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        return (exit, curl.StandardOutput, curl.StandardError);
    }
}
