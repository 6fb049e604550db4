using Weft.Testing;
using Weft.Transports.Registry;

namespace Weft.Transports.Tests;

/// <summary>
/// A test transport <c>fake:NAME</c> whose dials are scripted: succeed after a delay, fail, or hang (optionally
/// ignoring cancellation). Successful dials return one end of an in-memory duplex; disposals are counted.
/// </summary>
internal sealed class FakeTransport : ITransport
{
    private int _dials;
    private int _disposals;

    public string Name => "fake";

    public bool CanDial => true;

    public bool CanListen => false;

    /// <summary>Per target name: how the dial behaves.</summary>
    public Dictionary<string, FakeBehavior> Behaviors { get; } = [];

    public int Dials => Volatile.Read(ref _dials);

    public int Disposals => Volatile.Read(ref _disposals);

    public IConnectionDialer CreateDialer(ProtocolPart part) => new Dialer(this, new Address(part), part.Fields.Count > 0 ? part.Fields[0] : "");

    public ValueTask<IConnectionListener> ListenAsync(ProtocolPart part, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    internal void CountDisposal() => Interlocked.Increment(ref _disposals);

    private sealed class Dialer(FakeTransport owner, Address address, string target) : IConnectionDialer
    {
        public Address Address { get; } = address;

        public async ValueTask<TransportConnection> DialAsync(CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref owner._dials);
            FakeBehavior behavior = owner.Behaviors.GetValueOrDefault(target, FakeBehavior.Succeed(TimeSpan.Zero));
            if (behavior.Delay != TimeSpan.Zero)
            {
                await Task.Delay(behavior.Delay, behavior.IgnoreCancellation ? CancellationToken.None : cancellationToken);
            }

            if (behavior.Error is not null)
            {
                throw new TransportException(TransportError.ConnectFailed, behavior.Error);
            }

            var (first, _) = InMemoryDuplex.CreatePair();
            return new TransportConnection(new CountingStream(first, owner), ConnectionRole.Client, Address, target);
        }
    }

    private sealed class CountingStream(Stream inner, FakeTransport owner) : Stream
    {
        private int _disposed;

        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.CountDisposal();
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}

internal sealed record FakeBehavior(TimeSpan Delay, string? Error, bool IgnoreCancellation)
{
    public static FakeBehavior Succeed(TimeSpan delay, bool ignoreCancellation = false) => new(delay, null, ignoreCancellation);

    public static FakeBehavior Fail(string error, TimeSpan delay = default) => new(delay, error, false);

    public static FakeBehavior Hang(bool ignoreCancellation = false) => new(Timeout.InfiniteTimeSpan, null, ignoreCancellation);
}
