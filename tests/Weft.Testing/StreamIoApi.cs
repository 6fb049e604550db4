namespace Weft.Testing;

/// <summary>Which family of <see cref="Stream"/> methods a conformance test drives.</summary>
public enum StreamIoApi
{
    /// <summary><c>Read(byte[], int, int)</c> / <c>Write(byte[], int, int)</c>.</summary>
    SyncArray,

    /// <summary><c>Read(Span&lt;byte&gt;)</c> / <c>Write(ReadOnlySpan&lt;byte&gt;)</c>.</summary>
    SyncSpan,

    /// <summary><c>ReadAsync(byte[], int, int, CancellationToken)</c> / <c>WriteAsync(byte[], …)</c> (Task).</summary>
    AsyncArray,

    /// <summary><c>ReadAsync(Memory&lt;byte&gt;, …)</c> / <c>WriteAsync(ReadOnlyMemory&lt;byte&gt;, …)</c> (ValueTask).</summary>
    AsyncMemory,

    /// <summary><c>BeginRead</c>/<c>EndRead</c> and <c>BeginWrite</c>/<c>EndWrite</c> (APM).</summary>
    BeginEnd,
}
