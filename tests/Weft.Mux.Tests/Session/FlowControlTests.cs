using Weft.Mux.Protocol;
using Weft.Mux.Tests.Support;

namespace Weft.Mux.Tests.Session;

public class FlowControlTests
{
    [Fact]
    public async Task Writer_PeerGivesNoCredit_BlocksAtWindowThenResumes()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: true);
        await using (session)
        await using (peer)
        {
            MuxStream stream = await session.OpenStreamAsync(ct);
            byte[] data = new byte[YamuxConstants.InitialStreamWindow + 1000];
            Random.Shared.NextBytes(data);
            Task write = stream.WriteAsync(data, ct).AsTask();

            long received = 0;
            var collected = new MemoryStream();
            while (received < YamuxConstants.InitialStreamWindow)
            {
                var (h, payload) = await peer.ExpectAsync(h => h.Type == YamuxFrameType.Data, ct);
                received += h.Length;
                collected.Write(payload);
            }

            Assert.Equal(YamuxConstants.InitialStreamWindow, received);
            await Task.Delay(100, ct);
            Assert.False(write.IsCompleted, "the writer must wait for credit");

            await peer.SendAsync(YamuxFrameType.WindowUpdate, YamuxFlags.None, stream.Id, 1000);
            await write.WaitAsync(ct);
            var (last, rest) = await peer.ExpectAsync(h => h.Type == YamuxFrameType.Data, ct);
            Assert.Equal(1000u, last.Length);
            collected.Write(rest);
            Assert.Equal(data, collected.ToArray());
        }
    }

    [Fact]
    public async Task StalledReader_OnOneStream_DoesNotStallOtherStreams()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: false);
        await using (session)
        await using (peer)
        {
            // Stream 1 gets a whole window nobody reads; stream 3 must still flow.
            await peer.SendDataAsync(1, new byte[YamuxConstants.InitialStreamWindow], YamuxFlags.Syn);
            await peer.SendDataAsync(3, new byte[YamuxConstants.InitialStreamWindow], YamuxFlags.Syn);
            MuxStream stalled = await session.AcceptStreamAsync(ct);
            MuxStream flowing = await session.AcceptStreamAsync(ct);
            byte[] buffer = new byte[YamuxConstants.InitialStreamWindow];
            await flowing.ReadExactlyAsync(buffer, ct);
            var (update, _) = await peer.ExpectAsync(h => h.Type == YamuxFrameType.WindowUpdate && h.StreamId == 3 && h.Length > 0, ct);
            Assert.True(update.Length >= YamuxConstants.InitialStreamWindow / 2);
            Assert.Equal(0u, stalled.ReceiveCredit);
        }
    }

    [Fact]
    public async Task WindowUpdate_SentOnceHalfConsumed()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: false, new MuxOptions { WindowAutoTuning = false });
        await using (session)
        await using (peer)
        {
            await peer.SendDataAsync(1, new byte[YamuxConstants.InitialStreamWindow], YamuxFlags.Syn);
            MuxStream stream = await session.AcceptStreamAsync(ct);
            await peer.ExpectAsync(h => h.Has(YamuxFlags.Ack), ct);
            byte[] buffer = new byte[YamuxConstants.InitialStreamWindow / 2 - 1];
            await stream.ReadExactlyAsync(buffer, ct);
            await stream.ReadExactlyAsync(new byte[1], ct);
            var (update, _) = await peer.ExpectAsync(_ => true, ct);
            Assert.Equal(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.None, 1, YamuxConstants.InitialStreamWindow / 2), update);
        }
    }

    [Fact]
    public async Task AutoTuning_FastReader_GrowsWindowWithinMaximum()
    {
        CancellationToken ct = TestToken.Create();
        var options = new MuxOptions { InitialRttEstimate = TimeSpan.FromSeconds(10), MaxStreamWindowSize = 1024 * 1024 };
        var (session, peer) = await RawPeer.StartAsync(isClient: false, options);
        await using (session)
        await using (peer)
        {
            await peer.SendAsync(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 1, 0);
            MuxStream stream = await session.AcceptStreamAsync(ct);
            await peer.ExpectAsync(h => h.Has(YamuxFlags.Ack), ct);
            Task reader = Task.Run(async () =>
            {
                byte[] sink = new byte[64 * 1024];
                while (await stream.ReadAsync(sink, ct) > 0)
                {
                }
            }, ct);

            // Play a sender that always uses all its credit; the window must double up to the maximum.
            long credit = YamuxConstants.InitialStreamWindow;
            long totalCredit = credit;
            uint largest = 0;
            for (int round = 0; round < 12; round++)
            {
                while (credit > 0)
                {
                    int n = (int)Math.Min(credit, 64 * 1024);
                    await peer.SendDataAsync(1, new byte[n]);
                    credit -= n;
                }

                var (update, _) = await peer.ExpectAsync(h => h.Type == YamuxFrameType.WindowUpdate && h.StreamId == 1, ct);
                credit += update.Length;
                totalCredit += update.Length;
                largest = Math.Max(largest, update.Length);
            }

            Assert.True(largest > YamuxConstants.InitialStreamWindow / 2, $"window did not grow (largest update {largest})");
            Assert.True(largest <= options.MaxStreamWindowSize, $"update {largest} beyond the maximum window");
            await peer.SendAsync(YamuxFrameType.WindowUpdate, YamuxFlags.Fin, 1, 0);
            await reader.WaitAsync(ct);
        }
    }

    [Fact]
    public async Task AutoTuning_SessionBudgetZero_NeverGrows()
    {
        CancellationToken ct = TestToken.Create();
        var options = new MuxOptions { InitialRttEstimate = TimeSpan.FromSeconds(10), SessionReceiveBudget = 0 };
        var (session, peer) = await RawPeer.StartAsync(isClient: false, options);
        await using (session)
        await using (peer)
        {
            await peer.SendDataAsync(1, new byte[YamuxConstants.InitialStreamWindow], YamuxFlags.Syn);
            MuxStream stream = await session.AcceptStreamAsync(ct);
            await stream.ReadExactlyAsync(new byte[YamuxConstants.InitialStreamWindow], ct);
            var (update, _) = await peer.ExpectAsync(h => h.Type == YamuxFrameType.WindowUpdate && h.Length > 0, ct);
            Assert.True(update.Length <= YamuxConstants.InitialStreamWindow, $"grew to {update.Length} with no budget");
        }
    }

    [Fact]
    public async Task WindowUpdateFlood_IsHarmlessAndStreamKeepsWorking()
    {
        CancellationToken ct = TestToken.Create();
        var (session, peer) = await RawPeer.StartAsync(isClient: true);
        await using (session)
        await using (peer)
        {
            MuxStream stream = await session.OpenStreamAsync(ct);
            byte[] flood = new byte[YamuxConstants.HeaderSize * 20_000];
            for (int i = 0; i < 20_000; i++)
            {
                YamuxCodec.WriteHeader(flood.AsSpan(i * YamuxConstants.HeaderSize), new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.None, stream.Id, uint.MaxValue));
            }

            await peer.SendRawAsync(flood);
            await stream.WriteAsync(new byte[1024 * 1024], ct);
            long got = 0;
            while (got < 1024 * 1024)
            {
                var (h, _) = await peer.ExpectAsync(h => h.Type == YamuxFrameType.Data, ct);
                got += h.Length;
            }

            Assert.Null(session.TerminationException);
        }
    }
}
