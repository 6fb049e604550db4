using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Weft.Cli.Config;
using Weft.Cli.Hosting;
using Weft.Crypto.Keys;
using Weft.Transports;
using Weft.Tunnel;
using Weft.Tunnel.Access;
using Weft.Tunnel.Agents;
using Weft.Tunnel.Forwards;
using Weft.Tunnel.Relay;
using Weft.Tunnel.Status;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft demo</c>: the whole tunnel chain on loopback in one process — a relay, a server agent, a client
/// agent with a <c>-L</c> forward, a target service (echo) and clients — with throwaway keys, every byte checked
/// by SHA-256 both ways, and a summary of what it did. Exit 0 when everything matched.
/// </summary>
internal static class DemoCommand
{
    private const string ServerName = "demo";

    /// <summary>The secure layer of every agent link: weft's default for its own links.</summary>
    private const string SecureLayer = "noise";

    public static Command Create()
    {
        var connections = new Option<int>("--connections", "--streams")
        {
            Description = "Concurrent connections through the forward [default: 4]",
            DefaultValueFactory = _ => 4,
            HelpName = "n",
        };
        var bytes = new Option<string>("--bytes")
        {
            Description = "Bytes each connection sends (and gets echoed back), e.g. 4MiB, 512KiB, 1GiB [default: 8MiB]",
            DefaultValueFactory = _ => "8MiB",
            HelpName = "size",
        };
        var timeout = new Option<string>("--timeout")
        {
            Description = "Give up (exit 1) after this long, e.g. 30s, 2m [default: 2m]",
            DefaultValueFactory = _ => "2m",
            HelpName = "duration",
        };
        var logLevel = new Option<string>("--log-level")
        {
            Description = "Log level of the tunnel hosts, on standard error [default: warning]",
            DefaultValueFactory = _ => "warning",
            HelpName = "level",
        };
        var command = new Command("demo", """
            Runs a whole tunnel on loopback and verifies it, with nothing to set up: a relay, a server
            agent (registered with the relay as 'demo'), a client agent with a -L forward through the relay to
            the server agent, a TCP echo service as the target, and clients that connect to the forward.
            Every agent link is authenticated and encrypted (Noise IK, weft's default, with throwaway keys); every byte is
            checked by SHA-256 in both directions. Prints the hops, addresses, bytes, throughput and
            round-trip times; exit code 0 when everything matched, 1 otherwise.

            Examples:
              weft demo
              weft demo --connections 16 --bytes 1MiB
              weft demo --connections 1 --bytes 256MiB --log-level information
            """);
        command.Options.Add(connections);
        command.Options.Add(bytes);
        command.Options.Add(timeout);
        command.Options.Add(logLevel);
        command.SetAction(async (parse, _) =>
        {
            int count = parse.GetValue(connections);
            string sizeText = parse.GetValue(bytes)!;
            if (count is < 1 or > 1024)
            {
                await Console.Error.WriteLineAsync("weft demo: --connections must be between 1 and 1024").ConfigureAwait(false);
                return 2;
            }

            if (!ByteSize.TryParse(sizeText, out long size) || size < 1)
            {
                await Console.Error.WriteLineAsync($"weft demo: --bytes '{sizeText}' is not a size (examples: 4MiB, 512KiB, 100000)").ConfigureAwait(false);
                return 2;
            }

            if (!Durations.TryParse(parse.GetValue(timeout)!, out TimeSpan limit) || limit <= TimeSpan.Zero)
            {
                await Console.Error.WriteLineAsync($"weft demo: --timeout '{parse.GetValue(timeout)}' is not a duration (examples: 30s, 2m)").ConfigureAwait(false);
                return 2;
            }

            if (!Logging.TryParseLevel(parse.GetValue(logLevel)!, out LogLevel level))
            {
                await Console.Error.WriteLineAsync($"weft demo: --log-level '{parse.GetValue(logLevel)}' is not a log level (trace, debug, information, warning, error, critical, none)").ConfigureAwait(false);
                return 2;
            }

            using var signal = new ShutdownSignal(message => Console.Error.WriteLine($"weft demo: {message}"));
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(signal.Stopping);
            deadline.CancelAfter(limit);
            try
            {
                return await RunAsync(count, size, level, Console.Out, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                string why = signal.Reason is { } reason ? $"stopped by {reason}" : $"did not finish within {Durations.Format(limit)} (a loaded machine? try --timeout 5m or fewer --bytes)";
                await Console.Error.WriteLineAsync($"weft demo: FAILED: {why}").ConfigureAwait(false);
                return 1;
            }
            catch (Exception e) when (e is IOException or SocketException or ConfigException or ArgumentException or InvalidOperationException)
            {
                await Console.Error.WriteLineAsync($"weft demo: FAILED: {e.Message}").ConfigureAwait(false);
                return 1;
            }
        });
        return command;
    }

    /// <summary>Runs the demo; returns the exit code.</summary>
    public static async Task<int> RunAsync(int connectionCount, long bytesPerConnection, LogLevel logLevel, TextWriter output, CancellationToken cancellationToken)
    {
        using ILoggerFactory loggerFactory = Logging.Create(logLevel, LogFormat.Text);
        using var keys = new DemoKeys();

        // The target: a TCP echo service that passes half-close on (reads to the end, then closes its side).
        using var target = new TcpListener(IPAddress.Loopback, 0);
        target.Start();
        var targetEndPoint = (IPEndPoint)target.LocalEndpoint;
        using var stopEcho = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task echo = EchoServerAsync(target, stopEcho.Token);

        // Hop 2: the relay, on a free loopback port, knowing the two agents' keys.
        var relayConfig = new WeftConfig
        {
            Source = "demo",
            NetworkKey = ConfigLoader.DefaultNetworkKey,
            Relay = new RelayRole
            {
                Identity = DemoKeys.Ref("relay", keys.Relay),
                Listen = ["net:127.0.0.1:0~" + SecureLayer],
                Acl = new RelayAcl
                {
                    ServerNames = [new ServerNameRule(ServerName, KeySet.Of(DemoKeys.PublicOf(keys.Server)))],
                    Clients = [new ServerAccessRule(KeySet.Of(DemoKeys.PublicOf(keys.Client)), [ServerName])],
                },
            },
        };
        var relayHost = new WeftHost(relayConfig, TextWriter.Null, loggerFactory);
        await using var relayScope = relayHost.ConfigureAwait(false);
        await relayHost.StartAsync(cancellationToken).ConfigureAwait(false);
        var relay = (TunnelRelay)relayHost.Roles[0].Host;
        string relayAddress = PinKey(relay.BoundAddresses[0], DemoKeys.PublicOf(keys.Relay));

        // Hops 3 and 1: the server agent dials out to the relay; the client agent forwards a local port.
        var agentsConfig = new WeftConfig
        {
            Source = "demo",
            NetworkKey = ConfigLoader.DefaultNetworkKey,
            Servers =
            [
                new ServerRole
                {
                    Identity = DemoKeys.Ref("server", keys.Server),
                    Names = [ServerName],
                    Relays = [relayAddress],
                    Acl = new ServerAcl
                    {
                        Targets = [new TargetRule(KeySet.Of(DemoKeys.PublicOf(keys.Client)), HostPattern.Parse("127.0.0.1"), new PortRange(targetEndPoint.Port, targetEndPoint.Port), TargetProtocol.Tcp)],
                    },
                },
            ],
            Clients =
            [
                new ClientRole
                {
                    Identity = DemoKeys.Ref("client", keys.Client),
                    Upstream = relayAddress,
                    DefaultServer = ServerName,
                    Forwards = [ForwardSpec.Local(0, ServerName, "127.0.0.1", targetEndPoint.Port)],
                },
            ],
        };
        var agentsHost = new WeftHost(agentsConfig, TextWriter.Null, loggerFactory);
        await using var agentsScope = agentsHost.ConfigureAwait(false);
        await agentsHost.StartAsync(cancellationToken).ConfigureAwait(false);
        var server = (ServerAgent)agentsHost.Roles[0].Host;
        var client = (ClientAgent)agentsHost.Roles[1].Host;
        var connecting = Stopwatch.StartNew();
        await server.WaitForSessionAsync(cancellationToken).ConfigureAwait(false);
        await client.WaitForSessionAsync(cancellationToken).ConfigureAwait(false);
        TimeSpan connectTime = connecting.Elapsed;
        string forwardBound = client.GetStatus().Forwards[0].BoundEndPoint
            ?? throw new InvalidOperationException("the client agent's -L forward is not bound");
        IPEndPoint forwardEndPoint = IPEndPoint.Parse(forwardBound);

        await output.WriteLineAsync("weft demo: a tunnel through a relay, all on loopback, throwaway keys").ConfigureAwait(false);
        await output.WriteLineAsync($"  client            {connectionCount} TCP connection(s) to the -L forward").ConfigureAwait(false);
        await output.WriteLineAsync($"  client agent      -L {forwardBound} -> {ServerName}:{targetEndPoint}   key {Short(DemoKeys.PublicOf(keys.Client))}").ConfigureAwait(false);
        await output.WriteLineAsync($"  relay             {relayAddress[..relayAddress.IndexOf('~', StringComparison.Ordinal)]} ({SecurityOf(relayAddress)})   key {Short(DemoKeys.PublicOf(keys.Relay))}").ConfigureAwait(false);
        await output.WriteLineAsync($"  server agent      '{ServerName}', dialled out to the relay   key {Short(DemoKeys.PublicOf(keys.Server))}").ConfigureAwait(false);
        await output.WriteLineAsync($"  target            echo service on {targetEndPoint}").ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  sessions up in    {connectTime.TotalMilliseconds:0} ms (two handshakes, two mux sessions)")).ConfigureAwait(false);
        await output.WriteLineAsync($"weft demo: sending {ByteSize.Format(bytesPerConnection)} on each connection, SHA-256 checked both ways").ConfigureAwait(false);

        long moved = 0;
        double total = 2.0 * connectionCount * bytesPerConnection;
        var clock = Stopwatch.StartNew();
        Task<ConnectionResult>[] running = Enumerable.Range(0, connectionCount)
            .Select(i => RunConnectionAsync(i, forwardEndPoint, bytesPerConnection, n => Interlocked.Add(ref moved, n), cancellationToken))
            .ToArray();
        ConnectionResult[] results = await WithProgressAsync(Task.WhenAll(running), () => Interlocked.Read(ref moved), total, cancellationToken).ConfigureAwait(false);
        TimeSpan elapsed = clock.Elapsed;

        TunnelStatus clientStatus = client.GetStatus();
        TunnelStatus serverStatus = server.GetStatus();
        TunnelStatus relayStatus = relay.GetStatus();
        int good = results.Count(r => r.Ok);
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync($"  connections       {connectionCount} ({good} verified, {connectionCount - good} failed)").ConfigureAwait(false);
        await output.WriteLineAsync($"  moved             {ByteSize.Format(total)} ({ByteSize.Format(total / 2)} each way), through 3 hops").ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  time              {elapsed.TotalSeconds:0.00} s")).ConfigureAwait(false);
        await output.WriteLineAsync($"  throughput        {ByteSize.Format(total / Math.Max(elapsed.TotalSeconds, 1e-6))}/s (both directions together)").ConfigureAwait(false);
        await output.WriteLineAsync($"  links             client agent over {LinkSecurity(clientStatus)}, server agent over {LinkSecurity(serverStatus)}").ConfigureAwait(false);
        await output.WriteLineAsync($"  rtt client-relay  {Rtt(clientStatus)}").ConfigureAwait(false);
        await output.WriteLineAsync($"  rtt server-relay  {Rtt(serverStatus)}").ConfigureAwait(false);
        await output.WriteLineAsync($"  relay             {relayStatus.Sessions.Count} agent session(s), {relayStatus.TotalStreams} stream(s) carried, {relayStatus.RefusedStreams} refused").ConfigureAwait(false);
        if (results.FirstOrDefault(r => r.Ok) is { } sample)
        {
            await output.WriteLineAsync($"  sample digest     {sample.Digest[..16]}… sent = echoed").ConfigureAwait(false);
        }

        foreach (ConnectionResult failure in results.Where(r => !r.Ok).Take(5))
        {
            await output.WriteLineAsync($"  FAILED: {failure.Error}").ConfigureAwait(false);
        }

        await agentsHost.DisposeAsync().ConfigureAwait(false);
        await relayHost.DisposeAsync().ConfigureAwait(false);
        await stopEcho.CancelAsync().ConfigureAwait(false);
        target.Stop();
        await echo.ConfigureAwait(false);
        await output.WriteLineAsync(good == connectionCount ? "weft demo: OK — every byte arrived intact through the tunnel" : "weft demo: FAILED").ConfigureAwait(false);
        return good == connectionCount ? 0 : 1;
    }

    /// <summary>Makes sure the dialled relay address pins the relay's key (<c>~noise:KEY</c>).</summary>
    private static string PinKey(MultiAddress bound, string key)
    {
        Address first = bound.Alternatives[0];
        var parts = first.Parts.Select(p => p.Name == SecureLayer && (p.Fields.Count == 0 || p.Fields[0].Length == 0) ? new ProtocolPart(SecureLayer, key) : p);
        return new Address(parts).ToString();
    }

    /// <summary>The security layers of an address as dialled (e.g. <c>noise</c>), read from the address itself.</summary>
    private static string SecurityOf(string address)
    {
        MultiAddress parsed = MultiAddress.Parse(address);
        string[] layers = parsed.Alternatives[0].Parts.Skip(1).Select(p => p.Name).Where(n => ConfigLoader.SecurityLayers.Contains(n)).ToArray();
        return layers.Length == 0 ? "none" : string.Join('+', layers);
    }

    /// <summary>The security layer of an agent's connected session, from the address it actually runs over.</summary>
    private static string LinkSecurity(TunnelStatus status)
    {
        TunnelSessionStatus? session = status.Sessions.FirstOrDefault(s => s.State == TunnelSessionState.Connected);
        return session is null ? "no session" : SecurityOf(session.Address);
    }

    private static string Short(string key) => key[..12] + "…";

    private static string Rtt(TunnelStatus status)
    {
        TunnelSessionStatus? session = status.Sessions.FirstOrDefault(s => s.State == TunnelSessionState.Connected);
        return session is null || session.RoundTripTime <= TimeSpan.Zero
            ? "not measured yet"
            : Control.StatusPrinter.Rtt(session.RoundTripTime.TotalMilliseconds);
    }

    private static async Task<T> WithProgressAsync<T>(Task<T> work, Func<long> moved, double total, CancellationToken cancellationToken)
    {
        bool interactive = !Console.IsErrorRedirected;
        TimeSpan interval = interactive ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(1);
        var clock = Stopwatch.StartNew();
        while (!work.IsCompleted)
        {
            await Task.WhenAny(work, Task.Delay(interval, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (work.IsCompleted)
            {
                break;
            }

            long now = moved();
            double rate = now / Math.Max(clock.Elapsed.TotalSeconds, 1e-6);
            string line = string.Create(CultureInfo.InvariantCulture, $"  progress {ByteSize.Format(now)} of {ByteSize.Format(total)} ({100.0 * now / total:0}%), {ByteSize.Format(rate)}/s");
            await Console.Error.WriteAsync(interactive ? "\r" + line.PadRight(70) : line + "\n").ConfigureAwait(false);
        }

        if (interactive)
        {
            await Console.Error.WriteAsync("\r" + new string(' ', 72) + "\r").ConfigureAwait(false);
        }

        return await work.ConfigureAwait(false);
    }

    private static async Task EchoServerAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        var running = new List<Task>();
        try
        {
            while (true)
            {
                Socket socket = await listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
                running.Add(EchoAsync(socket, cancellationToken));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The demo is over.
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private static async Task EchoAsync(Socket socket, CancellationToken cancellationToken)
    {
        using (socket)
        {
            byte[] buffer = new byte[64 * 1024];
            try
            {
                int n;
                while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    int sent = 0;
                    while (sent < n)
                    {
                        sent += await socket.SendAsync(buffer.AsMemory(sent, n - sent), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                    }
                }

                socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                // The client side reports what went wrong.
            }
        }
    }

    private static async Task<ConnectionResult> RunConnectionAsync(int index, IPEndPoint forward, long bytes, Action<long> onMoved, CancellationToken cancellationToken)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(forward, cancellationToken).ConfigureAwait(false);
            using var sent = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            Task<long> reading = Task.Run(
                async () =>
                {
                    byte[] buffer = new byte[64 * 1024];
                    long got = 0;
                    int n;
                    while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        received.AppendData(buffer, 0, n);
                        got += n;
                        onMoved(n);
                    }

                    return got;
                },
                cancellationToken);

            byte[] chunk = new byte[64 * 1024];
            for (long offset = 0; offset < bytes; offset += chunk.Length)
            {
                int n = (int)Math.Min(chunk.Length, bytes - offset);
                RandomNumberGenerator.Fill(chunk.AsSpan(0, n));
                sent.AppendData(chunk, 0, n);
                int done = 0;
                while (done < n)
                {
                    done += await socket.SendAsync(chunk.AsMemory(done, n - done), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                }

                onMoved(n);
            }

            // Half-close: the echo service sees the end, echoes the rest and closes its side.
            socket.Shutdown(SocketShutdown.Send);
            long echoed = await reading.ConfigureAwait(false);
            byte[] a = sent.GetHashAndReset();
            byte[] b = received.GetHashAndReset();
            bool same = a.AsSpan().SequenceEqual(b);
            bool ok = echoed == bytes && same;
            return new ConnectionResult(ok, Convert.ToHexStringLower(a), ok ? null : $"connection {index}: sent {bytes} bytes, {echoed} came back, digests {(same ? "equal" : "differ")}");
        }
        catch (SocketException e)
        {
            return new ConnectionResult(false, string.Empty, $"connection {index}: {e.Message}");
        }
    }

    private sealed record ConnectionResult(bool Ok, string Digest, string? Error);

    /// <summary>Three throwaway identities, kept only as seeds in pinned memory and wiped on dispose.</summary>
    private sealed class DemoKeys : IDisposable
    {
        public byte[] Relay { get; } = NewSeed();

        public byte[] Server { get; } = NewSeed();

        public byte[] Client { get; } = NewSeed();

        public static string PublicOf(byte[] seed)
        {
            using Ed25519Identity identity = Ed25519Identity.FromSeed(seed);
            return identity.PublicKey.ToString();
        }

        public static IdentityRef Ref(string role, byte[] seed) =>
            new(string.Empty, "demo", 0, 0, role) { Factory = () => Ed25519Identity.FromSeed(seed) };

        public void Dispose()
        {
            CryptographicOperations.ZeroMemory(Relay);
            CryptographicOperations.ZeroMemory(Server);
            CryptographicOperations.ZeroMemory(Client);
        }

        private static byte[] NewSeed()
        {
            byte[] seed = GC.AllocateArray<byte>(32, pinned: true);
            RandomNumberGenerator.Fill(seed);
            return seed;
        }
    }
}
