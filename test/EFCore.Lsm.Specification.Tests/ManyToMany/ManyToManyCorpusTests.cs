using EFCore.Lsm.Specification.Tests.TestUtilities;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace EFCore.Lsm.Specification.Tests.ManyToMany;

/// <summary>
/// Every many-to-many query runs on EFCore.Lsm and on its oracle (LINQ-to-objects over the seed, or an explicit
/// expected query), and again after the database is reopened (no-tracking then); every tracking case changes links on a
/// fresh database and on EF InMemory and must read back the same, before and after reopening.
/// </summary>
public sealed class ManyToManyCorpusTests(ITestOutputHelper output) : IDisposable
{
    private static readonly SchoolData Data = new();
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    internal static bool IsEntity(Type type) => type.Namespace == typeof(Post).Namespace && type.DeclaringType is null && !type.IsEnum;

    [Fact]
    public void Every_query_matches_its_oracle_and_again_after_reopening()
    {
        var path = _temp.Db();
        using (var seed = Lsm(path))
        {
            Data.Seed(seed);
        }

        var inMemoryName = "school-" + Guid.NewGuid().ToString("N");
        using (var seed = InMemory(inMemoryName))
        {
            Data.Seed(seed);
        }

        var cases = ManyToManyQueries.All().ToList();
        var failures = CorpusRunner.Run(
            cases,
            () => Lsm(path),
            () => InMemory(inMemoryName),
            new ListSource(t => (IQueryable)typeof(SchoolData).GetMethod(nameof(SchoolData.Set))!.MakeGenericMethod(t).Invoke(Data, null)!),
            () => Assert.True(EFCore.Lsm.Storage.LsmStorePool.Close(path)),
            IsEntity);

        output.WriteLine($"{cases.Count} many-to-many queries; by family: "
            + string.Join(", ", cases.GroupBy(c => c.Family).Select(g => $"{g.Key} {g.Count()}")));
        failures.ForEach(output.WriteLine);
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count * 2} query runs failed:\n" + string.Join("\n", failures.Take(40)));
    }

    [Fact]
    public void Every_change_of_links_reads_back_as_on_InMemory_and_again_after_reopening()
    {
        var cases = ManyToManyTracking.All().ToList();
        var failures = new List<string>();
        foreach (var trackingCase in cases)
        {
            var inMemoryName = "school-" + Guid.NewGuid().ToString("N");
            string want;
            try
            {
                want = Run(trackingCase, () => InMemory(inMemoryName));
            }
            catch (Exception e)
            {
                failures.Add($"{trackingCase.Name}: the oracle failed: {e.GetType().Name}: {e.Message}");
                continue;
            }

            var path = _temp.Db("tracking-" + cases.IndexOf(trackingCase));
            try
            {
                var got = Run(trackingCase, () => Lsm(path));
                Assert.True(EFCore.Lsm.Storage.LsmStorePool.Close(path));
                using var reopened = Lsm(path);
                reopened.ChangeTracker.QueryTrackingBehavior = QueryTrackingBehavior.NoTracking;
                var afterReopening = Describe(trackingCase, trackingCase.Query(reopened));
                if (got != want)
                {
                    failures.Add($"{trackingCase.Name}\n  expected {want}\n  actual   {got}");
                }
                else if (afterReopening != want)
                {
                    failures.Add($"{trackingCase.Name} after reopening\n  expected {want}\n  actual   {afterReopening}");
                }
            }
            catch (Exception e)
            {
                failures.Add($"{trackingCase.Name}: {e.GetType().Name}: {e.Message}");
            }
        }

        output.WriteLine($"{cases.Count} many-to-many tracking cases");
        failures.ForEach(output.WriteLine);
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} tracking cases failed:\n" + string.Join("\n", failures));
    }

    /// <summary>Seeds a fresh database, applies the change in one tracking context and saves, then queries in a new context.</summary>
    private static string Run(TrackingCase trackingCase, Func<SchoolContext> create)
    {
        using (var seed = create())
        {
            Data.Seed(seed);
        }

        using (var change = create())
        {
            trackingCase.Change(change);
            change.SaveChanges();
        }

        using var read = create();
        return Describe(trackingCase, trackingCase.Query(read));
    }

    private static string Describe(TrackingCase trackingCase, object? result) =>
        ResultDescriber.Describe(result, ordered: false, trackingCase.Navigations, IsEntity);

    internal static SchoolContext Lsm(string path) => new(new DbContextOptionsBuilder<SchoolContext>().UseLsm(path).Options);

    internal static SchoolContext InMemory(string name) => new(new DbContextOptionsBuilder<SchoolContext>().UseInMemoryDatabase(name).Options);
}
