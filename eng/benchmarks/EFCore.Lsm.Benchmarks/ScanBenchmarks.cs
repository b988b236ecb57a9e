using System.Text;
using BenchmarkDotNet.Attributes;
using EFCore.Lsm.Engine;

namespace EFCore.Lsm.Benchmarks;

/// <summary>
/// A full forward scan through <see cref="LsmIterator"/> of 20,000 entries compacted into LZ4 tables, with an empty
/// memtable beside them (the layout of a settled database, as the EF scans read it), filling the block cache (blocks
/// decompressed once, then served from the cache) or not (every block decompressed on every pass). Cost per entry; a scan
/// must allocate nothing per entry.
/// </summary>
[MemoryDiagnoser]
public class ScanBenchmarks
{
    private const int Keys = 20_000;

    private string _path = "";
    private LsmDatabase _db = null!;

    [Params(true, false)]
    public bool FillCache { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), "efcore-lsm-microbench-" + Guid.NewGuid().ToString("N"));
        var keys = BenchmarkKeys.Sequential(Keys);
        _db = LsmDatabase.Open(_path, new LsmOptions { BlockCacheSize = 32L << 20, Compression = TableCompression.Lz4 });
        for (var i = 0; i < Keys; i++)
        {
            // Row-like values (text that differs per key), so LZ4 compresses the blocks as it does the EF benchmark's rows.
            _db.Put(BenchmarkKeys.Key(keys, i), Encoding.ASCII.GetBytes($"Customer {i:D7}|City {i % 16:D2}|R{i % 256:D3}|{i * 7919 % 100_000}"));
        }

        _db.CompactRange(null, null);
        _db.WaitForCompactions();
        if (Scan() != Keys)
        {
            throw new InvalidOperationException("The scan did not return every key.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _db.Dispose();
        Directory.Delete(_path, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = Keys)]
    public int Scan()
    {
        var entries = 0;
        using var iterator = _db.NewIterator(new ReadOptions { FillCache = FillCache });
        for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
        {
            entries += iterator.Value.Length > 0 ? 1 : 0;
        }

        return entries;
    }
}
