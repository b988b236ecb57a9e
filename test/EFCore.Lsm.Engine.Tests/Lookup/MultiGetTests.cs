using System.Text;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Table;
using EFCore.Lsm.Engine.Tests.TestUtilities;

namespace EFCore.Lsm.Engine.Tests.Lookup;

/// <summary>
/// <see cref="LsmDatabase.MultiGet(IReadOnlyList{byte[]}, ReadOptions?)"/> must answer exactly what a <see cref="LsmDatabase.Get"/>
/// of each key answers: checked against per-key gets and a dictionary model over random histories that leave data in the
/// memtable, frozen memtables, L0 and deeper levels, at snapshots, with lists that repeat keys, are unsorted, or name keys
/// that never existed or sort before or after all data.
/// </summary>
public class MultiGetTests
{
    public static TheoryData<int, string> Seeds()
    {
        var data = new TheoryData<int, string>();
        string[] configurations = ["small", "nobloom", "uncompressed", "default"];
        for (var seed = 1; seed <= 24; seed++)
        {
            data.Add(seed, configurations[seed % configurations.Length]);
        }

        data.Add(101, "mapped");
        data.Add(102, "mapped");
        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void MultiGet_matches_Get_and_the_model(int seed, string configuration)
        => new ModelRun(seed, configuration).Run();

    [Fact]
    public void Unsorted_duplicate_and_missing_keys_keep_the_callers_order()
    {
        using var db = LsmDatabase.Open("/m", new LsmOptions { FileSystem = new MemoryFileSystem() });
        db.Put(B("b"), B("table-b"));
        db.Put(B("d"), B("table-d"));
        db.Flush();
        db.Put(B("c"), B("mem-c"));
        db.Delete(B("d"));

        var values = db.MultiGet([B("d"), B("c"), B("zz"), B("b"), B("c"), B(""), B("a"), B("b")]);

        Assert.Equal([null, "mem-c", null, "table-b", "mem-c", null, null, "table-b"], values.Select(v => v is null ? null : S(v)));
        Assert.NotSame(values[1], values[4]);
        Assert.Empty(db.MultiGet([]));
        Assert.Throws<ArgumentException>(() => db.MultiGet([B("a"), null!]));
    }

    [Fact]
    public void The_sink_gets_each_found_key_by_its_index_and_the_count_is_returned()
    {
        using var db = LsmDatabase.Open("/s", new LsmOptions { FileSystem = new MemoryFileSystem() });
        db.Put(B("k1"), B("v1"));
        db.Flush();
        db.Put(B("k2"), B("v2"));
        var sink = new RecordingSink();

        var found = db.MultiGet([B("k2"), B("nope"), B("k1"), B("k2")], sink);

        Assert.Equal(3, found);
        Assert.Equal(["0=v2", "2=v1", "3=v2"], sink.Calls.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_damaged_block_is_reported_naming_its_file_and_offset_as_Get_reports_it(bool mapped)
    {
        using var dir = new TempDirectory("multiget-corrupt");
        IFileSystem fs = mapped ? LocalFileSystem.Instance : new MemoryFileSystem();
        var path = mapped ? dir.Sub("db") : "/corrupt";
        var options = new LsmOptions { FileSystem = fs, Compression = TableCompression.None, BlockCacheSize = 0, BlockSize = 512 };
        var keys = Enumerable.Range(0, 400).Select(i => B($"key{i:D5}")).ToArray();
        using (var db = LsmDatabase.Open(path, options))
        {
            foreach (var key in keys)
            {
                db.Put(key, B(new string('v', 40)));
            }

            db.Flush();
        }

        var table = fs.ListFiles(path).Single(f => f.EndsWith(".sst", StringComparison.Ordinal));
        var tablePath = System.IO.Path.Combine(path, table);
        var bytes = ReadAll(fs, tablePath);
        bytes[2000] ^= 0x40; // inside a data block, well before the index and footer
        WriteAll(fs, tablePath, bytes);

        using var reopened = LsmDatabase.Open(path, options);
        LsmCorruptionException? expected = null;
        foreach (var key in keys)
        {
            try
            {
                reopened.Get(key);
            }
            catch (LsmCorruptionException e)
            {
                expected = e;
                break;
            }
        }

        Assert.NotNull(expected);
        var actual = Assert.Throws<LsmCorruptionException>(() => reopened.MultiGet(keys));
        Assert.Equal(expected.FileName, actual.FileName);
        Assert.Equal(expected.Offset, actual.Offset);
        Assert.Contains("checksum", actual.Message, StringComparison.Ordinal);

        // Keys outside the damaged block still read.
        Assert.NotNull(reopened.MultiGet([keys[0]])[0]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MultiGet_into_a_sink_allocates_nothing_on_cached_or_mapped_blocks(bool mapped)
    {
        using var dir = new TempDirectory("multiget-alloc");
        IFileSystem fs = mapped ? LocalFileSystem.Instance : new MemoryFileSystem();
        var options = new LsmOptions { FileSystem = fs, Compression = mapped ? TableCompression.None : TableCompression.Lz4 };
        using var db = LsmDatabase.Open(mapped ? dir.Sub("db") : "/alloc", options);
        for (var i = 0; i < 2000; i++)
        {
            db.Put(B($"key{i:D5}"), B($"value{i}"));
        }

        db.Flush();
        for (var i = 0; i < 2000; i += 7)
        {
            db.Put(B($"key{i:D5}"), B($"newer{i}")); // some keys answered by the memtable
        }

        // Sorted, as the provider passes them; every third one missing.
        var keys = Enumerable.Range(0, 300).Select(i => B(i % 3 == 2 ? $"key{i * 6:D5}x" : $"key{i * 6:D5}")).ToList();
        var sink = new CountingSink();
        for (var round = 0; round < 3; round++)
        {
            db.MultiGet(keys, sink);
        }

        var allocations = new List<long>();
        for (var round = 0; round < 5; round++)
        {
            sink.Bytes = 0;
            var before = GC.GetAllocatedBytesForCurrentThread();
            var found = db.MultiGet(keys, sink);
            allocations.Add(GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.Equal(200, found);
            Assert.True(sink.Bytes > 0);
        }

        Assert.True(allocations.Min() == 0, $"MultiGet allocated in every round: {string.Join(", ", allocations)} bytes per 300 keys");
    }

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>Both absent, or both present with equal bytes (an empty value is not an absent one).</summary>
    private static bool SameValue(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    private static string S(byte[] b) => Encoding.UTF8.GetString(b);

    private static byte[] ReadAll(IFileSystem fs, string path)
        => fs is MemoryFileSystem memory ? memory.ReadAllBytes(path) : File.ReadAllBytes(path);

    private static void WriteAll(IFileSystem fs, string path, byte[] bytes)
    {
        if (fs is MemoryFileSystem memory)
        {
            memory.WriteAllBytes(path, bytes);
        }
        else
        {
            File.WriteAllBytes(path, bytes);
        }
    }

    private sealed class RecordingSink : IMultiGetSink
    {
        public List<string> Calls { get; } = [];

        public void Found(int index, ReadOnlySpan<byte> value) => Calls.Add($"{index}={Encoding.UTF8.GetString(value)}");
    }

    private sealed class CountingSink : IMultiGetSink
    {
        public long Bytes;

        public void Found(int index, ReadOnlySpan<byte> value) => Bytes += value.Length + index;
    }

    /// <summary>One seeded history: writes, flushes, compactions and snapshots, with a multi-get checked every few steps.</summary>
    private sealed class ModelRun(int seed, string configuration)
    {
        private const int Operations = 2500;
        private readonly Random _random = new(seed);
        private readonly Dictionary<byte[], byte[]> _model = new(ByteArrayComparer.Instance);
        private readonly List<(Snapshot Snapshot, Dictionary<byte[], byte[]> State)> _snapshots = [];
        private byte[][] _alphabet = [];
        private LsmDatabase _db = null!;
        private int _checks;
        private int _checksWithDeepLevels;

        public void Run()
        {
            using var dir = new TempDirectory("multiget-model");
            var fs = configuration == "mapped" ? (IFileSystem)LocalFileSystem.Instance : new MemoryFileSystem();
            var path = configuration == "mapped" ? dir.Sub("db") : "/model";
            _alphabet = CreateAlphabet();
            _db = LsmDatabase.Open(path, Options(fs));
            try
            {
                for (var step = 0; step < Operations; step++)
                {
                    try
                    {
                        Step();
                    }
                    catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                    {
                        throw new InvalidOperationException($"seed {seed} ({configuration}) step {step}", e);
                    }
                }

                _db.CompactRange(null, null);
                Check(_model, null);
                foreach (var (snapshot, state) in _snapshots)
                {
                    Check(state, snapshot);
                }
            }
            finally
            {
                foreach (var (snapshot, _) in _snapshots)
                {
                    snapshot.Dispose();
                }

                _db.Dispose();
            }

            Assert.True(_checks > 100, $"only {_checks} checks");
            if (configuration is "small" or "mapped")
            {
                Assert.True(_checksWithDeepLevels > 10, $"seed {seed}: only {_checksWithDeepLevels} checks saw L0 and a deeper level at once");
            }
        }

        private LsmOptions Options(IFileSystem fs)
        {
            var small = new LsmOptions
            {
                FileSystem = fs, WriteBufferSize = 64 * 1024, MaxImmutableMemtables = 3, BlockSize = 256, BlockRestartInterval = 4,
                BlockCacheSize = 32 * 1024, TargetFileSize = 16 * 1024, MaxBytesForLevelBase = 64 * 1024, MaxBytesForLevelMultiplier = 4,
                Level0CompactionTrigger = 3, MaxOpenFiles = 20,
            };
            switch (configuration)
            {
                case "nobloom":
                    small.BloomBitsPerKey = 0;
                    small.BlockCacheSize = 0;
                    break;
                case "uncompressed":
                case "mapped":
                    small.Compression = TableCompression.None;
                    break;
                case "default":
                    small.WriteBufferSize = 256 * 1024;
                    small.BlockSize = 4096;
                    small.BlockRestartInterval = 16;
                    break;
            }

            return small;
        }

        private byte[][] CreateAlphabet()
        {
            // Keys that share prefixes (so blocks hold runs of neighbours), a few long enough to need a rented seek key.
            var keys = new HashSet<byte[]>(ByteArrayComparer.Instance);
            while (keys.Count < 400)
            {
                var length = _random.Next(20) == 0 ? 300 + _random.Next(100) : 1 + _random.Next(12);
                var key = new byte[length];
                key[0] = (byte)('b' + _random.Next(20));
                for (var i = 1; i < length; i++)
                {
                    key[i] = (byte)('a' + _random.Next(4));
                }

                keys.Add(key);
            }

            return [.. keys.Order(ByteArrayComparer.Instance)];
        }

        private byte[] RandomValue()
        {
            var value = new byte[_random.Next(10) == 0 ? 0 : _random.Next(1, 400)];
            _random.NextBytes(value);
            return value;
        }

        private void Step()
        {
            var roll = _random.Next(1000);
            switch (roll)
            {
                case < 400:
                {
                    var key = _alphabet[_random.Next(_alphabet.Length)];
                    var value = RandomValue();
                    _db.Put(key, value);
                    _model[key] = value;
                    break;
                }

                case < 550:
                {
                    var key = _alphabet[_random.Next(_alphabet.Length)];
                    _db.Delete(key);
                    _model.Remove(key);
                    break;
                }

                case < 600:
                {
                    // A batch may write one key several times: the last write wins.
                    var batch = new WriteBatch();
                    for (var i = _random.Next(1, 12); i > 0; i--)
                    {
                        var key = _alphabet[_random.Next(_alphabet.Length)];
                        if (_random.Next(3) == 0)
                        {
                            batch.Delete(key);
                            _model.Remove(key);
                        }
                        else
                        {
                            var value = RandomValue();
                            batch.Put(key, value);
                            _model[key] = value;
                        }
                    }

                    _db.Write(batch);
                    break;
                }

                case < 620:
                    _db.Flush();
                    break;
                case < 624:
                    _db.CompactRange(null, null);
                    break;
                case < 650:
                    if (_snapshots.Count == 4)
                    {
                        _snapshots[0].Snapshot.Dispose();
                        _snapshots.RemoveAt(0);
                    }

                    _snapshots.Add((_db.GetSnapshot(), new Dictionary<byte[], byte[]>(_model, ByteArrayComparer.Instance)));
                    break;
                default:
                    if (roll < 760)
                    {
                        if (_snapshots.Count > 0 && _random.Next(3) == 0)
                        {
                            var (snapshot, state) = _snapshots[_random.Next(_snapshots.Count)];
                            Check(state, snapshot);
                        }
                        else
                        {
                            Check(_model, null);
                        }
                    }

                    break;
            }
        }

        private List<byte[]> RandomKeyList()
        {
            var count = _random.Next(10) == 0 ? _random.Next(100, 400) : _random.Next(0, 40);
            var keys = new List<byte[]>(count);
            for (var i = 0; i < count; i++)
            {
                var kind = _random.Next(20);
                keys.Add(kind switch
                {
                    0 => [], // before every key
                    1 => [(byte)'a'], // before the alphabet, which starts at 'b'
                    2 => [0xFF, 0xFF, 0xFF], // after every key
                    3 => [.. _alphabet[_random.Next(_alphabet.Length)], (byte)'z'], // between two keys, never written
                    4 when keys.Count > 0 => keys[_random.Next(keys.Count)], // the same array again
                    5 when keys.Count > 0 => [.. keys[_random.Next(keys.Count)]], // an equal copy
                    _ => _alphabet[_random.Next(_alphabet.Length)],
                });
            }

            switch (_random.Next(3))
            {
                case 0:
                    keys.Sort(ByteArrayComparer.Instance);
                    break;
                case 1:
                    // A sorted run of neighbours, as an index range yields them.
                    var start = _random.Next(_alphabet.Length);
                    keys = [.. _alphabet.Skip(start).Take(count)];
                    break;
                default:
                    break; // as generated: unsorted
            }

            return keys;
        }

        private void Check(Dictionary<byte[], byte[]> expected, Snapshot? snapshot)
        {
            _checks++;
            if (int.Parse(_db.GetProperty(LsmDatabase.Properties.NumFilesAtLevelPrefix + "0")!) > 0
                && Enumerable.Range(1, 6).Any(l => int.Parse(_db.GetProperty(LsmDatabase.Properties.NumFilesAtLevelPrefix + l) ?? "0") > 0))
            {
                _checksWithDeepLevels++;
            }

            var options = snapshot is null ? null : new ReadOptions { Snapshot = snapshot };
            var keys = RandomKeyList();
            var values = _db.MultiGet(keys, options);
            Assert.Equal(keys.Count, values.Length);
            var sink = new RecordingArraySink(keys.Count);
            var found = _db.MultiGet(keys, sink, options);
            var present = 0;
            for (var i = 0; i < keys.Count; i++)
            {
                var single = _db.Get(keys[i], options);
                var model = expected.GetValueOrDefault(keys[i]);
                var where = $"seed {seed} ({configuration}) check {_checks}, key {i} of {keys.Count} '{Convert.ToHexString(keys[i])}'";
                Assert.True(SameValue(model, single), $"{where}: Get disagrees with the model");
                Assert.True(SameValue(model, values[i]), $"{where}: MultiGet disagrees with the model and Get");
                Assert.True(SameValue(model, sink.Values[i]), $"{where}: the sink disagrees with the model");
                Assert.Equal(model is null ? 0 : 1, sink.Calls[i]);
                present += model is null ? 0 : 1;
            }

            Assert.Equal(present, found);
        }
    }

    private sealed class RecordingArraySink(int count) : IMultiGetSink
    {
        public byte[]?[] Values { get; } = new byte[]?[count];

        public int[] Calls { get; } = new int[count];

        public void Found(int index, ReadOnlySpan<byte> value)
        {
            Values[index] = value.ToArray();
            Calls[index]++;
        }
    }
}
