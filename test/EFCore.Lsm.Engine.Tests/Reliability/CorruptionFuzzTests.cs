using System.Globalization;
using EFCore.Lsm.Engine.CrashWorker;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Tests.TestUtilities;
using Xunit.Abstractions;

namespace EFCore.Lsm.Engine.Tests.Reliability;

/// <summary>
/// Seeded corruption fuzzing: one database (tables on several levels, a manifest of two edits, CURRENT, and a WAL of 60
/// unflushed ops) is damaged one file at a time: bits flipped, a run of bytes overwritten, the file truncated, or
/// garbage appended. Opening it and reading everything must then either give exactly the written data, or throw
/// <see cref="LsmException"/> (usually <see cref="LsmCorruptionException"/>): never another exception type, never a hang,
/// never wrong data. The one legitimate loss is at the WAL's end: cut or damaged at op c's record, the database may come
/// back holding the ops before c (a torn tail), but never fewer and never with a hole.
/// </summary>
public class CorruptionFuzzTests(ITestOutputHelper output)
{
    private const string DbPath = "/fuzz-db";
    private const long Seed = 4242;
    private const int TableOps = 400;
    private const int WalOps = 60;
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(30);

    private static readonly Lazy<BaseDatabase> Base = new(BaseDatabase.Create);

    [Fact]
    public void Damaged_files_give_correct_data_or_LsmException() => Fuzz(cases: 10_000, firstSeed: 1);

    /// <summary>The long form: <c>LSM_CORRUPTION_CASES</c> cases (default 200,000).</summary>
    [LongFact]
    public void Damaged_files_give_correct_data_or_LsmException_long()
        => Fuzz(int.Parse(Environment.GetEnvironmentVariable("LSM_CORRUPTION_CASES") ?? "200000", CultureInfo.InvariantCulture),
            firstSeed: 1_000_000);

    private void Fuzz(int cases, int firstSeed)
    {
        var db = Base.Value;
        var outcomes = new Dictionary<string, int>();
        Parallel.For(0, cases, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            var outcome = RunCase(db, firstSeed + i);
            lock (outcomes)
            {
                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            }
        });

        output.WriteLine($"{cases} damaged databases; files: {string.Join(", ", db.Files.Keys)}");
        foreach (var (outcome, count) in outcomes.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {outcome}: {count}");
        }

        // The harness must actually reach both outcomes for every kind of file, or it tests less than it claims.
        foreach (var kind in new[] { "log", "sst", "MANIFEST", "CURRENT" })
        {
            Assert.True(outcomes.Keys.Any(o => o.StartsWith(kind + " ", StringComparison.Ordinal) && o.EndsWith("error", StringComparison.Ordinal)),
                $"no damaged {kind} file was detected");
        }
    }

    private static string RunCase(BaseDatabase baseDb, int seed)
    {
        var random = new Random(seed);
        var names = baseDb.Files.Keys.ToArray();

        // Weight the kinds, not the files: there are many tables but one of everything else.
        var kind = random.Next(4);
        var candidates = names.Where(n => kind switch
        {
            0 => n.EndsWith(".log", StringComparison.Ordinal),
            1 => n.EndsWith(".sst", StringComparison.Ordinal),
            2 => n.StartsWith("MANIFEST", StringComparison.Ordinal),
            _ => n == "CURRENT",
        }).ToArray();
        var name = candidates[random.Next(candidates.Length)];
        var original = baseDb.Files[name];
        var (damaged, mutation, firstDamagedOffset) = Mutate(original, random);

        // The WAL is the only file whose damage may legitimately lose data: the ops from the damaged record on.
        var mustHave = baseDb.LastOp;
        if (name.EndsWith(".log", StringComparison.Ordinal))
        {
            mustHave = baseDb.LastOpEndingBy(firstDamagedOffset);
        }

        var context = $"case {seed}: {mutation} of {name} ({original.Length} bytes)";
        var fs = new MemoryFileSystem();
        fs.CreateDirectory(DbPath);
        foreach (var (other, bytes) in baseDb.Files)
        {
            fs.WriteAllBytes(Path.Combine(DbPath, other), other == name ? damaged : bytes);
        }

        var task = Task.Run(() => OpenAndCheck(fs, baseDb, mustHave, context));
        if (!task.Wait(CaseTimeout))
        {
            throw new Xunit.Sdk.XunitException($"{context}: no answer within {CaseTimeout.TotalSeconds} s (a hang?)");
        }

        var fileKind = name.EndsWith(".log", StringComparison.Ordinal) ? "log"
            : name.EndsWith(".sst", StringComparison.Ordinal) ? "sst" : name.StartsWith('M') ? "MANIFEST" : "CURRENT";
        return $"{fileKind} {mutation.Split(' ')[0]} {task.Result}";
    }

    /// <summary>Returns "ok", "ok, torn" (lost a WAL tail) or "error".</summary>
    private static string OpenAndCheck(MemoryFileSystem fs, BaseDatabase baseDb, long mustHave, string context)
    {
        try
        {
            using var db = LsmDatabase.Open(DbPath, RandomWorkload.SmallOptions(fs));
            var state = new ExpectedState(baseDb.Workload);
            var k = state.Verify(db, mustHave, baseDb.LastOp, context);
            return k == baseDb.LastOp ? "ok" : "ok, torn";
        }
        catch (LsmException)
        {
            return "error";
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new Xunit.Sdk.XunitException($"{context}: {e.GetType().Name} instead of LsmException: {e}");
        }
    }

    private static (byte[] Bytes, string Description, long FirstDamagedOffset) Mutate(byte[] original, Random random)
    {
        var length = original.Length;
        switch (random.Next(4))
        {
            case 0 when length > 0:
            {
                var bytes = (byte[])original.Clone();
                var flips = random.Next(1, 4);
                var first = long.MaxValue;
                for (var i = 0; i < flips; i++)
                {
                    var at = random.Next(length);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    first = Math.Min(first, at);
                }

                return (bytes, $"flip {flips} bit(s) from {first}", first);
            }

            case 1 when length > 0:
            {
                var bytes = (byte[])original.Clone();
                var at = random.Next(length);
                var run = Math.Min(length - at, random.Next(1, 17));
                random.NextBytes(bytes.AsSpan(at, run));
                return (bytes, $"overwrite {run} byte(s) at {at}", at);
            }

            case 2 when length > 0:
            {
                var keep = random.Next(length);
                return (original.AsSpan(0, keep).ToArray(), $"truncate to {keep}", keep);
            }

            default:
            {
                var extra = new byte[random.Next(1, 101)];
                if (random.Next(3) > 0)
                {
                    random.NextBytes(extra);
                }

                return ([.. original, .. extra], $"append {extra.Length} byte(s)", length);
            }
        }
    }

    /// <summary>The undamaged database's files, and where each WAL op's record ends.</summary>
    private sealed class BaseDatabase
    {
        public required Dictionary<string, byte[]> Files { get; init; }

        public required RandomWorkload Workload { get; init; }

        public required long LastOp { get; init; }

        /// <summary>(WAL length after the op, op) for the ops only in the WAL.</summary>
        public required List<(long End, long Op)> WalRecordEnds { get; init; }

        /// <summary>The newest op whose WAL record lies wholly before <paramref name="offset"/>: what must survive damage there.</summary>
        public long LastOpEndingBy(long offset)
        {
            var op = TableOps - 1;
            foreach (var (end, counter) in WalRecordEnds)
            {
                if (end <= offset)
                {
                    op = (int)counter;
                }
            }

            return op;
        }

        public static BaseDatabase Create()
        {
            var fs = new MemoryFileSystem();
            fs.CreateDirectory(DbPath);
            var workload = new RandomWorkload(Seed);
            var options = RandomWorkload.SmallOptions(fs);
            var counter = 0L;
            using (var db = LsmDatabase.Open(DbPath, options))
            {
                for (; counter < TableOps * 3 / 4; counter++)
                {
                    RandomWorkload.Apply(db, workload.Op(counter));
                }

                db.CompactRange(null, null);
                for (; counter < TableOps; counter++)
                {
                    RandomWorkload.Apply(db, workload.Op(counter));
                }

                db.Flush();
                db.WaitForCompactions();
            }

            var ends = new List<(long, long)>();
            using (var db = LsmDatabase.Open(DbPath, options))
            {
                var wal = Path.Combine(DbPath, fs.ListFiles(DbPath).Single(n => n.EndsWith(".log", StringComparison.Ordinal)));
                for (; counter < TableOps + WalOps; counter++)
                {
                    RandomWorkload.Apply(db, workload.Op(counter));
                    ends.Add((fs.GetFileSize(wal), counter));
                }
            }

            var files = fs.ListFiles(DbPath).Where(n => n != "LOCK")
                .ToDictionary(n => n, n => fs.ReadAllBytes(Path.Combine(DbPath, n)), StringComparer.Ordinal);
            Assert.Single(files.Keys, n => n.EndsWith(".log", StringComparison.Ordinal));
            Assert.True(files.Keys.Count(n => n.EndsWith(".sst", StringComparison.Ordinal)) >= 3, "the base database should have several tables");
            return new BaseDatabase { Files = files, Workload = workload, LastOp = counter - 1, WalRecordEnds = ends };
        }
    }
}
