using BenchmarkDotNet.Attributes;
using EFCore.Lsm.Engine;

namespace EFCore.Lsm.Benchmarks;

/// <summary>
/// 100 keys looked up at once (<see cref="LsmDatabase.MultiGet(IReadOnlyList{byte[]}, IMultiGetSink, ReadOptions?)"/>)
/// against 100 point lookups of the same keys, in cached table blocks or in the memtable: keys spread over the 20,000 (the
/// rows of an index range or a lookup join) or adjacent (a key range's rows). <c>large-memtable</c> holds 200,000 keys in
/// the memtable, more than the CPU's caches, where a skiplist search waits for memory at nearly every node it compares. The keys are sorted, as the provider's index ranges give
/// them. <c>…Copies</c> return a copy of every value, as the provider's <c>GetMany</c> and <c>Get</c> do; the others pass
/// values to a sink or a reused buffer, which must allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class MultiGetBenchmarks
{
    private int Keys => Store == "large-memtable" ? 200_000 : 20_000;
    private const int Batch = 100;

    private string _path = "";
    private LsmDatabase _db = null!;
    private byte[][] _batch = [];
    private readonly byte[] _value = new byte[4096];
    private readonly LengthSink _sink = new();

    /// <summary>Spread: 100 random keys of the 20,000; adjacent: 100 consecutive keys.</summary>
    [Params("spread", "adjacent")]
    public string Keyset { get; set; } = "spread";

    /// <summary>
    /// Table: the keys flushed and compacted into one table, every block cached; memtable: all still in the memtable;
    /// large-memtable: ten times the keys, all in the memtable.
    /// </summary>
    [Params("table", "memtable", "large-memtable")]
    public string Store { get; set; } = "table";

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), "efcore-lsm-microbench-" + Guid.NewGuid().ToString("N"));
        var keys = BenchmarkKeys.Sequential(Keys);
        var value = BenchmarkKeys.Value();
        _db = LsmDatabase.Open(_path, new LsmOptions { BlockCacheSize = 64L << 20, WriteBufferSize = 256L << 20 });
        for (var i = 0; i < Keys; i++)
        {
            _db.Put(BenchmarkKeys.Key(keys, i), value);
        }

        if (Store == "table")
        {
            _db.Flush();
            _db.CompactRange(null, null);
        }

        var chosen = Keyset == "spread" ? BenchmarkKeys.ShuffledOrder(Keys)[..Batch] : Enumerable.Range(Keys / 2, Batch).ToArray();
        Array.Sort(chosen);
        _batch = [.. chosen.Select(i => BenchmarkKeys.Key(keys, i).ToArray())];

        // Every block of the table in the cache (in the memtable case, every node touched once).
        for (var i = 0; i < Keys; i++)
        {
            if (!_db.TryGet(BenchmarkKeys.Key(keys, i), _value, out _))
            {
                throw new InvalidOperationException($"Key {i} is missing after flush.");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _db.Dispose();
        Directory.Delete(_path, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public int GetCopies()
    {
        var bytes = 0;
        foreach (var key in _batch)
        {
            bytes += _db.Get(key)?.Length ?? 0;
        }

        return bytes;
    }

    [Benchmark]
    public int MultiGetCopies()
    {
        var bytes = 0;
        foreach (var value in _db.MultiGet(_batch))
        {
            bytes += value?.Length ?? 0;
        }

        return bytes;
    }

    [Benchmark]
    public int TryGetIntoBuffer()
    {
        var bytes = 0;
        foreach (var key in _batch)
        {
            if (_db.TryGet(key, _value, out var length))
            {
                bytes += length;
            }
        }

        return bytes;
    }

    [Benchmark]
    public int MultiGetToSink()
    {
        _sink.Bytes = 0;
        _db.MultiGet(_batch, _sink);
        return _sink.Bytes;
    }

    private sealed class LengthSink : IMultiGetSink
    {
        public int Bytes { get; set; }

        public void Found(int index, ReadOnlySpan<byte> value) => Bytes += value.Length;
    }
}
