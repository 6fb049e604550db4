using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Weft.Crypto.Keys;
using Weft.Testing;

namespace Weft.Cli.Tests.Support;

/// <summary>
/// What the tests that run a whole chain (relay, server agent 'office', client agent) in one <c>weft up</c>
/// process share: keys in a temporary directory, a TCP target, the YAML, and one checked connection through
/// the forward.
/// </summary>
internal sealed class ChainKit : IDisposable
{
    private ChainKit(TempDirectory dir)
    {
        Dir = dir;
        RelayKey = Key(dir, "relay.key");
        ServerKey = Key(dir, "server.key");
        ClientKey = Key(dir, "client.key");
        Target = new TcpListener(IPAddress.Loopback, 0);
        Target.Start();
    }

    public TempDirectory Dir { get; }

    public string RelayKey { get; }

    public string ServerKey { get; }

    public string ClientKey { get; }

    /// <summary>The service the client agent's <c>-L</c> forward leads to.</summary>
    public TcpListener Target { get; }

    public int TargetPort => ((IPEndPoint)Target.LocalEndpoint).Port;

    /// <summary>Three fresh identities and a listening target.</summary>
    public static ChainKit Create() => new(new TempDirectory());

    /// <summary>A new identity saved as <paramref name="name"/> in <paramref name="dir"/>; returns its public id.</summary>
    public static string Key(TempDirectory dir, string name)
    {
        using Ed25519Identity identity = Ed25519Identity.Generate();
        identity.Save(dir.File(name));
        return identity.PublicKey.ToString();
    }

    /// <summary>A loopback TCP port that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>A relay, a server agent 'office' and a client agent with one <c>-L</c> forward to the target, in one file.</summary>
    public string Yaml(string[] relayListen, string serverRelay, string clientUpstream) => $"""
        control:
          socket: weft.sock
        relay:
          identity: relay.key
          listen: [{string.Join(", ", relayListen)}]
          servers:
            - name: office
              keys: [{ServerKey}]
          clients:
            - keys: [{ClientKey}]
              servers: [office]
        server:
          identity: server.key
          name: office
          relays: [{serverRelay}]
          allow:
            - keys: [{ClientKey}]
              hosts: [127.0.0.1]
              ports: "{TargetPort}"
        client:
          identity: client.key
          upstream: {clientUpstream}
          server: office
          forwards: ["-L 0:127.0.0.1:{TargetPort}"]

        """;

    /// <summary>
    /// One connection through the forward at <paramref name="forwardPort"/>: <paramref name="upBytes"/> random
    /// bytes to the target, then <paramref name="downBytes"/> back, each side half-closing, both checked by SHA-256.
    /// </summary>
    public async Task CarryOneConnectionAsync(int forwardPort, int upBytes = 256 * 1024, int downBytes = 128 * 1024)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, forwardPort, TestTimeout.Token());
        using TcpClient accepted = await Target.AcceptTcpClientAsync(TestTimeout.Token());
        NetworkStream clientStream = client.GetStream();
        NetworkStream targetStream = accepted.GetStream();
        byte[] up = RandomNumberGenerator.GetBytes(upBytes);
        byte[] down = RandomNumberGenerator.GetBytes(downBytes);
        Task send = Task.Run(async () =>
        {
            await clientStream.WriteAsync(up, TestTimeout.Token());
            client.Client.Shutdown(SocketShutdown.Send);
        }, TestContext.Current.CancellationToken);
        byte[] atTarget = await ReadToEndAsync(targetStream);
        await targetStream.WriteAsync(down, TestTimeout.Token());
        accepted.Client.Shutdown(SocketShutdown.Send);
        byte[] atClient = await ReadToEndAsync(clientStream);
        await send;
        Assert.Equal(SHA256.HashData(up), SHA256.HashData(atTarget));
        Assert.Equal(SHA256.HashData(down), SHA256.HashData(atClient));
    }

    public void Dispose()
    {
        Target.Dispose();
        Dir.Dispose();
    }

    private static async Task<byte[]> ReadToEndAsync(Stream stream)
    {
        using var all = new MemoryStream();
        await stream.CopyToAsync(all, TestTimeout.Token());
        return all.ToArray();
    }
}
