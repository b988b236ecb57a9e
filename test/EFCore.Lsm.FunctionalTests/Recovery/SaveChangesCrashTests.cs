using System.Globalization;
using EFCore.Lsm.FunctionalTests.CrashWorker;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Recovery;

/// <summary>
/// A child process calls SaveChanges in a loop and is SIGKILLed at random moments; after every kill the database is
/// reopened through EF and every acknowledged save must be there whole, no save partially, with no holes.
/// </summary>
public sealed class SaveChangesCrashTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const int RowsPerSave = 8;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Every_acknowledged_SaveChanges_survives_sigkill_whole()
    {
        var path = _temp.Db();
        var random = new Random(4);
        var acknowledged = new SortedSet<int>();
        var next = 0;

        // CI: 20 kills; the long form sets LSM_SAVECHANGES_KILLS (see the README's Reliability section).
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("LSM_SAVECHANGES_KILLS"), out var n) && n > 0 ? n : 20;
        for (var round = 0; round < rounds; round++)
        {
            // The kill point is chosen by progress: after the k-th acknowledged save, then a short random pause so the
            // kill also lands inside a save (a busy machine reaches the same k, only later).
            acknowledged.UnionWith(RunAndKill(path, next, acksBeforeKill: random.Next(1, 12), pauseMs: random.Next(0, 15)));
            next = Verify(path, acknowledged, round) + 1;
        }

        Assert.True(acknowledged.Count >= rounds, $"only {acknowledged.Count} saves were acknowledged in {rounds} runs");
        output.WriteLine($"{rounds} kills survived, {acknowledged.Count} acknowledged saves, next save {next}");
    }

    private static int Verify(string path, SortedSet<int> acknowledged, int round)
    {
        try
        {
            return VerifyOpen(path, acknowledged, round);
        }
        finally
        {
            // The next worker process needs the folder: close the store this process keeps open after its contexts.
            Assert.True(EFCore.Lsm.Storage.LsmStorePool.Close(path));
        }
    }

    private static int VerifyOpen(string path, SortedSet<int> acknowledged, int round)
    {
        using var context = new LedgerContext(path);
        var counts = context.Entries.AsNoTracking()
            .Select(e => new { e.Save, e.Index, e.Payload })
            .AsEnumerable()
            .GroupBy(e => e.Save)
            .ToDictionary(g => g.Key, g => g.ToList());
        foreach (var (save, entries) in counts)
        {
            Assert.True(entries.Count == RowsPerSave, $"round {round}: save {save} is partially visible ({entries.Count} of {RowsPerSave} rows)");
            Assert.All(entries, e => Assert.StartsWith($"{save}:{e.Index}:", e.Payload));
        }

        foreach (var save in acknowledged)
        {
            Assert.True(counts.ContainsKey(save), $"round {round}: acknowledged save {save} was lost");
        }

        var newest = counts.Count == 0 ? -1 : counts.Keys.Max();
        Assert.Equal(newest + 1, counts.Count); // a prefix of the saves, no holes
        var counter = context.Counters.AsNoTracking().SingleOrDefault(c => c.Id == 1);
        Assert.Equal(newest, counter?.LastSave ?? -1); // the counter row was in the same atomic batch
        return newest;
    }

    private static List<int> RunAndKill(string path, int first, int acksBeforeKill, int pauseMs)
    {
        using var worker = new CrashWorkerProcess(
            "EFCore.Lsm.FunctionalTests.CrashWorker.dll",
            [path, first.ToString(CultureInfo.InvariantCulture), RowsPerSave.ToString(CultureInfo.InvariantCulture)]);
        Assert.True(
            worker.WaitForLines(acksBeforeKill, TimeSpan.FromMinutes(5)),
            $"The crash worker did not acknowledge {acksBeforeKill} saves: {worker.Errors}");
        Thread.Sleep(pauseMs);
        var lines = worker.Kill(); // SIGKILL
        Assert.True(worker.Errors.Length == 0, $"The crash worker failed before it was killed: {worker.Errors}");
        return [.. lines.Where(l => l.StartsWith("ACK ", StringComparison.Ordinal)).Select(l => int.Parse(l.AsSpan(4), CultureInfo.InvariantCulture))];
    }
}
