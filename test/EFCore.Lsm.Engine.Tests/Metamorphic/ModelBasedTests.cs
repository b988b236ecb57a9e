using System.Buffers;
using System.Text;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Tests.TestUtilities;
using Xunit.Abstractions;

namespace EFCore.Lsm.Engine.Tests.Metamorphic;

/// <summary>
/// Runs a long seeded sequence of random operations against the engine and a reference model (a sorted map, with
/// full copies for snapshots) and demands the same answer to every read. Flushes, close-and-reopen and simulated power
/// loss after synced writes happen at random points. A failing seed replays exactly: run <see cref="Replay"/> with it.
/// </summary>
public class ModelBasedTests(ITestOutputHelper output)
{
    public static TheoryData<int, string> Seeds() => new()
    {
        { 1, "small" },
        { 2, "default" },
        { 3, "small" },
        { 4, "nobloom" },
        { 5, "compacting" },
        { 6, "compacting" },
    };

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Engine_matches_model(int seed, string configuration)
        => new ModelRun(seed, configuration, operations: 100_000, output).Run();

    [Fact(Skip = "Set the seed and configuration of a failing run, then run this test to replay it.")]
    public void Replay() => new ModelRun(seed: 1, configuration: "small", operations: 100_000, output).Run();

    private sealed class ModelRun(int seed, string configuration, int operations, ITestOutputHelper output)
    {
        private const string DbPath = "/model-db";
        private readonly Random _random = new(seed);
        private readonly MemoryFileSystem _fs = new();
        private readonly SortedDictionary<byte[], byte[]> _model = new(ByteArrayComparer.Instance);
        private readonly List<(Snapshot Snapshot, SortedDictionary<byte[], byte[]> State)> _snapshots = [];
        private readonly byte[][] _keys = CreateKeyAlphabet(seed);
        private LsmDatabase _db = null!;
        private int _step;
        private string _lastOp = "";
        private bool _lastWriteSynced;
        private long _compactionsBeforeReopen;

        public void Run()
        {
            _fs.CreateDirectory(DbPath);
            _db = LsmDatabase.Open(DbPath, Options());
            try
            {
                for (_step = 0; _step < operations; _step++)
                {
                    Step();
                }

                Reopen(crash: false);
                CheckEverything(_model, null);
                if (configuration == "compacting")
                {
                    // The configuration exists to exercise compaction: make sure it did.
                    Assert.True(long.Parse(_db.GetProperty(LsmDatabase.Properties.CompactionCount)!) + _compactionsBeforeReopen > 10,
                        "expected many compactions");
                }
            }
            catch (Exception e) when (e is not ModelMismatchException)
            {
                throw new ModelMismatchException($"seed {seed} ({configuration}) step {_step} after '{_lastOp}': {e}");
            }
            finally
            {
                _db.Dispose();
            }

            output.WriteLine($"seed {seed} ({configuration}): {operations} operations, final {_db.LastSequence} sequences");
        }

        private LsmOptions Options() => configuration switch
        {
            "small" => new LsmOptions
            {
                FileSystem = _fs, WriteBufferSize = 256 * 1024, BlockSize = 256, BlockRestartInterval = 4, BlockCacheSize = 64 * 1024,
                MaxOpenFiles = 16,
            },
            // Tiny memtables, files and level targets so flushes and compactions into deep levels happen constantly,
            // while snapshots are held across them.
            "compacting" => new LsmOptions
            {
                FileSystem = _fs, WriteBufferSize = 64 * 1024, BlockSize = 512, TargetFileSize = 16 * 1024,
                MaxBytesForLevelBase = 64 * 1024, MaxBytesForLevelMultiplier = 4, Level0CompactionTrigger = 2,
                Level0SlowdownWritesTrigger = 4, Level0StopWritesTrigger = 6, MaxOpenFiles = 32,
            },
            "nobloom" => new LsmOptions { FileSystem = _fs, WriteBufferSize = 512 * 1024, BloomBitsPerKey = 0, BlockCacheSize = 0 },
            _ => new LsmOptions { FileSystem = _fs, WriteBufferSize = 1024 * 1024 },
        };

        private void Step()
        {
            var roll = _random.Next(1000);
            switch (roll)
            {
                case < 350:
                    Put();
                    break;
                case < 450:
                    Delete();
                    break;
                case < 520:
                    Batch();
                    break;
                case < 800:
                    Get(_model, null);
                    break;
                case < 860:
                    Iterate(_model, null);
                    break;
                case < 880:
                    TakeSnapshot();
                    break;
                case < 930:
                    ReadAtSnapshot();
                    break;
                case < 945:
                    ReleaseSnapshot();
                    break;
                case < 948:
                    _lastOp = "flush";
                    _db.Flush();
                    break;
                case < 950:
                    Reopen(crash: false);
                    break;
                case < 952 when _lastWriteSynced:
                    Reopen(crash: true);
                    break;
                default:
                    Get(_model, null);
                    break;
            }
        }

        private static byte[][] CreateKeyAlphabet(int seed)
        {
            var random = new Random(seed ^ 0x5eed);
            var keys = new HashSet<byte[]>(ByteArrayComparer.Instance) { Array.Empty<byte>() };
            while (keys.Count < 1500)
            {
                // Mix short keys, shared prefixes and binary bytes (0x00, 0xFF) so ordering edge cases come up.
                var kind = random.Next(3);
                var key = kind switch
                {
                    0 => Encoding.ASCII.GetBytes($"user/{random.Next(600):D4}"),
                    1 => Encoding.ASCII.GetBytes($"user/{random.Next(600):D4}/{random.Next(5)}"),
                    _ => RandomBytes(random, random.Next(1, 20)),
                };
                keys.Add(key);
            }

            return keys.ToArray();
        }

        private static byte[] RandomBytes(Random random, int length)
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            return bytes;
        }

        private byte[] RandomKey() => _keys[_random.Next(_keys.Length)];

        private byte[] RandomValue()
        {
            var length = _random.Next(50) == 0 ? _random.Next(1000, 6000) : _random.Next(0, 120);
            var value = RandomBytes(_random, length);
            return value;
        }

        private WriteOptions RandomWriteOptions()
        {
            var sync = _random.Next(4) == 0;
            _lastWriteSynced = sync;
            return new WriteOptions { Sync = sync };
        }

        private void Put()
        {
            var key = RandomKey();
            var value = RandomValue();
            _lastOp = $"put {Hex(key)}";
            _db.Put(key, value, RandomWriteOptions());
            _model[key] = value;
        }

        private void Delete()
        {
            var key = RandomKey();
            _lastOp = $"delete {Hex(key)}";
            _db.Delete(key, RandomWriteOptions());
            _model.Remove(key);
        }

        private void Batch()
        {
            var batch = new WriteBatch();
            var pending = new List<(byte[] Key, byte[]? Value)>();
            var count = _random.Next(1, 30);
            for (var i = 0; i < count; i++)
            {
                var key = RandomKey();
                if (_random.Next(4) == 0)
                {
                    batch.Delete(key);
                    pending.Add((key, null));
                }
                else
                {
                    var value = RandomValue();
                    batch.Put(key, value);
                    pending.Add((key, value));
                }
            }

            _lastOp = $"batch of {count}";
            _db.Write(batch, RandomWriteOptions());
            foreach (var (key, value) in pending)
            {
                if (value is null)
                {
                    _model.Remove(key);
                }
                else
                {
                    _model[key] = value;
                }
            }
        }

        private void Get(SortedDictionary<byte[], byte[]> model, Snapshot? snapshot)
        {
            var key = RandomKey();
            _lastOp = $"get {Hex(key)}" + (snapshot is null ? "" : $" at snapshot {snapshot.Sequence}");
            var options = snapshot is null ? null : new ReadOptions { Snapshot = snapshot };
            var actual = _db.Get(key, options);
            model.TryGetValue(key, out var expected);
            if (!ByteArrayComparer.Instance.Equals(expected, actual) || (expected is null) != (actual is null))
            {
                Fail($"get {Hex(key)}: expected {Describe(expected)}, got {Describe(actual)}");
            }

            var buffer = new ArrayBufferWriter<byte>();
            var found = _db.TryGet(key, buffer, options);
            if (found != (expected is not null) || (found && !buffer.WrittenSpan.SequenceEqual(expected)))
            {
                Fail($"TryGet {Hex(key)} disagrees with the model");
            }
        }

        private void Iterate(SortedDictionary<byte[], byte[]> model, Snapshot? snapshot)
        {
            byte[]? lower = _random.Next(3) == 0 ? RandomKey() : null;
            byte[]? upper = _random.Next(3) == 0 ? RandomKey() : null;
            var expected = model
                .Where(kv => (lower is null || ByteArrayComparer.Instance.Compare(kv.Key, lower) >= 0)
                             && (upper is null || ByteArrayComparer.Instance.Compare(kv.Key, upper) < 0))
                .ToArray();
            _lastOp = $"iterate [{(lower is null ? "-" : Hex(lower))}, {(upper is null ? "-" : Hex(upper))}) over {expected.Length}";
            using var iterator = _db.NewIterator(new ReadOptions { Snapshot = snapshot, LowerBound = lower, UpperBound = upper });

            var position = -1;
            var moves = _random.Next(5) == 0 ? expected.Length + 2 : _random.Next(1, 40);
            for (var move = 0; move < moves; move++)
            {
                var roll = _random.Next(10);
                if (position < 0 || position >= expected.Length || move == 0)
                {
                    roll = _random.Next(4) + 6; // reposition
                }

                string op;
                switch (roll)
                {
                    case < 3:
                        op = "next";
                        iterator.Next();
                        position++;
                        break;
                    case < 6:
                        op = "prev";
                        iterator.Prev();
                        position--;
                        break;
                    case 6:
                        op = "first";
                        iterator.SeekToFirst();
                        position = 0;
                        break;
                    case 7:
                        op = "last";
                        iterator.SeekToLast();
                        position = expected.Length - 1;
                        break;
                    case 8:
                    {
                        var target = RandomKey();
                        op = "seek " + Hex(target);
                        iterator.Seek(target);
                        position = Array.FindIndex(expected, kv => ByteArrayComparer.Instance.Compare(kv.Key, target) >= 0);
                        if (position < 0)
                        {
                            position = expected.Length;
                        }

                        break;
                    }

                    default:
                    {
                        var target = RandomKey();
                        op = "seekforprev " + Hex(target);
                        iterator.SeekForPrev(target);
                        position = Array.FindLastIndex(expected, kv => ByteArrayComparer.Instance.Compare(kv.Key, target) <= 0);
                        break;
                    }
                }

                var shouldBeValid = position >= 0 && position < expected.Length;
                if (iterator.Valid != shouldBeValid)
                {
                    Fail($"{_lastOp}: after {op} Valid={iterator.Valid}, expected {shouldBeValid}");
                }

                if (shouldBeValid
                    && (!iterator.Key.SequenceEqual(expected[position].Key) || !iterator.Value.SequenceEqual(expected[position].Value)))
                {
                    Fail($"{_lastOp}: after {op} at {Hex(iterator.Key.ToArray())}, expected {Hex(expected[position].Key)}");
                }

                if (!shouldBeValid)
                {
                    position = -1;
                }
            }
        }

        private void TakeSnapshot()
        {
            if (_snapshots.Count >= 8)
            {
                ReleaseSnapshot();
            }

            _lastOp = "snapshot";
            _snapshots.Add((_db.GetSnapshot(), new SortedDictionary<byte[], byte[]>(_model, ByteArrayComparer.Instance)));
        }

        private void ReadAtSnapshot()
        {
            if (_snapshots.Count == 0)
            {
                return;
            }

            var (snapshot, state) = _snapshots[_random.Next(_snapshots.Count)];
            if (_random.Next(3) == 0)
            {
                Iterate(state, snapshot);
            }
            else
            {
                Get(state, snapshot);
            }
        }

        private void ReleaseSnapshot()
        {
            if (_snapshots.Count == 0)
            {
                return;
            }

            var index = _random.Next(_snapshots.Count);
            _lastOp = "release snapshot";
            _snapshots[index].Snapshot.Dispose();
            _snapshots.RemoveAt(index);
        }

        private void Reopen(bool crash)
        {
            _lastOp = crash ? "crash and reopen" : "reopen";
            foreach (var (snapshot, _) in _snapshots)
            {
                snapshot.Dispose();
            }

            _snapshots.Clear();
            _compactionsBeforeReopen += long.Parse(_db.GetProperty(LsmDatabase.Properties.CompactionCount)!);
            _db.Dispose();
            if (crash)
            {
                // Power loss right after a synced write (closing syncs nothing): everything acknowledged before it must survive.
                _fs.SimulateCrash();
            }

            _db = LsmDatabase.Open(DbPath, Options());
            CheckEverything(_model, null);
        }

        private void CheckEverything(SortedDictionary<byte[], byte[]> model, Snapshot? snapshot)
        {
            using var iterator = _db.NewIterator(new ReadOptions { Snapshot = snapshot });
            iterator.SeekToFirst();
            foreach (var (key, value) in model)
            {
                if (!iterator.Valid || !iterator.Key.SequenceEqual(key) || !iterator.Value.SequenceEqual(value))
                {
                    Fail($"full scan: expected {Hex(key)}, got {(iterator.Valid ? Hex(iterator.Key.ToArray()) : "end")}");
                }

                iterator.Next();
            }

            if (iterator.Valid)
            {
                Fail($"full scan: unexpected extra key {Hex(iterator.Key.ToArray())}");
            }
        }

        private void Fail(string message)
            => throw new ModelMismatchException($"seed {seed} ({configuration}) step {_step}: {message}");

        private static string Hex(byte[] key) => key.Length == 0 ? "<empty>" : Convert.ToHexString(key);

        private static string Describe(byte[]? value) => value is null ? "<absent>" : $"{value.Length} bytes";
    }

    private sealed class ModelMismatchException(string message) : Exception(message);
}
