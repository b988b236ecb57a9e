using EFCore.Lsm.Specification.Tests.TestUtilities;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace EFCore.Lsm.Specification.Tests.Northwind;

/// <summary>
/// Every Northwind query runs on EFCore.Lsm and on its oracle (LINQ-to-objects over the seed, or EF InMemory with the same
/// seed), and again after the database is reopened (no-tracking then).
/// </summary>
public sealed class NorthwindCorpusTests(ITestOutputHelper output) : IDisposable
{
    private static readonly NorthwindData Data = new();
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    internal static bool IsEntity(Type type) => type.Namespace == typeof(Customer).Namespace && type.DeclaringType is null && !type.IsEnum;

    [Fact]
    public void Every_query_matches_its_oracle_and_again_after_reopening()
    {
        var path = _temp.Db();
        using (var seed = Lsm(path))
        {
            Data.Seed(seed);
            seed.SaveChanges();
        }

        var inMemoryName = "northwind-" + Guid.NewGuid().ToString("N");
        using (var seed = InMemory(inMemoryName))
        {
            Data.Seed(seed);
            seed.SaveChanges();
        }

        var cases = NorthwindQueries.All().ToList();
        var failures = CorpusRunner.Run(
            cases,
            () => Lsm(path),
            () => InMemory(inMemoryName),
            new ListSource(t => (IQueryable)typeof(NorthwindData).GetMethod(nameof(NorthwindData.Set))!.MakeGenericMethod(t).Invoke(Data, null)!),
            () => Assert.True(EFCore.Lsm.Storage.LsmStorePool.Close(path)),
            IsEntity);

        output.WriteLine($"{cases.Count} Northwind queries; by family: "
            + string.Join(", ", cases.GroupBy(c => c.Family).Select(g => $"{g.Key} {g.Count()}")));
        foreach (var failure in failures)
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count * 2} query runs failed:\n" + string.Join("\n", failures.Take(40)));
    }

    private static NorthwindContext Lsm(string path) => new(new DbContextOptionsBuilder<NorthwindContext>().UseLsm(path).Options);

    private static NorthwindContext InMemory(string name) => new(new DbContextOptionsBuilder<NorthwindContext>().UseInMemoryDatabase(name).Options);
}
