using EFCore.Lsm.Specification.Tests.TestUtilities;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace EFCore.Lsm.Specification.Tests.Owned;

/// <summary>Every owned-types query runs on EFCore.Lsm and on LINQ-to-objects over the same seed, before and after reopening.</summary>
public sealed class OwnedCorpusTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    internal static bool IsEntity(Type type) => type.Namespace == typeof(Order).Namespace && type.DeclaringType is null;

    [Fact]
    public void Every_query_matches_its_oracle_and_again_after_reopening()
    {
        var path = _temp.Db();
        var data = new ShopData();
        using (var seed = Lsm(path))
        {
            data.Seed(seed);
        }

        var cases = OwnedQueries.All().ToList();
        var failures = CorpusRunner.Run(
            cases,
            () => Lsm(path),
            createInMemoryContext: null,
            new ListSource(t => (IQueryable)typeof(ShopData).GetMethod(nameof(ShopData.Set))!.MakeGenericMethod(t).Invoke(data, null)!),
            () => Assert.True(EFCore.Lsm.Storage.LsmStorePool.Close(path)),
            IsEntity);

        output.WriteLine($"{cases.Count} owned-type queries");
        failures.ForEach(output.WriteLine);
        Assert.True(cases.Count >= 60, $"{cases.Count} owned-type queries");
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count * 2} query runs failed:\n" + string.Join("\n", failures.Take(40)));
    }

    internal static ShopContext Lsm(string path) => new(new DbContextOptionsBuilder<ShopContext>().UseLsm(path).Options);
}
