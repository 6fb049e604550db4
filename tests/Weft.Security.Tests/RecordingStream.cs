namespace Weft.Security.Tests;

/// <summary>A duplex stream over memory: reads come from <see cref="Input"/>, writes go to <see cref="Output"/>.</summary>
internal sealed class RecordingStream(byte[]? input = null) : Stream
{
    public MemoryStream Input { get; } = new(input ?? [], writable: false);

    public MemoryStream Output { get; } = new();

    public int FlushCount { get; private set; }

    public int WriteCount { get; private set; }

    public bool IsDisposed { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Flush() => FlushCount++;

    public override int Read(byte[] buffer, int offset, int count) => Input.Read(buffer, offset, count);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        WriteCount++;
        Output.Write(buffer, offset, count);
    }

    protected override void Dispose(bool disposing)
    {
        IsDisposed = true;
        base.Dispose(disposing);
    }
}
