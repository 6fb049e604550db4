using Weft.Mux.Protocol;
using Weft.Mux.Tests.Support;

namespace Weft.Mux.Tests.Session;

/// <summary>Peers that flood frames needing replies while never reading are cut off; memory stays bounded.</summary>
public class FloodTests
{
    [Fact]
    public async Task PingFlood_PeerNeverReads_EndsWithReplyFlood()
    {
        CancellationToken ct = TestToken.Create(60);
        var options = new MuxOptions { MaxPendingReplies = 256, MaxOutgoingBufferSize = 16 * 1024 };
        var (session, peer) = await RawPeer.StartAsync(isClient: false, options, socketBufferSize: 4096);
        await using (session)
        await using (peer)
        {
            byte[] burst = new byte[YamuxConstants.HeaderSize * 1000];
            for (int i = 0; i < 1000; i++)
            {
                YamuxCodec.WriteHeader(burst.AsSpan(i * YamuxConstants.HeaderSize), new YamuxHeader(YamuxFrameType.Ping, YamuxFlags.Syn, 0, (uint)i));
            }

            // Never read; keep sending until the session gives up on us.
            try
            {
                for (int i = 0; i < 10_000 && session.TerminationException is null; i++)
                {
                    await peer.SendRawAsync(burst).WaitAsync(ct);
                }
            }
            catch (IOException)
            {
                // The session closed the connection under our feet: expected.
            }

            await session.Completion.WaitAsync(ct);
            Assert.Equal(MuxError.ReplyFlood, session.TerminationException?.Error);
        }
    }

    [Fact]
    public async Task SynFlood_PeerReads_ExcessStreamsResetSessionSurvives()
    {
        CancellationToken ct = TestToken.Create(60);
        var (session, peer) = await RawPeer.StartAsync(isClient: false, new MuxOptions { AcceptBacklog = 16 });
        await using (session)
        await using (peer)
        {
            const int count = 2000;
            byte[] flood = new byte[YamuxConstants.HeaderSize * count];
            for (int i = 0; i < count; i++)
            {
                YamuxCodec.WriteHeader(flood.AsSpan(i * YamuxConstants.HeaderSize), new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, (uint)(2 * i + 1), 0));
            }

            await peer.SendRawAsync(flood);
            int resets = 0;
            while (resets < count - 16)
            {
                var (h, _) = await peer.ExpectAsync(h => h.Has(YamuxFlags.Rst), ct);
                resets++;
            }

            Assert.Null(session.TerminationException);
            Assert.Equal(16, session.StreamCount);
            MuxStream first = await session.AcceptStreamAsync(ct);
            Assert.Equal(1u, first.Id);
        }
    }

    [Fact]
    public async Task SynFlood_PeerNeverReads_EndsWithReplyFlood()
    {
        CancellationToken ct = TestToken.Create(60);
        var options = new MuxOptions { AcceptBacklog = 4, MaxPendingReplies = 128, MaxOutgoingBufferSize = 16 * 1024 };
        var (session, peer) = await RawPeer.StartAsync(isClient: false, options, socketBufferSize: 4096);
        await using (session)
        await using (peer)
        {
            uint id = 1;
            try
            {
                for (int round = 0; round < 2000 && session.TerminationException is null; round++)
                {
                    byte[] burst = new byte[YamuxConstants.HeaderSize * 500];
                    for (int i = 0; i < 500; i++, id += 2)
                    {
                        YamuxCodec.WriteHeader(burst.AsSpan(i * YamuxConstants.HeaderSize), new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, id, 0));
                    }

                    await peer.SendRawAsync(burst).WaitAsync(ct);
                }
            }
            catch (IOException)
            {
            }

            await session.Completion.WaitAsync(ct);
            Assert.Equal(MuxError.ReplyFlood, session.TerminationException?.Error);
        }
    }
}
