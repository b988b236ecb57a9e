using BenchmarkDotNet.Attributes;
using EFCore.Lsm.Engine;

namespace EFCore.Lsm.Benchmarks;

/// <summary>
/// <see cref="LsmDatabase.TryGet"/> with no block cache, so every lookup loads its data block from the table: a copy out
/// of the memory-mapped file, the checksum, and for compressed tables the decompression. One block object per load is
/// allocated (it is what a cache would hold), the same with or without compression.
/// </summary>
[MemoryDiagnoser]
public class BlockLoadBenchmarks
{
    private const int Keys = 20_000;
    private const int LookupsPerInvoke = 1_000;

    private string _path = "";
    private LsmDatabase _db = null!;
    private byte[] _keys = [];
    private readonly byte[] _value = new byte[4096];
    private int[] _order = [];

    [Params(TableCompression.None, TableCompression.Lz4, TableCompression.Zstd)]
    public TableCompression Compression { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), "efcore-lsm-microbench-" + Guid.NewGuid().ToString("N"));
        _keys = BenchmarkKeys.Sequential(Keys);
        _order = BenchmarkKeys.ShuffledOrder(Keys)[..LookupsPerInvoke];
        // Row-like text (compresses about 3:1 with LZ4), so compressed tables really hold compressed blocks.
        var value = System.Text.Encoding.ASCII.GetBytes("name=customer-000042;city=Lisbon;balance=001234.50;created=2026-11-21;" + new string('.', 30));
        _db = LsmDatabase.Open(_path, new LsmOptions { BlockCacheSize = 0, Compression = Compression, BottommostCompression = Compression });
        for (var i = 0; i < Keys; i++)
        {
            _db.Put(BenchmarkKeys.Key(_keys, i), value);
        }

        _db.Flush();
        _db.CompactRange(null, null);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _db.Dispose();
        Directory.Delete(_path, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = LookupsPerInvoke)]
    public int TryGetLoadingTheBlock()
    {
        var bytes = 0;
        foreach (var i in _order)
        {
            if (_db.TryGet(BenchmarkKeys.Key(_keys, i), _value, out var length))
            {
                bytes += length;
            }
        }

        return bytes;
    }
}
