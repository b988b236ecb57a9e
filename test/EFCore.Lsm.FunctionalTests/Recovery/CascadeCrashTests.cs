using System.Globalization;
using EFCore.Lsm.FunctionalTests.CrashWorker;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Storage.Internal;
using EFCore.Lsm.TestUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.FunctionalTests.Recovery;

/// <summary>
/// A child process runs saves that insert rows with unique and non-unique index entries, update indexed and unique
/// columns, and delete a principal whose untracked dependents cascade and whose grandchildren are set null
/// (<see cref="CascadeContext.Save"/>), and is SIGKILLed after the k-th acknowledged save. After every kill the reopened
/// database must be exactly the state after one save m, at least the last acknowledged one and at most the one in flight,
/// and every index entry, row and foreign key must agree.
/// </summary>
public sealed class CascadeCrashTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Saves_with_index_changes_and_cascades_survive_sigkill_whole()
    {
        var path = _temp.Db();
        var random = new Random(7);
        var last = -1;

        // CI: 12 kills; LSM_CASCADE_KILLS sets more (see the README's Reliability section).
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("LSM_CASCADE_KILLS"), out var n) && n > 0 ? n : 12;
        for (var round = 0; round < rounds; round++)
        {
            var acked = RunAndKill(path, last + 1, acksBeforeKill: random.Next(1, 10), pauseMs: random.Next(0, 15));
            var committed = Verify(path, round);
            Assert.True(committed >= acked.Max(), $"round {round}: acknowledged save {acked.Max()} was lost (found {committed})");
            Assert.True(committed <= acked.Max() + 1, $"round {round}: save {committed} was never started");
            last = committed;
        }

        output.WriteLine($"{rounds} kills survived, last save {last}");
    }

    private static int Verify(string path, int round)
    {
        try
        {
            using var context = new CascadeContext(path);
            var newest = context.Parents.AsNoTracking().Select(p => p.Id).AsEnumerable().DefaultIfEmpty(-1).Max();
            Assert.True(CascadeContext.Expected(newest) == context.Actual(), $"round {round}: not the state after save {newest}:\n{context.Actual()}");
            var database = (LsmDatabaseWrapper)context.GetService<IDatabase>();
            using var view = database.OpenView();
            Assert.Empty(LsmIntegrityVerifier.Verify(view, database.Store.GetMappings(context.Model, sync: false, register: true)));
            return newest;
        }
        finally
        {
            // The next worker process needs the folder.
            Assert.True(EFCore.Lsm.Storage.LsmStorePool.Close(path));
        }
    }

    private static List<int> RunAndKill(string path, int first, int acksBeforeKill, int pauseMs)
    {
        using var worker = new CrashWorkerProcess(
            "EFCore.Lsm.FunctionalTests.CrashWorker.dll", ["cascade", path, first.ToString(CultureInfo.InvariantCulture)]);

        // The kill point is chosen by progress: after the k-th acknowledged save, then a short pause so the kill also
        // lands inside a save.
        Assert.True(
            worker.WaitForLines(acksBeforeKill, TimeSpan.FromMinutes(5)),
            $"The crash worker did not acknowledge {acksBeforeKill} saves: {worker.Errors}");
        Thread.Sleep(pauseMs);
        var lines = worker.Kill();
        Assert.True(worker.Errors.Length == 0, $"The crash worker failed before it was killed: {worker.Errors}");
        return [.. lines.Where(l => l.StartsWith("ACK ", StringComparison.Ordinal)).Select(l => int.Parse(l.AsSpan(4), CultureInfo.InvariantCulture))];
    }
}
