using System.IO.Pipelines;

namespace Weft.Testing;

/// <summary>State shared by the two ends of an in-memory duplex: the abort flag and the pipes to wake.</summary>
internal sealed class InMemoryDuplexConnection
{
    private readonly Pipe _firstToSecond;
    private readonly Pipe _secondToFirst;
    private volatile IOException? _abortReason;

    public InMemoryDuplexConnection(Pipe firstToSecond, Pipe secondToFirst)
    {
        _firstToSecond = firstToSecond;
        _secondToFirst = secondToFirst;
    }

    public IOException? AbortReason => _abortReason;

    public void Abort(string message)
    {
        if (Interlocked.CompareExchange(ref _abortReason, new IOException(message), null) is not null)
        {
            return;
        }

        // Wake every pending read and flush on both ends; each sees the abort flag and throws.
        _firstToSecond.Reader.CancelPendingRead();
        _firstToSecond.Writer.CancelPendingFlush();
        _secondToFirst.Reader.CancelPendingRead();
        _secondToFirst.Writer.CancelPendingFlush();
    }

    public void ThrowIfAborted()
    {
        if (_abortReason is { } reason)
        {
            throw new IOException(reason.Message, reason);
        }
    }
}
