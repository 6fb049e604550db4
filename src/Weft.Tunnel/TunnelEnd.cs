using System.Net.Sockets;
using Weft.Mux;
using Weft.Transports;

namespace Weft.Tunnel;

/// <summary>One side of a forwarded connection: a stream that can half-close and abort.</summary>
internal abstract class TunnelEnd : IAsyncDisposable
{
    public abstract Stream Stream { get; }

    /// <summary>Ends the sending direction after the bytes already written (FIN).</summary>
    public abstract ValueTask CompleteWritesAsync();

    /// <summary>Ends both directions abruptly (RST). Never throws.</summary>
    public abstract void Abort();

    public virtual ValueTask DisposeAsync() => Stream.DisposeAsync();

    public static TunnelEnd For(MuxStream stream) => new MuxEnd(stream);

    public static TunnelEnd For(Socket socket) => new SocketEnd(socket);

    private sealed class MuxEnd(MuxStream stream) : TunnelEnd
    {
        public override Stream Stream => stream;

        public override ValueTask CompleteWritesAsync()
        {
            stream.CompleteWrites();
            return ValueTask.CompletedTask;
        }

        public override void Abort() => stream.Abort();
    }

    private sealed class SocketEnd : TunnelEnd
    {
        private readonly Socket _socket;
        private readonly NetworkStream _stream;

        public SocketEnd(Socket socket)
        {
            _socket = socket;
            _stream = new NetworkStream(socket, ownsSocket: true);
        }

        public override Stream Stream => _stream;

        public override ValueTask CompleteWritesAsync()
        {
            _socket.Shutdown(SocketShutdown.Send);
            return ValueTask.CompletedTask;
        }

        public override void Abort() => SocketReset.Reset(_socket);
    }
}

/// <summary>Closes sockets with a TCP reset (linger 0), which is how a refused or broken forward looks to the application.</summary>
internal static class SocketReset
{
    public static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception)
        {
            // Already closed.
        }

        socket.Dispose();
    }
}

/// <summary>Half-close for a stream of unknown type.</summary>
internal static class HalfClose
{
    public static ValueTask CompleteWritesAsync(Stream stream) => stream switch
    {
        MuxStream mux => Complete(mux),
        IHalfCloseable closeable => closeable.CompleteWritesAsync(),
        _ => throw new NotSupportedException($"{stream.GetType().Name} cannot half-close"),
    };

    private static ValueTask Complete(MuxStream mux)
    {
        mux.CompleteWrites();
        return ValueTask.CompletedTask;
    }
}
