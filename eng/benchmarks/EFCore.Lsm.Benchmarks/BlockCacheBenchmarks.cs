using BenchmarkDotNet.Attributes;
using EFCore.Lsm.Engine.Table;

namespace EFCore.Lsm.Benchmarks;

/// <summary>
/// Block cache hits in random order over 8,192 cached 4 KiB blocks (32 MiB, the harness's cache size), as seeks and
/// point lookups do them: one lookup, one reference taken and released. A hit allocates nothing.
/// </summary>
[MemoryDiagnoser]
public class BlockCacheBenchmarks
{
    private const int Blocks = 8_192;
    private const int HitsPerInvoke = 1_000;

    private BlockCache _cache = null!;
    private long[] _offsets = [];

    [GlobalSetup]
    public void Setup()
    {
        _cache = new BlockCache((long)Blocks * (4096 + BlockCache.EntryOverhead));
        for (var i = 0; i < Blocks; i++)
        {
            _cache.Insert((ulong)(1 + (i % 8)), (i / 8) * 4096L, CachedBlock.Wrap(new byte[4096]));
        }

        var random = new Random(11);
        _offsets = new long[HitsPerInvoke];
        for (var i = 0; i < HitsPerInvoke; i++)
        {
            _offsets[i] = random.Next(Blocks);
        }
    }

    [Benchmark(OperationsPerInvoke = HitsPerInvoke)]
    public int Hit()
    {
        var found = 0;
        foreach (var i in _offsets)
        {
            if (_cache.TryGet((ulong)(1 + (i % 8)), (i / 8) * 4096L, out var block))
            {
                found += block.Length;
                block.Release();
            }
        }

        return found;
    }
}
