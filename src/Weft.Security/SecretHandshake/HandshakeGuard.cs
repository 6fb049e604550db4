namespace Weft.Security;

/// <summary>
/// Applies the handshake timeout and turns any failure into the exception the caller sees. When the timeout fires
/// it also disposes the stream, so that a stream that ignores cancellation cannot hang the handshake.
/// </summary>
internal sealed class HandshakeGuard : IDisposable
{
    private readonly Stream _stream;
    private readonly CancellationToken _callerToken;
    private readonly CancellationTokenSource? _timeout;
    private readonly CancellationTokenSource? _linked;
    private readonly CancellationTokenRegistration _disposeOnTimeout;
    private readonly TimeSpan _timeoutValue;
    private readonly string _protocol;

    internal HandshakeGuard(Stream stream, SecretHandshakeOptions options, CancellationToken cancellationToken)
        : this(stream, options.HandshakeTimeout, options.TimeProvider, "Secret-handshake", cancellationToken)
    {
    }

    /// <summary>Guards a handshake of <paramref name="protocol"/> (the name that starts the timeout message).</summary>
    internal HandshakeGuard(Stream stream, TimeSpan timeout, TimeProvider timeProvider, string protocol, CancellationToken cancellationToken)
    {
        _stream = stream;
        _callerToken = cancellationToken;
        _timeoutValue = timeout;
        _protocol = protocol;
        if (_timeoutValue == Timeout.InfiniteTimeSpan)
        {
            Token = cancellationToken;
            return;
        }

        _timeout = new CancellationTokenSource(_timeoutValue, timeProvider);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _timeout.Token);
        _disposeOnTimeout = _timeout.Token.UnsafeRegister(static s => ((Stream)s!).Dispose(), stream);
        Token = _linked.Token;
    }

    /// <summary>The token every handshake operation uses: the caller's token or the timeout.</summary>
    internal CancellationToken Token { get; }

    /// <summary>
    /// Called after the last handshake message: stops the timeout from disposing the stream, and fails if it already
    /// did (a timeout that fired at the last moment must not hand out a dead stream).
    /// </summary>
    internal async ValueTask CompleteAsync()
    {
        await _disposeOnTimeout.DisposeAsync().ConfigureAwait(false);
        Token.ThrowIfCancellationRequested();
    }

    /// <summary>Disposes the stream and maps <paramref name="failure"/> to the exception to throw.</summary>
    /// <param name="failure">What went wrong.</param>
    /// <param name="endOfStream">The error that an end of stream means at this step.</param>
    internal async ValueTask<Exception> FailAsync(Exception failure, SecureChannelException endOfStream)
    {
        await _disposeOnTimeout.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The connection is being abandoned anyway.
        }

        if (_timeout is { IsCancellationRequested: true } && !_callerToken.IsCancellationRequested)
        {
            return new SecureChannelException(
                SecureChannelError.HandshakeTimeout,
                $"{_protocol} timed out after {_timeoutValue.TotalSeconds:0.###} s.",
                failure);
        }

        return failure switch
        {
            SecureChannelException => failure,
            EndOfStreamException => new SecureChannelException(endOfStream.Error, endOfStream.Message, failure),
            _ => failure,
        };
    }

    public void Dispose()
    {
        _disposeOnTimeout.Dispose();
        _linked?.Dispose();
        _timeout?.Dispose();
    }
}
