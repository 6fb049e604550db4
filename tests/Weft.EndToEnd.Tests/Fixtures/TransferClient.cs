using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Weft.EndToEnd.Fixtures;

/// <summary>
/// The client side of <see cref="TcpTarget"/>'s modes, through any forward: SHA-256 checked uploads,
/// downloads and echoes, receiver-side throughput and small-message round trips. Every check throws
/// <see cref="TransferException"/> naming what differed; none of them passes on partial data.
/// </summary>
public static class TransferClient
{
    private const int ChunkSize = 64 * 1024;

    /// <summary>Connects to <paramref name="endpoint"/> with Nagle off.</summary>
    /// <param name="endpoint">Where to connect (a forward's local port or the target itself).</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    /// <returns>The connected socket; the caller owns it.</returns>
    public static async Task<Socket> ConnectAsync(IPEndPoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Uploads <paramref name="length"/> pattern bytes in mode 'H' and checks that the SHA-256 the target
    /// computed over what it received equals the SHA-256 of what was sent.
    /// </summary>
    /// <param name="endpoint">Where to connect.</param>
    /// <param name="length">Bytes to send.</param>
    /// <param name="seed">Pattern seed.</param>
    /// <param name="cancellationToken">Cancels the transfer.</param>
    /// <returns>The SHA-256 both sides agree on.</returns>
    public static async Task<byte[]> UploadAndVerifyAsync(IPEndPoint endpoint, long length, int seed = 0, CancellationToken cancellationToken = default)
    {
        using Socket socket = await ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
        return await UploadAndVerifyAsync(socket, length, seed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>As <see cref="UploadAndVerifyAsync(IPEndPoint, long, int, CancellationToken)"/> on a connected socket (which stays open).</summary>
    /// <param name="socket">A connection to the target (directly or through forwards).</param>
    /// <param name="length">Bytes to send.</param>
    /// <param name="seed">Pattern seed.</param>
    /// <param name="cancellationToken">Cancels the transfer.</param>
    /// <returns>The SHA-256 both sides agree on.</returns>
    public static async Task<byte[]> UploadAndVerifyAsync(Socket socket, long length, int seed = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var header = new byte[9];
        header[0] = (byte)'H';
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(1), length);
        await SendAllAsync(socket, header, cancellationToken).ConfigureAwait(false);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = new byte[ChunkSize];
        for (long sent = 0; sent < length;)
        {
            int n = (int)Math.Min(chunk.Length, length - sent);
            TcpTarget.PatternBytes(chunk.AsSpan(0, n), sent, seed);
            hash.AppendData(chunk, 0, n);
            await SendAllAsync(socket, chunk.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            sent += n;
        }

        byte[] expected = hash.GetHashAndReset();
        var actual = new byte[32];
        int got = await ReceiveAtMostAsync(socket, actual, cancellationToken).ConfigureAwait(false);
        if (got != actual.Length)
        {
            throw new TransferException($"upload of {length} bytes: the target's SHA-256 reply ended after {got} of 32 bytes (the connection closed early)");
        }

        if (!expected.AsSpan().SequenceEqual(actual))
        {
            throw new TransferException($"upload of {length} bytes: the target received different bytes (SHA-256 {Convert.ToHexString(actual)[..16]}…, sent {Convert.ToHexString(expected)[..16]}…)");
        }

        return expected;
    }

    /// <summary>Downloads <paramref name="length"/> pattern bytes in mode 'G', checking every byte and the end of stream after them.</summary>
    /// <param name="endpoint">Where to connect.</param>
    /// <param name="length">Bytes to receive.</param>
    /// <param name="seed">Pattern seed.</param>
    /// <param name="cancellationToken">Cancels the transfer.</param>
    /// <returns>The SHA-256 of what arrived (equal to the pattern's).</returns>
    public static async Task<byte[]> DownloadAndVerifyAsync(IPEndPoint endpoint, long length, int seed = 0, CancellationToken cancellationToken = default)
    {
        using Socket socket = await ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
        var header = new byte[13];
        header[0] = (byte)'G';
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(1), length);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(9), seed);
        await SendAllAsync(socket, header, cancellationToken).ConfigureAwait(false);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[ChunkSize];
        var expected = new byte[ChunkSize];
        long received = 0;
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            if (received + n > length)
            {
                throw new TransferException($"download: received more than the {length} bytes asked for");
            }

            TcpTarget.PatternBytes(expected.AsSpan(0, n), received, seed);
            int mismatch = buffer.AsSpan(0, n).CommonPrefixLength(expected.AsSpan(0, n));
            if (mismatch != n)
            {
                throw new TransferException($"download: byte {received + mismatch} differs from what the target sent");
            }

            hash.AppendData(buffer, 0, n);
            received += n;
        }

        if (received != length)
        {
            throw new TransferException($"download: the stream ended after {received} of {length} bytes");
        }

        return hash.GetHashAndReset();
    }

    /// <summary>
    /// Mode 'E': sends <paramref name="length"/> pattern bytes while reading the echo, checks every echoed
    /// byte, half-closes, and expects the echo to end exactly after the last byte (half-close end to end).
    /// </summary>
    /// <param name="endpoint">Where to connect.</param>
    /// <param name="length">Bytes to send.</param>
    /// <param name="seed">Pattern seed.</param>
    /// <param name="cancellationToken">Cancels the transfer.</param>
    /// <returns>A task that completes when the echo has been checked.</returns>
    public static async Task EchoAndVerifyAsync(IPEndPoint endpoint, long length, int seed = 0, CancellationToken cancellationToken = default)
    {
        using Socket socket = await ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
        await EchoAndVerifyAsync(socket, length, seed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>As <see cref="EchoAndVerifyAsync(IPEndPoint, long, int, CancellationToken)"/> on a connected socket.</summary>
    /// <param name="socket">A fresh connection to the target.</param>
    /// <param name="length">Bytes to send.</param>
    /// <param name="seed">Pattern seed.</param>
    /// <param name="cancellationToken">Cancels the transfer.</param>
    /// <returns>A task that completes when the echo has been checked.</returns>
    public static async Task EchoAndVerifyAsync(Socket socket, long length, int seed = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        await SendAllAsync(socket, "E"u8.ToArray(), cancellationToken).ConfigureAwait(false);

        // A bad echo stops the writer too: otherwise it would block on a peer that no one reads.
        using var readerFailed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<long> reader = Task.Run(
            async () =>
            {
                try
                {
                    return await ReadEchoAsync(socket, length, seed, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    await readerFailed.CancelAsync().ConfigureAwait(false);
                    throw;
                }
            },
            cancellationToken);
        var chunk = new byte[ChunkSize];
        try
        {
            for (long sent = 0; sent < length;)
            {
                int n = (int)Math.Min(chunk.Length, length - sent);
                TcpTarget.PatternBytes(chunk.AsSpan(0, n), sent, seed);
                await SendAllAsync(socket, chunk.AsMemory(0, n), readerFailed.Token).ConfigureAwait(false);
                sent += n;
            }

            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (reader.IsFaulted || e is OperationCanceledException or SocketException)
        {
            // Report the reader's finding (what differed) rather than the writer's symptom.
            await reader.ConfigureAwait(false);
            throw;
        }

        long total = await reader.ConfigureAwait(false);
        if (total != length)
        {
            throw new TransferException($"echo: the stream ended after {total} of {length} bytes");
        }
    }

    private static async Task<long> ReadEchoAsync(Socket socket, long length, int seed, CancellationToken cancellationToken)
    {
        var buffer = new byte[ChunkSize];
        var expected = new byte[ChunkSize];
        long received = 0;
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return received;
            }

            if (received + n > length)
            {
                throw new TransferException($"echo: received more than the {length} bytes sent");
            }

            TcpTarget.PatternBytes(expected.AsSpan(0, n), received, seed);
            int same = buffer.AsSpan(0, n).CommonPrefixLength(expected.AsSpan(0, n));
            if (same != n)
            {
                throw new TransferException($"echo: byte {received + same} differs from what was sent");
            }

            received += n;
        }
    }

    /// <summary>
    /// Mode 'D': writes as fast as the route takes for <paramref name="duration"/> and returns the
    /// throughput the TARGET measured (bytes it received per second, the first chunk excluded).
    /// </summary>
    /// <param name="endpoint">Where to connect.</param>
    /// <param name="duration">How long the target measures.</param>
    /// <param name="cancellationToken">Cancels the measurement.</param>
    /// <returns>Bytes per second at the receiver.</returns>
    public static async Task<double> MeasureThroughputAsync(IPEndPoint endpoint, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        using Socket socket = await ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
        var header = new byte[5];
        header[0] = (byte)'D';
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), (uint)duration.TotalMilliseconds);
        await SendAllAsync(socket, header, cancellationToken).ConfigureAwait(false);
        var reply = new byte[16];
        Task<int> result = ReceiveAtMostAsync(socket, reply, cancellationToken);
        var chunk = new byte[256 * 1024];
        Random.Shared.NextBytes(chunk); // incompressible, in case some hop compresses
        while (!result.IsCompleted)
        {
            try
            {
                await socket.SendAsync(chunk, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                break; // the reply is coming or the route broke; the reply tells which
            }
        }

        int got = await result.ConfigureAwait(false);
        if (got != reply.Length)
        {
            throw new TransferException("throughput: the connection closed before the target's measurement arrived");
        }

        long bytes = BinaryPrimitives.ReadInt64BigEndian(reply);
        long micros = BinaryPrimitives.ReadInt64BigEndian(reply.AsSpan(8));
        return bytes / (micros / 1e6);
    }

    /// <summary>
    /// Mode 'E' ping-pong: <paramref name="count"/> round trips of <paramref name="size"/> bytes on one
    /// connection (after <paramref name="warmup"/> unmeasured ones), each echo checked.
    /// </summary>
    /// <param name="endpoint">Where to connect.</param>
    /// <param name="size">Message size in bytes.</param>
    /// <param name="count">Measured round trips.</param>
    /// <param name="warmup">Unmeasured round trips first.</param>
    /// <param name="cancellationToken">Cancels the measurement.</param>
    /// <returns>The round-trip times in microseconds, sorted ascending.</returns>
    public static Task<double[]> MeasureRoundTripsAsync(IPEndPoint endpoint, int size, int count, int warmup = 100, CancellationToken cancellationToken = default) =>
        MeasureRoundTripsAsync(endpoint, size, count, warmup, null, null, cancellationToken);

    /// <summary>
    /// As <see cref="MeasureRoundTripsAsync(IPEndPoint, int, int, int, CancellationToken)"/>, calling
    /// <paramref name="measuring"/> after the warm-up and <paramref name="measured"/> after the last round trip,
    /// both while the connection is still open (e.g. to sample the route's processes, forked ones included).
    /// </summary>
    /// <param name="endpoint">Where to connect.</param>
    /// <param name="size">Message size in bytes (≥ 4).</param>
    /// <param name="count">Round trips measured.</param>
    /// <param name="warmup">Round trips before measuring.</param>
    /// <param name="measuring">Called once the warm-up is done; null for none.</param>
    /// <param name="measured">Called after the last measured round trip; null for none.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The round-trip times in microseconds, sorted.</returns>
    public static async Task<double[]> MeasureRoundTripsAsync(IPEndPoint endpoint, int size, int count, int warmup, Action? measuring, Action? measured, CancellationToken cancellationToken)
    {
        using Socket socket = await ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
        await SendAllAsync(socket, "E"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        var message = new byte[size];
        var echo = new byte[size];
        var samples = new double[count];
        for (int i = -warmup; i < count; i++)
        {
            if (i == 0)
            {
                measuring?.Invoke();
            }

            BinaryPrimitives.WriteInt32LittleEndian(message, i);
            long start = Stopwatch.GetTimestamp();
            await SendAllAsync(socket, message, cancellationToken).ConfigureAwait(false);
            if (await ReceiveAtMostAsync(socket, echo, cancellationToken).ConfigureAwait(false) != size)
            {
                throw new TransferException($"round trip {i}: the echo ended early");
            }

            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            if (!echo.AsSpan().SequenceEqual(message))
            {
                throw new TransferException($"round trip {i}: the echo differs from the message");
            }

            if (i >= 0)
            {
                samples[i] = elapsed.TotalMicroseconds;
            }
        }

        measured?.Invoke();
        socket.Shutdown(SocketShutdown.Send);
        Array.Sort(samples);
        return samples;
    }

    /// <summary>The value at quantile <paramref name="q"/> (0..1) of ascending <paramref name="sorted"/>.</summary>
    /// <param name="sorted">Samples in ascending order.</param>
    /// <param name="q">The quantile.</param>
    /// <returns>The sample.</returns>
    public static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        return sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    /// <summary>Sends all of <paramref name="data"/>.</summary>
    /// <param name="socket">The connection.</param>
    /// <param name="data">The bytes.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when everything was handed to the OS.</returns>
    public static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        while (!data.IsEmpty)
        {
            data = data[await socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false)..];
        }
    }

    /// <summary>Receives until <paramref name="destination"/> is full or the stream ends.</summary>
    /// <param name="socket">The connection.</param>
    /// <param name="destination">Where to put the bytes.</param>
    /// <param name="cancellationToken">Cancels the receive.</param>
    /// <returns>How many bytes arrived (less than the length only at end of stream).</returns>
    public static async Task<int> ReceiveAtMostAsync(Socket socket, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        int total = 0;
        while (total < destination.Length)
        {
            int n = await socket.ReceiveAsync(destination[total..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}

/// <summary>A transfer delivered different, missing or extra bytes.</summary>
public sealed class TransferException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TransferException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What differed.</param>
    public TransferException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What differed.</param>
    /// <param name="innerException">The cause.</param>
    public TransferException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
