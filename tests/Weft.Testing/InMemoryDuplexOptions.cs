namespace Weft.Testing;

/// <summary>Options for <see cref="InMemoryDuplex.CreatePair"/>. Validated and copied when the pair is created.</summary>
public sealed class InMemoryDuplexOptions
{
    /// <summary>
    /// Unread bytes per direction at which a writer blocks (back-pressure). Default 64 KiB. A single
    /// large write is split into pieces of at most this size, so at most about twice this many bytes are
    /// ever buffered per direction.
    /// </summary>
    public int PauseWriterThreshold { get; set; } = 64 * 1024;

    /// <summary>
    /// Unread bytes per direction at or below which a blocked writer resumes. Default: half of
    /// <see cref="PauseWriterThreshold"/> (when left at 0).
    /// </summary>
    public int ResumeWriterThreshold { get; set; }

    internal InMemoryDuplexOptions Validated()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(PauseWriterThreshold, 1, nameof(PauseWriterThreshold));
        int resume = ResumeWriterThreshold == 0 ? PauseWriterThreshold / 2 : ResumeWriterThreshold;
        ArgumentOutOfRangeException.ThrowIfNegative(resume, nameof(ResumeWriterThreshold));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(resume, PauseWriterThreshold, nameof(ResumeWriterThreshold));
        return new InMemoryDuplexOptions { PauseWriterThreshold = PauseWriterThreshold, ResumeWriterThreshold = resume };
    }
}
