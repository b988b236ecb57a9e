using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using EFCore.Lsm.Engine.Tests.TestUtilities;
using Xunit.Abstractions;

namespace EFCore.Lsm.Engine.Tests.Compaction;

/// <summary>
/// The long write-heavy run: more than a gigabyte of random writes with background flush and compaction, stalls
/// allowed but no errors, and the process's peak RSS bounded by configuration (memtables + block cache + 150 MiB).
/// Run alone, since RSS is per process:
/// <c>LSM_LONG_TESTS=1 dotnet test test/EFCore.Lsm.Engine.Tests -c Release --filter "FullyQualifiedName~WriteHeavyLongTests"</c>.
/// </summary>
public class WriteHeavyLongTests(ITestOutputHelper output)
{
    [LongFact]
    public void A_gigabyte_of_random_writes_completes_with_bounded_memory()
    {
        const long totalBytes = 1200L << 20;
        const int valueSize = 1000;
        using var dir = new TempDirectory("heavy");
        var options = new LsmOptions();
        var budget = options.WriteBufferSize * (1 + options.MaxImmutableMemtables) + options.BlockCacheSize + (150L << 20);
        var key = new byte[16];
        var value = new byte[valueSize];
        var random = new Random(5);
        var buffer = new ArrayBufferWriter<byte>(valueSize);
        output.WriteLine($"RSS at start {ResidentBytes("VmRSS:") >> 20} MiB");
        var stopwatch = Stopwatch.StartNew();
        long written = 0, writes = 0;
        using (var db = LsmDatabase.Open(dir.Sub("db"), options))
        {
            var batch = new WriteBatch();
            while (written < totalBytes)
            {
                BinaryPrimitives.WriteInt64BigEndian(key, random.NextInt64(50_000_000));
                BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(8), writes);
                random.NextBytes(value.AsSpan(0, 64));
                batch.Put(key, value);
                written += key.Length + value.Length;
                writes++;
                if (batch.Count == 100)
                {
                    db.Write(batch);
                    batch.Clear();
                }

                if (writes % 100_000 == 0)
                {
                    // Reads in between keep the block cache in play, as an application would.
                    for (var i = 0; i < 1000; i++)
                    {
                        BinaryPrimitives.WriteInt64BigEndian(key, random.NextInt64(50_000_000));
                        buffer.ResetWrittenCount();
                        db.TryGet(key, buffer);
                    }
                }
            }

            db.Write(batch);
            output.WriteLine($"{written >> 20} MiB in {writes} writes, {stopwatch.Elapsed.TotalSeconds:F1} s");
            output.WriteLine(db.GetProperty(LsmDatabase.Properties.Stats));
        }

        var gc = GC.GetGCMemoryInfo();
        output.WriteLine($"GC: heap {gc.HeapSizeBytes >> 20} MiB, committed {gc.TotalCommittedBytes >> 20} MiB, fragmented {gc.FragmentedBytes >> 20} MiB, gen2 collections {GC.CollectionCount(2)}");
        var peak = ResidentBytes("VmHWM:");
        output.WriteLine($"peak RSS {peak >> 20} MiB, budget {budget >> 20} MiB");
        Assert.True(peak <= budget, $"peak RSS {peak >> 20} MiB exceeds the budget of {budget >> 20} MiB");
    }

    /// <summary>A size line of /proc/self/status ("VmRSS:" now, "VmHWM:" peak) in bytes.</summary>
    private static long ResidentBytes(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(field.Length).Trim().TrimEnd("kB").Trim()) * 1024;
            }
        }

        return Process.GetCurrentProcess().PeakWorkingSet64;
    }
}
