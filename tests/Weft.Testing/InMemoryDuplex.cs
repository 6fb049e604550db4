using System.IO.Pipelines;

namespace Weft.Testing;

/// <summary>
/// An in-memory, full-duplex connection: two <see cref="InMemoryDuplexStream"/>s joined by two
/// bounded <see cref="Pipe"/>s, one per direction. Back-pressure is real (a writer whose peer does not
/// read blocks after <see cref="InMemoryDuplexOptions.PauseWriterThreshold"/> bytes), half-close is
/// supported, and the connection can be aborted from outside so that both ends see an
/// <see cref="IOException"/>.
/// </summary>
public static class InMemoryDuplex
{
    /// <summary>Creates two connected streams.</summary>
    /// <param name="options">Buffering options; <see langword="null"/> for the defaults.</param>
    /// <returns>The two ends; bytes written to one are read from the other.</returns>
    public static (InMemoryDuplexStream First, InMemoryDuplexStream Second) CreatePair(InMemoryDuplexOptions? options = null)
    {
        var validated = (options ?? new InMemoryDuplexOptions()).Validated();
        var pipeOptions = new PipeOptions(
            pauseWriterThreshold: validated.PauseWriterThreshold,
            resumeWriterThreshold: validated.ResumeWriterThreshold,
            useSynchronizationContext: false);
        var firstToSecond = new Pipe(pipeOptions);
        var secondToFirst = new Pipe(pipeOptions);
        var connection = new InMemoryDuplexConnection(firstToSecond, secondToFirst);
        var first = new InMemoryDuplexStream(connection, secondToFirst.Reader, firstToSecond.Writer, validated.PauseWriterThreshold);
        var second = new InMemoryDuplexStream(connection, firstToSecond.Reader, secondToFirst.Writer, validated.PauseWriterThreshold);
        return (first, second);
    }

    /// <summary>Creates two connected streams as a <see cref="StreamPair"/>, ready to return from a conformance subclass.</summary>
    /// <param name="options">Buffering options; <see langword="null"/> for the defaults.</param>
    /// <returns>The pair.</returns>
    public static StreamPair CreateStreamPair(InMemoryDuplexOptions? options = null)
    {
        var (first, second) = CreatePair(options);
        return new StreamPair(first, second);
    }
}
