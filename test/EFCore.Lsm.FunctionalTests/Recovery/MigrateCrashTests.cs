using EFCore.Lsm.FunctionalTests.CrashWorker.Migrations;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Recovery;

/// <summary>
/// A child process runs <c>Database.Migrate()</c> (six migrations using every operation, up, and then down to nothing) and
/// is SIGKILLed at its k-th progress line, k chosen inside each operation in turn. Reopened, the database must be exactly as
/// before or after one of the migrations (schema and row bytes), never a mix; a second <c>Migrate()</c> then completes, and
/// leaves exactly what an uninterrupted run leaves.
/// </summary>
public sealed class MigrateCrashTests(Xunit.Abstractions.ITestOutputHelper output) : MigrateCrashScenario(output)
{
    protected override string WorkerMode => "migrate";

    protected override IReadOnlyList<string> MigrationIds => ThingsContext.MigrationIds;

    protected override DbContext Open(string path, Action<DbContextOptionsBuilder>? options = null) => new ThingsContext(path, options);

    [Fact]
    public void A_migration_killed_in_any_operation_reopens_old_or_new_and_then_completes() => Run(seed: 12);
}

/// <summary>
/// As <see cref="MigrateCrashTests"/>, for the column operations on members of owned references and complex values (five
/// migrations: AddColumn, RenameColumn, AlterColumn converting inside nested maps, DropColumn, up and then down to nothing).
/// </summary>
public sealed class OwnedMigrateCrashTests(Xunit.Abstractions.ITestOutputHelper output) : MigrateCrashScenario(output)
{
    protected override string WorkerMode => "migrate-shipments";

    protected override IReadOnlyList<string> MigrationIds => ShipmentsContext.MigrationIds;

    protected override DbContext Open(string path, Action<DbContextOptionsBuilder>? options = null) => new ShipmentsContext(path, options);

    [Fact]
    public void An_owned_or_complex_column_migration_killed_in_any_operation_reopens_old_or_new_and_then_completes() => Run(seed: 13);
}

/// <summary>
/// The crash scenario of a context's migrations: the crash worker (mode <see cref="WorkerMode"/>) runs them and is SIGKILLed
/// at its k-th progress line; the reopened database must equal a migration boundary, and a second <c>Migrate()</c> completes.
/// </summary>
public abstract class MigrateCrashScenario(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose()
    {
        _temp.Dispose();
        GC.SuppressFinalize(this);
    }

    protected abstract string WorkerMode { get; }

    protected abstract IReadOnlyList<string> MigrationIds { get; }

    protected abstract DbContext Open(string path, Action<DbContextOptionsBuilder>? options = null);

    protected void Run(int seed)
    {
        var reference = Reference();
        var random = new Random(seed);
        var rounds = 0;

        // CI: one kill inside every operation of the way up (each operation's progress lines are a range of k), and three at
        // random lines of the way down. The long form (LSM_MIGRATE_KILLS=n, see the README) kills inside every operation of
        // both ways and adds n random kills to each.
        var extra = int.TryParse(Environment.GetEnvironmentVariable("LSM_MIGRATE_KILLS"), out var n) && n > 0 ? n : 0;
        foreach (var (direction, lines) in new[] { ("up", reference.UpLines), ("down", reference.DownLines) })
        {
            var starts = OperationStarts(lines);
            var perOperation = starts.Select((start, i) => start + random.Next(0, (i + 1 < starts.Count ? starts[i + 1] : lines.Count) - start));
            var kills = (direction == "up" || extra > 0 ? perOperation : [])
                .Concat(Enumerable.Range(0, direction == "down" && extra == 0 ? 3 : extra).Select(_ => random.Next(0, lines.Count)))
                .ToList();
            foreach (var kill in kills)
            {
                var path = _temp.Db($"{direction}-{rounds++}");
                if (direction == "down")
                {
                    Migrate(path, target: null);
                }

                var target = direction == "up" ? null : Migration0;
                RunAndKill(path, target, kill + 1, random.Next(0, 10));
                var state = Dump(path, complete: false);
                Assert.True(
                    reference.States.Contains(state),
                    $"{direction}, killed at progress line {kill + 1} ({lines[kill]}): the database is neither before nor after a migration:\n{state}");

                var completed = Dump(path, complete: true, target);
                Assert.Equal(direction == "up" ? reference.States[^1] : reference.States[0], completed);
                Assert.Equal(direction == "up" ? reference.UpKeys : reference.DownKeys, KeyCount(path));
                EFCore.Lsm.Storage.LsmStorePool.Close(path);
            }
        }

        output.WriteLine($"{rounds} kills, {reference.UpLines.Count} progress lines up, {reference.DownLines.Count} down");
    }

    private const string Migration0 = Microsoft.EntityFrameworkCore.Migrations.Migration.InitialDatabase;

    private sealed record ReferenceRun(List<string> States, List<string> UpLines, List<string> DownLines, int UpKeys, int DownKeys);

    /// <summary>The states at every migration boundary (up and down), and the progress lines of an uninterrupted run.</summary>
    private ReferenceRun Reference()
    {
        var path = _temp.Db("reference");
        var states = new List<string> { Dump(path, complete: false) };
        foreach (var id in MigrationIds)
        {
            Migrate(path, id);
            states.Add(Dump(path, complete: false));
        }

        var upKeys = KeyCount(path);
        foreach (var id in MigrationIds.Reverse().Skip(1).Append(Migration0))
        {
            Migrate(path, id);
            states.Add(Dump(path, complete: false));
        }

        var downKeys = KeyCount(path);
        EFCore.Lsm.Storage.LsmStorePool.Close(path);
        var fresh = _temp.Db("reference-lines");
        var up = Migrate(fresh, null);
        var down = Migrate(fresh, Migration0);
        EFCore.Lsm.Storage.LsmStorePool.Close(fresh);

        // The last state is "after everything"; keep it last for the up direction, the empty one first for down.
        var final = states[MigrationIds.Count];
        states.Remove(final);
        states.Add(final);
        return new ReferenceRun(states, up, down, upKeys, downKeys);
    }

    /// <summary>The index of the first progress line of each operation (the line that names "k/n Operation").</summary>
    private static List<int> OperationStarts(List<string> lines) =>
        [.. lines.Select((l, i) => (l, i)).Where(x => System.Text.RegularExpressions.Regex.IsMatch(x.l, @": \d+/\d+ [A-Za-z]+( |$)") && !x.l.Contains(" rows", StringComparison.Ordinal)).Select(x => x.i)];

    private List<string> Migrate(string path, string? target)
    {
        var lines = new List<string>();
        using var context = Open(path, o => o.LogTo(
            (id, _) => id == EFCore.Lsm.Diagnostics.LsmEventId.MigrationOperationProgress, e => lines.Add(e.ToString())));
        context.Database.Migrate(target);
        return lines;
    }

    private string Dump(string path, bool complete, string? target = null)
    {
        using var context = Open(path);
        if (complete)
        {
            context.Database.Migrate(target);
        }

        var store = StoreDump.Store(context);
        return string.Join("\n", [.. StoreDump.Schema(store), .. StoreDump.Rows(context), .. context.Database.GetAppliedMigrations()]);
    }

    private int KeyCount(string path)
    {
        using var context = Open(path);
        return StoreDump.KeyCount(StoreDump.Store(context));
    }

    private void RunAndKill(string path, string? target, int progressLines, int pauseMs)
    {
        // The worker needs the folder: close the store this process keeps open after its contexts.
        Assert.True(EFCore.Lsm.Storage.LsmStorePool.Close(path));
        string[] arguments = target is null ? [WorkerMode, path] : [WorkerMode, path, target];
        using var worker = new CrashWorkerProcess("EFCore.Lsm.FunctionalTests.CrashWorker.dll", arguments);
        Assert.True(
            worker.WaitForLines(progressLines, TimeSpan.FromMinutes(5)),
            $"The crash worker did not report {progressLines} progress lines: {worker.Errors}");
        Thread.Sleep(pauseMs);
        worker.Kill(); // SIGKILL
        Assert.True(worker.Errors.Length == 0, $"The crash worker failed before it was killed: {worker.Errors}");
    }
}
