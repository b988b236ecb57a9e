using BenchmarkDotNet.Attributes;
using EFCore.Lsm.Engine;

namespace EFCore.Lsm.Benchmarks;

/// <summary>
/// <see cref="LsmDatabase.TryGet"/> of keys whose blocks are already in the block cache (an SST read with no I/O),
/// and of keys still in the memtable. Both must allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class TryGetBenchmarks
{
    private const int Keys = 20_000;
    private const int LookupsPerInvoke = 1_000;

    private string _path = "";
    private LsmDatabase _tableDb = null!;
    private LsmDatabase _memDb = null!;
    private byte[] _keys = [];
    private readonly byte[] _value = new byte[4096];
    private int[] _order = [];

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), "efcore-lsm-microbench-" + Guid.NewGuid().ToString("N"));
        _keys = BenchmarkKeys.Sequential(Keys);
        _order = BenchmarkKeys.ShuffledOrder(Keys)[..LookupsPerInvoke];
        var value = BenchmarkKeys.Value();

        _tableDb = LsmDatabase.Open(Path.Combine(_path, "table"), new LsmOptions { BlockCacheSize = 64L << 20 });
        _memDb = LsmDatabase.Open(Path.Combine(_path, "mem"), new LsmOptions { WriteBufferSize = 64L << 20 });
        for (var i = 0; i < Keys; i++)
        {
            _tableDb.Put(BenchmarkKeys.Key(_keys, i), value);
            _memDb.Put(BenchmarkKeys.Key(_keys, i), value);
        }

        // Move everything to SSTs, then touch every key once so all of their blocks are cached.
        _tableDb.Flush();
        _tableDb.CompactRange(null, null);
        for (var i = 0; i < Keys; i++)
        {
            if (!_tableDb.TryGet(BenchmarkKeys.Key(_keys, i), _value, out _))
            {
                throw new InvalidOperationException($"Key {i} is missing after flush.");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tableDb.Dispose();
        _memDb.Dispose();
        Directory.Delete(_path, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = LookupsPerInvoke)]
    public int TryGetCachedBlock() => LookUp(_tableDb);

    [Benchmark(OperationsPerInvoke = LookupsPerInvoke)]
    public int TryGetMemTable() => LookUp(_memDb);

    private int LookUp(LsmDatabase db)
    {
        var bytes = 0;
        foreach (var i in _order)
        {
            if (db.TryGet(BenchmarkKeys.Key(_keys, i), _value, out var length))
            {
                bytes += length;
            }
        }

        return bytes;
    }
}
