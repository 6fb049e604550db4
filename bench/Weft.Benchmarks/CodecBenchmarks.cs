using System.Buffers;
using BenchmarkDotNet.Attributes;
using Weft.Mux.Protocol;

namespace Weft.Benchmarks;

/// <summary>The pure yamux codec: header encode and decode, and reading a whole frame from a buffer.</summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private readonly byte[] _header = new byte[YamuxConstants.HeaderSize];
    private readonly ArrayBufferWriter<byte> _writer = new(64 * 1024);
    private readonly YamuxHeader _windowUpdate = new(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 7, 262_144);
    private byte[] _payload = [];
    private ReadOnlySequence<byte> _frames;

    [GlobalSetup]
    public void Setup()
    {
        YamuxCodec.WriteHeader(_header, _windowUpdate);
        _payload = new byte[1024];

        // 16 Data frames of 1 KiB back to back, as the read loop sees them.
        var all = new ArrayBufferWriter<byte>();
        for (int i = 0; i < 16; i++)
        {
            YamuxCodec.WriteFrame(all, new YamuxHeader(YamuxFrameType.Data, YamuxFlags.None, 1, (uint)_payload.Length), _payload);
        }

        _frames = new ReadOnlySequence<byte>(all.WrittenMemory);
    }

    [Benchmark]
    public void EncodeHeader() => YamuxCodec.WriteHeader(_header, _windowUpdate);

    [Benchmark]
    public YamuxHeader DecodeHeader() => YamuxCodec.DecodeHeader(_header);

    [Benchmark]
    public int WriteDataFrame1KiB()
    {
        _writer.ResetWrittenCount();
        YamuxCodec.WriteFrame(_writer, new YamuxHeader(YamuxFrameType.Data, YamuxFlags.None, 1, (uint)_payload.Length), _payload);
        return _writer.WrittenCount;
    }

    /// <summary>Reads 16 back-to-back 1 KiB Data frames out of one buffer (per operation: 16 frames).</summary>
    [Benchmark(OperationsPerInvoke = 16)]
    public long ReadDataFrames1KiB()
    {
        ReadOnlySequence<byte> buffer = _frames;
        long total = 0;
        while (YamuxCodec.TryReadFrame(ref buffer, 256 * 1024, out YamuxHeader header, out ReadOnlySequence<byte> payload))
        {
            total += header.StreamId + payload.Length;
        }

        return total;
    }
}
