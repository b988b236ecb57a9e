using EFCore.Lsm.Specification.Tests.TestUtilities;

namespace EFCore.Lsm.Specification.Tests.Northwind;

public static partial class NorthwindQueries
{
    /// <summary>
    /// A query that must fail as it fails on EF InMemory: EF rewrites Single(predicate) and ElementAt into Where/Skip then
    /// Single/First, so its messages are the no-predicate ones ("Sequence contains no elements"), not LINQ-to-objects'.
    /// </summary>
    private static QueryCase Fails(string family, string name, Func<IQuerySource, object?> run) =>
        InMemory(family, name, s => Error(() => run(s)));

    /// <summary>Aggregates with selectors, and on empty sets: the errors EF raises.</summary>
    public static IEnumerable<QueryCase> AggregateSelectors()
    {
        const string F = "Aggregates";
        var employee = 3;
        yield return Fails(F, "Average on empty set fails", s => O(s).Where(o => o.OrderID < 0).Average(o => o.Freight));
        yield return Fails(F, "Min on empty set fails", s => O(s).Where(o => o.OrderID < 0).Min(o => o.OrderID));
        yield return Fails(F, "Max on empty set fails", s => D(s).Where(d => d.Quantity > 1000).Max(d => d.Quantity));
        yield return Fails(F, "First on empty set fails", s => O(s).Where(o => o.OrderID < 0).First());
        yield return Fails(F, "Single of many fails", s => O(s).Single(o => o.EmployeeID == 1));
        yield return Fails(F, "Single of none fails", s => C(s).Single(c => c.City == "Atlantis"));
        yield return Fails(F, "Last on empty set fails", s => O(s).OrderBy(o => o.OrderID).Last(o => o.OrderID < 0));

        // InMemory does not translate ElementAt; EF's relational providers run it as Skip then First, and fail as First does.
        yield return new QueryCase(F, "ElementAt past the end fails", s => Error(() => O(s).OrderBy(o => o.OrderID).ElementAt(1000)))
        {
            Oracle = Oracle.Explicit,
            Expected = s => Error(() => O(s).OrderBy(o => o.OrderID).Skip(1000).First()),
        };
        yield return Q(F, "Sum int on empty set", s => O(s).Where(o => o.OrderID < 0).Sum(o => o.OrderID));
        yield return Q(F, "Max nullable on empty set", s => O(s).Where(o => o.OrderID < 0).Max(o => o.OrderDate));
        yield return Q(F, "Average nullable on empty set", s => P(s).Where(p => p.ProductID < 0).Average(p => p.UnitPrice));
        yield return Q(F, "Average nullable on all-null set", s => P(s).Where(p => p.UnitPrice == null).Average(p => p.UnitPrice));
        yield return Q(F, "LongCount on empty set", s => D(s).LongCount(d => d.Quantity < 0));
        yield return Q(F, "All on empty set", s => O(s).Where(o => o.OrderID < 0).All(o => o.Freight > 1000));
        yield return Q(F, "Sum with conditional selector", s => O(s).Sum(o => o.EmployeeID == 1 ? o.Freight : 0));
        yield return Q(F, "Sum of nullable int", s => O(s).Sum(o => o.EmployeeID));
        yield return Q(F, "Sum of product of columns", s => D(s).Sum(d => d.Quantity * d.UnitPrice * (decimal)(1 - d.Discount)));
        yield return Q(F, "Average with cast selector", s => D(s).Average(d => (double)d.Quantity));
        yield return Q(F, "Max of string length", s => C(s).Max(c => c.CompanyName.Length));
        yield return Q(F, "Min of DateTime", s => O(s).Where(o => o.OrderDate != null).Min(o => o.OrderDate!.Value));
        yield return Q(F, "Count with nullable predicate", s => O(s).Count(o => o.EmployeeID > 5));
        yield return Q(F, "Count with parameter", s => O(s).Count(o => o.EmployeeID == employee));
        yield return Q(F, "Average of a subset", s => O(s).Where(o => o.EmployeeID == employee).Average(o => o.Freight));
        yield return Q(F, "Min of navigation value", s => D(s).Min(d => d.Product.UnitsInStock));
        yield return Q(F, "Max of correlated Sum", s => O(s).Max(o => o.OrderDetails.Sum(d => (int)d.Quantity)));
        yield return Q(F, "Any after Skip", s => O(s).OrderBy(o => o.OrderID).Skip(79).Any());
        yield return Q(F, "Any after Skip past the end", s => O(s).OrderBy(o => o.OrderID).Skip(80).Any());
        yield return Q(F, "Contains parameter", s => O(s).Select(o => o.EmployeeID).Contains(employee));
        yield return Q(F, "Count of distinct pairs", s => O(s).Select(o => new { o.CustomerID, o.EmployeeID }).Distinct().Count());
        yield return Q(F, "Sum of aggregate per row", s => C(s).Sum(c => c.Orders.Count(o => o.Freight > 100)));
    }
}
