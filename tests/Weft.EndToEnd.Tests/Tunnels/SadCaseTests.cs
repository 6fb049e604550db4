using System.Diagnostics;
using System.Net.Sockets;
using Weft.EndToEnd.Fixtures;
using Weft.Testing;

namespace Weft.EndToEnd.Tests.Tunnels;

/// <summary>
/// PTTH's "sadder cases" (seed 002) with real processes: start the three processes in every order;
/// kill (SIGKILL) and restart the server agent, the client agent and the relay, before and during
/// transfers; kill one client connection while others go on. Each prints its recovery time: from the
/// restart (or the last start) until a fresh connection carries a checked echo through the chain.
/// A transfer caught by a kill must FAIL (reset or error), never end as if complete with missing bytes.
/// </summary>
public sealed class SadCaseTests
{
    private static readonly TimeSpan s_recoveryLimit = TestTimeout.Scaled(TimeSpan.FromSeconds(60));

    /// <summary>The orders in the default run: relay last, server before relay, client first (relay first is every other test's setup).</summary>
    public static TheoryData<string> Orders => new() { "server,client,relay", "server,relay,client", "client,relay,server" };

    /// <summary>The other three orders, in the slow run (each order costs three process starts).</summary>
    public static TheoryData<string> MoreOrders => new() { "relay,server,client", "relay,client,server", "client,server,relay" };

    [Theory]
    [MemberData(nameof(Orders))]
    public Task StartOrder_AnyOrder_ChainWorksOnceAllAreUp(string order) => StartInOrderAsync(order);

    [Theory]
    [MemberData(nameof(MoreOrders))]
    [Trait("Category", "Stress")]
    public Task StartOrder_RemainingOrders_ChainWorksOnceAllAreUp(string order) => StartInOrderAsync(order);

    private static async Task StartInOrderAsync(string order)
    {
        CancellationToken ct = TestTimeout.Token(150);
        await using TcpTarget target = TcpTarget.Start();
        await using WeftChain chain = await WeftChain.CreateAsync(new WeftChainOptions { Target = target.EndPoint }, ct);
        foreach (string role in order.Split(','))
        {
            switch (role)
            {
                case "relay":
                    await chain.StartRelayAsync(ct);
                    break;
                case "server":
                    await chain.StartServerAsync(ct);
                    break;
                default:
                    await chain.StartClientAsync(ct);
                    break;
            }

            await Task.Delay(300, ct); // let the earlier ones try (and fail) to reach the later ones
        }

        RecoveryResult recovery = await Recovery.WaitAsync(chain.LocalForward, s_recoveryLimit, cancellationToken: ct);
        Report($"start order {order}", recovery);
        await TransferClient.UploadAndVerifyAsync(chain.LocalForward, 1 << 20, seed: 1, ct);
    }

    [Theory]
    [InlineData("server")]
    [InlineData("client")]
    [InlineData("relay")]
    public async Task Restart_DuringTransferThenIdle_TransferIsResetAndChainRecoversBothTimes(string role)
    {
        CancellationToken ct = TestTimeout.Token(150);
        await using TcpTarget target = TcpTarget.Start();
        await using WeftChain chain = await WeftChain.StartAsync(new WeftChainOptions { Target = target.EndPoint }, ct);

        // An echo that cannot finish before the kill: it is held open by a slow writer.
        using Socket socket = await TransferClient.ConnectAsync(chain.LocalForward, ct);
        await TransferClient.SendAllAsync(socket, "E"u8.ToArray(), ct);
        Task<long> transfer = SlowEchoAsync(socket, ct);
        await Task.Delay(1000, ct);
        Assert.False(transfer.IsCompleted, "the transfer ended before the kill");

        var clock = Stopwatch.StartNew();
        Task<TimeSpan> endedAt = transfer.ContinueWith(_ => clock.Elapsed, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        string started = await KillAndStartAsync(chain, role, ct);

        // The broken transfer must end with a reset (the issue: "a proxied connection on a dead session
        // is reset"), not with a clean end of stream that looks like a finished transfer, and not hang.
        Exception? failure = await Record.ExceptionAsync(async () => await transfer.WaitAsync(s_recoveryLimit, ct));
        TimeSpan failedAfter = await endedAt;
        // A killed CLIENT agent is the process that holds our socket: the kernel closes it, with a reset only if
        // unread bytes were waiting, else with a FIN. So there a truncated echo also counts; never a clean finish.
        bool reset = failure is SocketException or IOException;
        bool truncatedByDeadLocalAgent = role == "client" && failure is TransferException t && t.Message.StartsWith("the echo ended", StringComparison.Ordinal);
        Assert.True(reset || truncatedByDeadLocalAgent, $"the transfer through the killed {role} was not reset: {failure?.ToString() ?? "it completed"}\n{chain.Diagnostics()}");

        RecoveryResult recovery = await Recovery.WaitAsync(chain.LocalForward, s_recoveryLimit, cancellationToken: ct);
        Report(FormattableString.Invariant($"restart {role} during a transfer (transfer reset after {failedAfter.TotalMilliseconds:0} ms; {started})"), recovery);
        await TransferClient.UploadAndVerifyAsync(chain.LocalForward, 4 << 20, seed: 3, ct);

        // Again with nothing in flight.
        started = await KillAndStartAsync(chain, role, ct);
        recovery = await Recovery.WaitAsync(chain.LocalForward, s_recoveryLimit, cancellationToken: ct);
        Report($"restart {role} when idle ({started})", recovery);
        await TransferClient.UploadAndVerifyAsync(chain.LocalForward, 4 << 20, seed: 2, ct);
        Assert.True(Alive(chain), chain.Diagnostics());
    }

    [Fact]
    public async Task KillOneClientConnection_MidTransfer_OthersCompleteUnharmed()
    {
        CancellationToken ct = TestTimeout.Token(150);
        await using TcpTarget target = TcpTarget.Start();
        await using WeftChain chain = await WeftChain.StartAsync(new WeftChainOptions { Target = target.EndPoint }, ct);

        using Socket victim = await TransferClient.ConnectAsync(chain.LocalForward, ct);
        await TransferClient.SendAllAsync(victim, "E"u8.ToArray(), ct);
        Task<long> victimTransfer = SlowEchoAsync(victim, ct);
        Task[] others = [.. Enumerable.Range(0, 8).Select(i => TransferClient.EchoAndVerifyAsync(chain.LocalForward, 8 << 20, seed: 100 + i, ct))];
        await Task.Delay(500, ct);

        TcpPair.Reset(victim);
        await Assert.ThrowsAnyAsync<Exception>(() => victimTransfer);
        await Task.WhenAll(others); // every byte of every other connection checked
        Assert.True(Alive(chain), chain.Diagnostics());

        // The victim's route is torn down through every hop: the target sees its connection end.
        var clock = Stopwatch.StartNew();
        while (target.Active > 0 && clock.Elapsed < s_recoveryLimit)
        {
            await Task.Delay(50, ct);
        }

        Assert.Equal(0, target.Active);
        TestContext.Current.TestOutputHelper?.WriteLine(FormattableString.Invariant($"sad case: kill one client connection; the target saw it end after {clock.Elapsed.TotalMilliseconds:0} ms; 8 others verified"));
        await Recovery.ProbeAsync(chain.LocalForward, TimeSpan.FromSeconds(10), ct);
    }

    /// <summary>
    /// Kills <paramref name="role"/> and starts it again; returns how long the new process took to be ready. A restarted
    /// server agent is waited for until its session is up (its <c>connected:</c> line), so the recovery measured after
    /// this is the route's, not the new process's start-up: that start-up (.NET, key loading, dial, handshake,
    /// registration) is most of a server agent's restart time, and is reported on its own.
    /// </summary>
    internal static async Task<string> KillAndStartAsync(WeftChain chain, string role, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        switch (role)
        {
            case "server":
                await chain.KillServerAsync();
                await chain.StartServerAsync(ct);
                await chain.Server!.Runner.WaitForLineAsync(new System.Text.RegularExpressions.Regex("^connected: server "), s_recoveryLimit, cancellationToken: ct);
                return FormattableString.Invariant($"new server agent process connected and registered {clock.Elapsed.TotalMilliseconds:0} ms after the kill");
            case "client":
                await chain.KillClientAsync();
                await chain.StartClientAsync(ct);
                return FormattableString.Invariant($"new client agent process listening {clock.Elapsed.TotalMilliseconds:0} ms after the kill");
            default:
                await chain.KillRelayAsync();
                await chain.StartRelayAsync(ct);
                return FormattableString.Invariant($"new relay process listening {clock.Elapsed.TotalMilliseconds:0} ms after the kill");
        }
    }

    internal static void Report(string what, RecoveryResult recovery)
    {
        string line = $"sad case: {what}: {recovery}";
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        Console.WriteLine(line);
    }

    private static bool Alive(WeftChain chain) =>
        chain.Relay is { Runner.HasExited: false } && chain.Server is { Runner.HasExited: false } && chain.Client is { Runner.HasExited: false };

    /// <summary>Writes 1 KiB every 20 ms and checks the echo, until the connection breaks; returns the bytes echoed (never returns normally while it works).</summary>
    private static async Task<long> SlowEchoAsync(Socket socket, CancellationToken ct)
    {
        var chunk = new byte[1024];
        var echo = new byte[1024];
        long position = 0;
        while (true)
        {
            Patterns.Fill(chunk, position, seed: 77);
            await TransferClient.SendAllAsync(socket, chunk, ct);
            int n = await TransferClient.ReceiveAtMostAsync(socket, echo, ct);
            if (n != chunk.Length)
            {
                throw new TransferException($"the echo ended after {position + n} bytes");
            }

            if (!echo.AsSpan().SequenceEqual(chunk))
            {
                throw new TransferException($"the echo differs near byte {position}");
            }

            position += n;
            await Task.Delay(20, ct);
        }
    }
}
