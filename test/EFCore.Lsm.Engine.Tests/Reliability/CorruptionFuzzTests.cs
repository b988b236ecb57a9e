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
/// <para>
/// Whole-file damage is swept exhaustively, not sampled (<see cref="Whole_file_damage_gives_the_written_data_or_a_typed_error"/>):
/// each file deleted, the manifest cut at every length, each file replaced by every older copy of itself, every pair of
/// tables swapped, a folder holding only CURRENT. These are what an operator or a restore does, and each once opened
/// "successfully" with data gone.
/// </para>
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
        foreach (var kind in new[] { "log", "sst", "MANIFEST", "CURRENT", "IDENTITY" })
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
        var kind = random.Next(5);
        var candidates = names.Where(n => kind switch
        {
            0 => n.EndsWith(".log", StringComparison.Ordinal),
            1 => n.EndsWith(".sst", StringComparison.Ordinal),
            2 => n.StartsWith("MANIFEST", StringComparison.Ordinal),
            3 => n == "IDENTITY",
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
        var files = new Dictionary<string, byte[]>(baseDb.Files, StringComparer.Ordinal) { [name] = damaged };
        return $"{KindOf(name)} {mutation.Split(' ')[0]} {OpenWithin(files, baseDb, mustHave, context)}";
    }

    [Fact]
    public void Whole_file_damage_gives_the_written_data_or_a_typed_error()
    {
        var db = Base.Value;
        var cases = WholeFileCases(db).ToList();
        var outcomes = new Dictionary<string, int>();
        Parallel.ForEach(cases, new ParallelOptions { MaxDegreeOfParallelism = 2 }, c =>
        {
            var outcome = $"{c.Operation} {OpenWithin(c.Files, db, c.MustHave, c.Context)}";
            lock (outcomes)
            {
                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            }
        });

        output.WriteLine($"{cases.Count} whole-file cases; files: {string.Join(", ", db.Files.Keys)}");
        foreach (var (outcome, count) in outcomes.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {outcome}: {count}");
        }

        // Losing any file but IDENTITY (a marker, rewritten on open) must be refused; so must every manifest that lost an
        // edit and every swap of two tables.
        foreach (var refused in new[] { "delete log", "delete sst", "delete MANIFEST", "delete CURRENT", "swap sst", "only CURRENT" })
        {
            Assert.True(outcomes.Keys.Any(o => o.StartsWith(refused + " ", StringComparison.Ordinal)), $"no case '{refused}'");
            Assert.False(outcomes.Keys.Any(o => o.StartsWith(refused + " ok", StringComparison.Ordinal)), $"a '{refused}' case opened");
        }

        Assert.True(outcomes.GetValueOrDefault("delete IDENTITY ok") == 1, "a database without IDENTITY opens (it predates the marker)");
        Assert.True(outcomes.Keys.Any(o => o.StartsWith("older MANIFEST", StringComparison.Ordinal)), "no older manifest was tried");
    }

    /// <summary>Every whole-file operation on the base database, with what must survive it.</summary>
    private static IEnumerable<WholeFileCase> WholeFileCases(BaseDatabase db)
    {
        Dictionary<string, byte[]> With(Action<Dictionary<string, byte[]>> change)
        {
            var files = new Dictionary<string, byte[]>(db.Files, StringComparer.Ordinal);
            change(files);
            return files;
        }

        foreach (var name in db.Files.Keys)
        {
            yield return new WholeFileCase($"delete {KindOf(name)}", $"{name} deleted", With(f => f.Remove(name)), db.LastOp);
        }

        var manifest = db.Files.Keys.Single(n => n.StartsWith("MANIFEST-", StringComparison.Ordinal));
        for (var length = 0; length < db.Files[manifest].Length; length++)
        {
            var cut = length;
            yield return new WholeFileCase(
                "truncate MANIFEST", $"{manifest} cut to {cut} bytes", With(f => f[manifest] = f[manifest][..cut]), db.LastOp);
        }

        foreach (var (name, older) in db.OlderCopies)
        {
            // A WAL only ever grows, so an older copy is a prefix of it: the one loss that is allowed, as for a torn tail.
            var mustHave = KindOf(name) == "log" ? db.LastOpEndingBy(older.Length) : db.LastOp;
            yield return new WholeFileCase(
                $"older {KindOf(name)}", $"{name} replaced by a {older.Length}-byte older copy", With(f => f[name] = older), mustHave);
        }

        var tables = db.Files.Keys.Where(n => n.EndsWith(".sst", StringComparison.Ordinal)).ToArray();
        for (var i = 0; i < tables.Length; i++)
        {
            for (var j = i + 1; j < tables.Length; j++)
            {
                var (a, b) = (tables[i], tables[j]);
                yield return new WholeFileCase("swap sst", $"{a} and {b} swapped", With(f => (f[a], f[b]) = (f[b], f[a])), db.LastOp);
            }
        }

        yield return new WholeFileCase(
            "only CURRENT", "a folder holding only CURRENT", new Dictionary<string, byte[]> { ["CURRENT"] = db.Files["CURRENT"] }, db.LastOp);
    }

    private static string KindOf(string name)
        => name.EndsWith(".log", StringComparison.Ordinal) ? "log"
            : name.EndsWith(".sst", StringComparison.Ordinal) ? "sst"
            : name.StartsWith("MANIFEST", StringComparison.Ordinal) ? "MANIFEST"
            : name;

    /// <summary>Writes <paramref name="files"/> into a fresh file system and opens and checks it, within the case timeout.</summary>
    private static string OpenWithin(Dictionary<string, byte[]> files, BaseDatabase baseDb, long mustHave, string context)
    {
        var fs = new MemoryFileSystem();
        fs.CreateDirectory(DbPath);
        foreach (var (name, bytes) in files)
        {
            fs.WriteAllBytes(Path.Combine(DbPath, name), bytes);
        }

        var task = Task.Run(() => OpenAndCheck(fs, baseDb, mustHave, context));
        if (!task.Wait(CaseTimeout))
        {
            throw new Xunit.Sdk.XunitException($"{context}: no answer within {CaseTimeout.TotalSeconds} s (a hang?)");
        }

        return task.Result;
    }

    private sealed record WholeFileCase(string Operation, string Context, Dictionary<string, byte[]> Files, long MustHave);

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

        /// <summary>Earlier contents of the final files, as they were at points while the database was written.</summary>
        public required List<(string Name, byte[] Bytes)> OlderCopies { get; init; }

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
            options.InlineBackgroundWork = true; // the same base database every run
            var counter = 0L;
            var history = new List<Dictionary<string, byte[]>>();
            void Remember() => history.Add(fs.ListFiles(DbPath).Where(n => n != "LOCK")
                .ToDictionary(n => n, n => fs.ReadAllBytes(Path.Combine(DbPath, n)), StringComparer.Ordinal));
            using (var db = LsmDatabase.Open(DbPath, options))
            {
                for (; counter < TableOps * 3 / 4; counter++)
                {
                    RandomWorkload.Apply(db, workload.Op(counter));
                    if (counter % 25 == 0)
                    {
                        Remember();
                    }
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
                    if (counter % 10 == 0)
                    {
                        Remember();
                    }
                }
            }

            var files = fs.ListFiles(DbPath).Where(n => n != "LOCK")
                .ToDictionary(n => n, n => fs.ReadAllBytes(Path.Combine(DbPath, n)), StringComparer.Ordinal);
            Assert.Single(files.Keys, n => n.EndsWith(".log", StringComparison.Ordinal));
            Assert.Contains("IDENTITY", files.Keys);
            Assert.True(files.Keys.Count(n => n.EndsWith(".sst", StringComparison.Ordinal)) >= 3, "the base database should have several tables");
            var older = history.SelectMany(h => h).Where(f => files.TryGetValue(f.Key, out var now) && !now.AsSpan().SequenceEqual(f.Value))
                .DistinctBy(f => (f.Key, Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(f.Value))))
                .Select(f => (f.Key, f.Value)).ToList();
            return new BaseDatabase { Files = files, Workload = workload, LastOp = counter - 1, WalRecordEnds = ends, OlderCopies = older };
        }
    }
}
