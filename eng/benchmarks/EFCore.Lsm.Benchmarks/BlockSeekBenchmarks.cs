using BenchmarkDotNet.Attributes;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Table;

namespace EFCore.Lsm.Benchmarks;

/// <summary>
/// Seek inside one ~4 KiB data block (restart-point binary search, then a linear scan) as a point lookup does it,
/// with a reused cursor: no allocation per seek.
/// </summary>
[MemoryDiagnoser]
public class BlockSeekBenchmarks
{
    private const int SeeksPerInvoke = 1_000;

    private byte[][] _targets = [];
    private int[] _order = [];
    private Block _block;
    private BlockCursor _cursor;

    [GlobalSetup]
    public void Setup()
    {
        var builder = new BlockBuilder(restartInterval: 16);
        var value = BenchmarkKeys.Value();
        var keys = BenchmarkKeys.Sequential(1_000);
        var targets = new List<byte[]>();
        for (var i = 0; builder.CurrentSizeEstimate < 4096; i++)
        {
            var internalKey = InternalKey.Create(BenchmarkKeys.Key(keys, i), (ulong)i + 1, ValueKind.Put);
            builder.Add(internalKey, value);
            targets.Add(InternalKey.Create(BenchmarkKeys.Key(keys, i), ulong.MaxValue >> 8, InternalKey.KindForSeek));
        }

        _block = new Block(builder.Finish().ToArray(), "bench.sst", 0);
        _targets = targets.ToArray();
        _order = Enumerable.Range(0, SeeksPerInvoke).Select(i => (int)((uint)(i * 2654435761u) % (uint)_targets.Length)).ToArray();
        _cursor = new BlockCursor(_block);
    }

    [GlobalCleanup]
    public void Cleanup() => _cursor.ReleaseBuffer();

    [Benchmark(OperationsPerInvoke = SeeksPerInvoke)]
    public int Seek()
    {
        var found = 0;
        foreach (var target in _order)
        {
            _cursor.Seek(_targets[target]);
            if (_cursor.Valid)
            {
                found += _cursor.Value.Length;
            }
        }

        return found;
    }
}
