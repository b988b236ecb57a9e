using EFCore.Lsm.Specification.Tests.TestUtilities;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace EFCore.Lsm.Specification.Tests.Inheritance;

/// <summary>Every inheritance query runs on EFCore.Lsm and on LINQ-to-objects over the same seed, before and after reopening.</summary>
public sealed class InheritanceCorpusTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    internal static bool IsEntity(Type type) => type.Namespace == typeof(Animal).Namespace && !type.IsEnum && type.DeclaringType is null;

    [Fact]
    public void Every_query_matches_its_oracle_and_again_after_reopening()
    {
        var path = _temp.Db();
        var data = new ZooData();
        using (var seed = Lsm(path))
        {
            data.Seed(seed);
        }

        var cases = InheritanceQueries.All().ToList();
        var failures = CorpusRunner.Run(
            cases,
            () => Lsm(path),
            createInMemoryContext: null,
            new ListSource(t => (IQueryable)typeof(ZooData).GetMethod(nameof(ZooData.Set))!.MakeGenericMethod(t).Invoke(data, null)!),
            () => Assert.True(EFCore.Lsm.Storage.LsmStorePool.Close(path)),
            IsEntity);

        output.WriteLine($"{cases.Count} inheritance queries");
        failures.ForEach(output.WriteLine);
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count * 2} query runs failed:\n" + string.Join("\n", failures.Take(40)));
    }

    internal static ZooContext Lsm(string path) => new(new DbContextOptionsBuilder<ZooContext>().UseLsm(path).Options);
}
