using EFCore.Lsm.Specification.Tests.TestUtilities;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace EFCore.Lsm.Specification.Tests.Northwind;

/// <summary>
/// Query shapes this provider refuses, each with the error a user sees: an InvalidOperationException naming the operator
/// and saying what to do instead, never a different answer. Not counted in the corpora; the README's "Limitations" section
/// lists the same shapes.
/// </summary>
public sealed class NorthwindRefusedQueryTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>A refused query: the operator it is refused for, the query, and the parts its error message must contain.</summary>
    public sealed record RefusedCase(string Operator, Func<NorthwindContext, object?> Run, params string[] Message);

    /// <summary>EF's own error for an operator its query pipeline does not hand to a provider, with its workaround.</summary>
    private static RefusedCase NotTranslated(string name, Func<NorthwindContext, object?> run, string printed) =>
        new(name, run, printed, "could not be translated", "switch to client evaluation explicitly by inserting a call to 'AsEnumerable'");

    public static IEnumerable<RefusedCase> All()
    {
        // Refused by this provider, with its own reason and workaround.
        yield return new("Distinct over a collection projection", db => db.Customers.Select(c => new { c.CustomerID, Orders = c.Orders.Select(o => o.OrderID).ToList() }).Distinct().ToList(),
            "Distinct over a projection that contains a collection (a subquery) is not supported by EFCore.Lsm", "AsEnumerable()");
        yield return new("Union after a collection projection", db => db.Customers.Select(c => new { c.CustomerID, Orders = c.Orders.Select(o => o.OrderID).ToList() })
                .Union(db.Customers.Select(c => new { c.CustomerID, Orders = c.Orders.Select(o => o.OrderID).ToList() })).ToList(),
            "Union after a projection evaluated on the client is not supported by EFCore.Lsm", "apply the set operation to entities or to values");
        yield return new("SkipWhile", db => db.Orders.OrderBy(o => o.OrderID).SkipWhile(o => o.Freight < 100).ToList(),
            "SkipWhile is not supported by EFCore.Lsm; use Where, or run it on the client after AsEnumerable().");
        yield return new("TakeWhile", db => db.Orders.OrderBy(o => o.OrderID).TakeWhile(o => o.Freight < 100).ToList(),
            "TakeWhile is not supported by EFCore.Lsm; use Where, or run it on the client after AsEnumerable().");
        yield return new("DefaultIfEmpty with a default value", db => db.Orders.Where(o => o.OrderID < 0).Select(o => o.OrderID).DefaultIfEmpty(-1).ToList(),
            "DefaultIfEmpty with a default value is not supported by EFCore.Lsm; use DefaultIfEmpty() and replace null on the client.");
        yield return new("RightJoin", db => db.Customers.RightJoin(db.Orders, c => c.CustomerID, o => o.CustomerID, (c, o) => o.OrderID).ToList(),
            "RightJoin is not supported by EFCore.Lsm; swap the two sides and use LeftJoin.");
        yield return new("ExecuteUpdate with a value read through a navigation", db => db.Orders.Where(o => o.OrderID < 0)
                .ExecuteUpdate(u => u.SetProperty(o => o.Freight, o => o.Customer!.Orders.Count)),
            "ExecuteUpdate needs a query whose result is the entities of one stored entity type",
            "Here a navigation read in a value joins another entity type to the query: read the values in a query first, then run ExecuteUpdate with them per key");

        // Not handed to any provider by EF's query pipeline (EF's own error names the operator and the workaround).
        yield return NotTranslated("Select with an index", db => db.Customers.Select((c, i) => new { c.CustomerID, i }).ToList(), ".Select((c, i) =>");
        yield return NotTranslated("Where with an index", db => db.Customers.Where((c, i) => i % 2 == 0).ToList(), ".Where((c, i) =>");
        yield return NotTranslated("Aggregate", db => db.Customers.Select(c => c.City).Aggregate((a, b) => a + b), ".Aggregate(");
        yield return NotTranslated("Zip", db => db.Customers.Zip(db.Orders).ToList(), ".Zip(");
        yield return NotTranslated("MaxBy", db => db.Orders.MaxBy(o => o.Freight), ".MaxBy(");
        yield return NotTranslated("MinBy", db => db.Orders.MinBy(o => o.Freight), ".MinBy(");
        yield return NotTranslated("DistinctBy", db => db.Orders.DistinctBy(o => o.EmployeeID).ToList(), ".DistinctBy(");
        yield return NotTranslated("CountBy", db => db.Orders.CountBy(o => o.OrderID % 3).ToList(), ".CountBy(");
        yield return NotTranslated("Append", db => db.Orders.Select(o => o.OrderID).Append(1).ToList(), ".Append(");
        yield return NotTranslated("Prepend", db => db.Orders.Select(o => o.OrderID).Prepend(1).ToList(), ".Prepend(");
        yield return NotTranslated("Chunk", db => db.Orders.Chunk(10).ToList(), ".Chunk(");
        yield return NotTranslated("Index", db => db.Orders.Index().ToList(), ".Index()");
        yield return NotTranslated("SkipLast", db => db.Orders.OrderBy(o => o.OrderID).SkipLast(2).ToList(), ".SkipLast(");
        yield return NotTranslated("TakeLast", db => db.Orders.OrderBy(o => o.OrderID).TakeLast(2).ToList(), ".TakeLast(");
        yield return NotTranslated("SelectMany over the groups of a GroupBy", db => db.Orders.GroupBy(o => o.EmployeeID).SelectMany(g => g).ToList(), ".SelectMany(g => g)");
    }

    [Fact]
    public void Every_refused_shape_fails_naming_the_operator_and_the_workaround()
    {
        var path = _temp.Db();
        using (var seed = new NorthwindContext(new DbContextOptionsBuilder<NorthwindContext>().UseLsm(path).Options))
        {
            new NorthwindData().Seed(seed);
            seed.SaveChanges();
        }

        var failures = new List<string>();
        var cases = All().ToList();
        foreach (var refused in cases)
        {
            using var db = new NorthwindContext(new DbContextOptionsBuilder<NorthwindContext>().UseLsm(path).Options);
            try
            {
                var result = refused.Run(db);
                failures.Add($"{refused.Operator}: no error (answered {result})");
            }
            catch (InvalidOperationException e)
            {
                output.WriteLine($"{refused.Operator}: {e.Message.ReplaceLineEndings(" ")}");
                var missing = refused.Message.Where(part => !e.Message.Contains(part, StringComparison.Ordinal)).ToList();
                if (missing.Count > 0)
                {
                    failures.Add($"{refused.Operator}: the message lacks {string.Join(", ", missing.Select(m => $"'{m}'"))}: {e.Message}");
                }
            }
            catch (Exception e)
            {
                failures.Add($"{refused.Operator}: {e.GetType().Name} instead of InvalidOperationException: {e.Message}");
            }
        }

        output.WriteLine($"{cases.Count} refused shapes");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
