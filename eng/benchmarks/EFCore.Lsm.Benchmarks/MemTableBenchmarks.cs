using BenchmarkDotNet.Attributes;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Memtable;

namespace EFCore.Lsm.Benchmarks;

/// <summary>Skiplist insert (sequential and random order) and point lookup of 16-byte keys with 100-byte values.</summary>
[MemoryDiagnoser]
public class MemTableBenchmarks
{
    private const int Entries = 10_000;

    private byte[] _keys = [];
    private int[] _randomOrder = [];
    private byte[] _value = [];
    private MemTable _filled = null!;

    [GlobalSetup]
    public void Setup()
    {
        _keys = BenchmarkKeys.Sequential(Entries);
        _randomOrder = BenchmarkKeys.ShuffledOrder(Entries);
        _value = BenchmarkKeys.Value();
        _filled = new MemTable();
        for (var i = 0; i < Entries; i++)
        {
            _filled.Add((ulong)i + 1, ValueKind.Put, BenchmarkKeys.Key(_keys, _randomOrder[i]), _value);
        }
    }

    /// <summary>Per entry, including a share of the arena slabs a new memtable allocates.</summary>
    [Benchmark(OperationsPerInvoke = Entries)]
    public long InsertSequential()
    {
        var table = new MemTable();
        for (var i = 0; i < Entries; i++)
        {
            table.Add((ulong)i + 1, ValueKind.Put, BenchmarkKeys.Key(_keys, i), _value);
        }

        return table.EntryCount;
    }

    [Benchmark(OperationsPerInvoke = Entries)]
    public long InsertRandom()
    {
        var table = new MemTable();
        for (var i = 0; i < Entries; i++)
        {
            table.Add((ulong)i + 1, ValueKind.Put, BenchmarkKeys.Key(_keys, _randomOrder[i]), _value);
        }

        return table.EntryCount;
    }

    [Benchmark(OperationsPerInvoke = Entries)]
    public int Lookup()
    {
        var found = 0;
        for (var i = 0; i < Entries; i++)
        {
            if (_filled.TryGet(BenchmarkKeys.Key(_keys, _randomOrder[i]), ulong.MaxValue >> 8, out _, out var value))
            {
                found += value.Length;
            }
        }

        return found;
    }
}
