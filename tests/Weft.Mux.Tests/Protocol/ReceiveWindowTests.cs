using FsCheck;
using FsCheck.Fluent;
using Weft.Mux.Protocol;

namespace Weft.Mux.Tests.Protocol;

/// <summary>Properties of the pure flow-control value <see cref="ReceiveWindow"/>.</summary>
public sealed class ReceiveWindowTests
{
    private const uint Initial = YamuxConstants.InitialStreamWindow;
    private const uint Max = 16 * 1024 * 1024;

    private static readonly TimeSpan Rtt = TimeSpan.FromMilliseconds(100);

    [Fact]
    public void New_InitialSize_AllCreditedNothingPending()
    {
        var window = new ReceiveWindow(Initial);
        Assert.Equal(Initial, window.Size);
        Assert.Equal(Initial, window.Credit);
        Assert.Equal(0u, window.Pending);
    }

    [Fact]
    public void Operations_AnySequence_CreditNeverNegativeAndAccountingBalances()
    {
        // Model: bytes are either credit, buffered (received, unread) or pending (read, not yet returned).
        var ops =
            from n in Gen.Choose(1, 60)
            from list in Gen.ArrayOf(Gen.Zip(Gen.Choose(0, 2), Gen.Choose(0, (int)Initial * 2)), n)
            from size in Gen.Elements(1u, 2u, 3u, 1000u, Initial)
            select (size, list);
        Check.One(YamuxGen.Config, Prop.ForAll(ops.ToArbitrary(), c =>
        {
            var window = new ReceiveWindow(c.size);
            long buffered = 0;
            foreach (var (kind, amount) in c.list)
            {
                switch (kind)
                {
                    case 0:
                        uint before = window.Credit;
                        bool ok = window.TryReceive((uint)amount);
                        Assert.Equal(amount <= before, ok);
                        if (ok)
                        {
                            buffered += amount;
                        }

                        break;
                    case 1:
                        uint read = (uint)Math.Min(amount, buffered);
                        buffered -= read;
                        if (window.Consume(read))
                        {
                            uint growth = (uint)(amount % 3 == 0 ? 0 : Math.Min(window.Size, Max - window.Size));
                            uint pending = window.Pending;
                            Assert.Equal(pending + growth, window.TakeUpdate(growth));
                            Assert.Equal(0u, window.Pending);
                        }

                        break;
                    default:
                        Assert.False(window.TryReceive(window.Credit + 1u), "receiving one byte past the credit succeeded");
                        break;
                }

                Assert.InRange(window.Credit, 0u, window.Size);
                Assert.Equal((long)window.Size, window.Credit + buffered + window.Pending);
            }
        }));
    }

    [Fact]
    public void TryReceive_BeyondCredit_FailsAndChangesNothing()
    {
        var cases =
            from first in Gen.Choose(0, (int)Initial)
            from excess in Gen.Choose(1, int.MaxValue)
            select (first: (uint)first, excess: (uint)excess);
        Check.One(YamuxGen.Config, Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var window = new ReceiveWindow(Initial);
            Assert.True(window.TryReceive(c.first));
            uint credit = window.Credit;
            uint attempt = (uint)Math.Min((ulong)credit + c.excess, uint.MaxValue);
            Assert.False(window.TryReceive(attempt));
            Assert.Equal(credit, window.Credit);
            Assert.True(window.TryReceive(credit));
            Assert.Equal(0u, window.Credit);
            Assert.False(window.TryReceive(1));
        }));
    }

    [Fact]
    public void TryReceive_ZeroWithNoCredit_Succeeds()
    {
        var window = new ReceiveWindow(Initial);
        Assert.True(window.TryReceive(Initial));
        Assert.True(window.TryReceive(0));
        Assert.Equal(0u, window.Credit);
    }

    [Fact]
    public void Consume_UpToHalf_UpdateDueExactlyAtHalf()
    {
        Check.One(YamuxGen.Config, Prop.ForAll(Gen.Choose(2, (int)Max).ToArbitrary(), (int sizeValue) =>
        {
            uint size = (uint)sizeValue;
            var window = new ReceiveWindow(size);
            Assert.True(window.TryReceive(size));
            Assert.False(window.Consume((size / 2) - 1), "an update was due before half the window was consumed");
            Assert.True(window.Consume(1), "no update was due once half the window was consumed");
            Assert.Equal(size / 2, window.TakeUpdate(0));
            Assert.Equal(size / 2, window.Credit);
        }));
    }

    [Fact]
    public void Consume_InOneBigStep_UpdateDue()
    {
        var window = new ReceiveWindow(Initial);
        Assert.True(window.TryReceive(Initial));
        Assert.True(window.Consume(Initial));
        Assert.Equal(Initial, window.TakeUpdate(0));
        Assert.Equal(Initial, window.Credit);
    }

    [Fact]
    public void TakeUpdate_WithGrowth_GrowsSizeAndCreditsPendingPlusGrowth()
    {
        var window = new ReceiveWindow(Initial);
        Assert.True(window.TryReceive(Initial / 2));
        Assert.True(window.Consume(Initial / 2));
        Assert.Equal((Initial / 2) + Initial, window.TakeUpdate(Initial));
        Assert.Equal(2 * Initial, window.Size);
        Assert.Equal(2 * Initial, window.Credit);
    }

    [Fact]
    public void DesiredGrowth_FastConsumer_DoublesCappedAtMax()
    {
        var cases =
            from size in Gen.Choose(1, (int)Max)
            from max in Gen.Choose((int)Initial, (int)Max)
            from fraction in Gen.Choose(0, 1999)
            select (size: (uint)size, max: (uint)max, since: Rtt * 2 * fraction / 2000);
        Check.One(YamuxGen.Config, Prop.ForAll(cases.ToArbitrary(), c =>
        {
            uint growth = ReceiveWindow.DesiredGrowth(c.size, c.max, c.since, Rtt);
            uint expected = c.size >= c.max ? 0 : Math.Min(2 * c.size, c.max) - c.size;
            Assert.Equal(expected, growth);
            Assert.True(c.size >= c.max || c.size + growth <= c.max);
        }));
    }

    [Fact]
    public void DesiredGrowth_SlowConsumer_NoGrowth()
    {
        var cases =
            from size in Gen.Choose(1, (int)Max)
            from extraMs in Gen.Choose(0, 100_000)
            select (size: (uint)size, since: (Rtt * 2) + TimeSpan.FromMilliseconds(extraMs));
        Check.One(YamuxGen.Config, Prop.ForAll(cases.ToArbitrary(), c =>
        {
            Assert.Equal(0u, ReceiveWindow.DesiredGrowth(c.size, Max, c.since, Rtt));
        }));
    }

    [Fact]
    public void DesiredGrowth_ExactlyTwoRtt_NoGrowthJustUnder_Grows()
    {
        Assert.Equal(0u, ReceiveWindow.DesiredGrowth(Initial, Max, Rtt * 2, Rtt));
        Assert.Equal(Initial, ReceiveWindow.DesiredGrowth(Initial, Max, (Rtt * 2) - TimeSpan.FromTicks(1), Rtt));
    }

    [Fact]
    public void DesiredGrowth_RepeatedFastUpdates_ReachesMaxExactlyThenStops()
    {
        var window = new ReceiveWindow(Initial);
        var sizes = new List<uint>();
        for (int i = 0; i < 20; i++)
        {
            Assert.True(window.TryReceive(window.Credit));
            Assert.True(window.Consume(window.Size));
            uint growth = ReceiveWindow.DesiredGrowth(window.Size, Max, TimeSpan.FromMilliseconds(1), Rtt);
            window.TakeUpdate(growth);
            sizes.Add(window.Size);
        }

        Assert.Equal(
            new uint[] { 512 * 1024, 1024 * 1024, 2 * 1024 * 1024, 4 * 1024 * 1024, 8 * 1024 * 1024, Max },
            sizes.Take(6));
        Assert.All(sizes.Skip(6), size => Assert.Equal(Max, size));
    }

    [Fact]
    public void DesiredGrowth_AtOrAboveMax_NoGrowth()
    {
        Assert.Equal(0u, ReceiveWindow.DesiredGrowth(Max, Max, TimeSpan.Zero, Rtt));
        Assert.Equal(0u, ReceiveWindow.DesiredGrowth(Max + 1, Max, TimeSpan.Zero, Rtt));
    }
}
