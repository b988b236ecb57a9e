using EFCore.Lsm.Specification.Tests.Inheritance;
using EFCore.Lsm.Specification.Tests.ManyToMany;
using EFCore.Lsm.Specification.Tests.Northwind;
using EFCore.Lsm.Specification.Tests.Owned;
using Xunit.Abstractions;

namespace EFCore.Lsm.Specification.Tests;

/// <summary>
/// The size of the specification corpora: every case of every corpus, counted by family. Each corpus's own test runs
/// its cases; a new corpus is one line in <see cref="Corpora"/>. Refused shapes (RefusedQueryTests) are not counted.
/// </summary>
public sealed class CorpusCountTests(ITestOutputHelper output)
{
    /// <summary>The least number of cases the corpora must hold together.</summary>
    private const int Required = 600;

    /// <summary>Each corpus with the families of its cases, one entry per case.</summary>
    private static readonly (string Corpus, Func<IEnumerable<string>> Families)[] Corpora =
    [
        ("Northwind", () => NorthwindQueries.All().Select(c => c.Family)),
        ("Inheritance", () => InheritanceQueries.All().Select(c => c.Family)),
        ("ManyToMany", () => ManyToManyQueries.All().Select(c => c.Family)),
        ("ManyToMany tracking", () => ManyToManyTracking.All().Select(_ => "ManyToMany Tracking")),
        ("Owned", () => OwnedQueries.All().Select(c => c.Family)),
    ];

    [Fact]
    public void The_corpora_hold_at_least_600_cases()
    {
        var families = Corpora.SelectMany(c => c.Families().Select(family => (c.Corpus, Family: family))).ToList();
        foreach (var corpus in families.GroupBy(f => f.Corpus))
        {
            output.WriteLine($"{corpus.Key}: {corpus.Count()} ("
                + string.Join(", ", corpus.GroupBy(f => f.Family).Select(g => $"{g.Key} {g.Count()}")) + ")");
        }

        output.WriteLine($"total: {families.Count}");
        Assert.True(families.Count >= Required, $"The specification corpora hold {families.Count} cases; at least {Required} are required.");
    }

    [Fact]
    public void Case_names_are_unique_within_each_family()
    {
        var names = NorthwindQueries.All().Concat(InheritanceQueries.All()).Concat(ManyToManyQueries.All()).Concat(OwnedQueries.All())
            .Select(c => c.ToString()).Concat(ManyToManyTracking.All().Select(c => "ManyToMany Tracking: " + c.Name)).ToList();
        var repeated = names.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(repeated.Count == 0, "Repeated case names: " + string.Join("; ", repeated));
    }
}
