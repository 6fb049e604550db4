namespace Weft.Testing;

/// <summary>
/// Two connected <see cref="Stream"/>s: bytes written to <see cref="First"/> are read from
/// <see cref="Second"/> and the other way round. Disposing the pair disposes both streams and then
/// whatever sits under them (sessions, sockets, listeners, proxies).
/// </summary>
public sealed class StreamPair : IAsyncDisposable
{
    private readonly Func<ValueTask>? _disposeUnderlying;
    private int _disposed;

    /// <summary>Creates a pair.</summary>
    /// <param name="first">One end.</param>
    /// <param name="second">The other end.</param>
    /// <param name="disposeUnderlying">
    /// Optional: runs after both streams are disposed, to release what carries them (for example a mux
    /// session, a listener or a <see cref="ChaosProxy"/>). Runs once.
    /// </param>
    public StreamPair(Stream first, Stream second, Func<ValueTask>? disposeUnderlying = null)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        First = first;
        Second = second;
        _disposeUnderlying = disposeUnderlying;
    }

    /// <summary>One end of the connection (by convention the client or initiator side).</summary>
    public Stream First { get; }

    /// <summary>The other end of the connection (by convention the server or acceptor side).</summary>
    public Stream Second { get; }

    /// <summary>Deconstructs into <c>(First, Second)</c>.</summary>
    /// <param name="first">Receives <see cref="First"/>.</param>
    /// <param name="second">Receives <see cref="Second"/>.</param>
    public void Deconstruct(out Stream first, out Stream second)
    {
        first = First;
        second = Second;
    }

    /// <summary>Disposes both streams, then the underlying resources. Idempotent.</summary>
    /// <returns>A task that completes when everything is released.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await First.DisposeAsync();
        }
        finally
        {
            try
            {
                await Second.DisposeAsync();
            }
            finally
            {
                if (_disposeUnderlying is not null)
                {
                    await _disposeUnderlying();
                }
            }
        }
    }
}
