using EFCore.Lsm.Specification.Tests.TestUtilities;

namespace EFCore.Lsm.Specification.Tests.Northwind;

public static partial class NorthwindQueries
{
    /// <summary>GroupBy with several keys and aggregates; set operations over more shapes.</summary>
    public static IEnumerable<QueryCase> GroupByKeys()
    {
        const string F = "GroupBy";
        yield return Q(F, "three keys", s => O(s).GroupBy(o => new { o.CustomerID, o.EmployeeID, Heavy = o.Freight > 100 }).Select(g => new { g.Key.CustomerID, g.Key.EmployeeID, g.Key.Heavy, N = g.Count() }).ToList());
        yield return Q(F, "year and month keys", s => O(s).Where(o => o.OrderDate.HasValue).GroupBy(o => new { o.OrderDate!.Value.Year, o.OrderDate.Value.Month })
            .Select(g => new { g.Key.Year, g.Key.Month, Freight = g.Sum(o => o.Freight), Last = g.Max(o => o.OrderDate) }).ToList());
        yield return Q(F, "key of navigation and scalar", s => D(s).GroupBy(d => new { d.Product.Discontinued, d.OrderID }).Select(g => new { g.Key.Discontinued, g.Key.OrderID, Q = g.Sum(d => d.Quantity) }).ToList());
        yield return Q(F, "distinct count per composite key", s => D(s).GroupBy(d => new { d.Product.CategoryID, Big = d.Quantity > 30 }).Select(g => new { g.Key, Orders = g.Select(d => d.OrderID).Distinct().Count() }).ToList());
        yield return Q(F, "Min and Max of DateTime", s => O(s).Where(o => o.OrderDate != null).GroupBy(o => o.EmployeeID).Select(g => new { g.Key, First = g.Min(o => o.OrderDate), Last = g.Max(o => o.OrderDate) }).ToList());
        yield return Q(F, "conditional Sum", s => O(s).GroupBy(o => o.EmployeeID).Select(g => new { g.Key, Heavy = g.Sum(o => o.Freight > 100 ? o.Freight : 0), Light = g.Sum(o => o.Freight > 100 ? 0 : 1) }).ToList());
        yield return Q(F, "Where on key", s => O(s).GroupBy(o => o.EmployeeID).Where(g => g.Key > 4).Select(g => new { g.Key, N = g.Count() }).ToList());
        yield return Q(F, "ordered by Count then taken", s => D(s).GroupBy(d => d.ProductID).Select(g => new { g.Key, N = g.Count() }).OrderByDescending(x => x.N).ThenBy(x => x.Key).Take(3).ToList(), ordered: true);
        yield return Q(F, "nullable composite key", s => O(s).GroupBy(o => new { o.EmployeeID, HasDate = o.OrderDate != null }).Select(g => new { g.Key.EmployeeID, g.Key.HasDate, Avg = g.Average(o => o.Freight) }).ToList());
        yield return Q(F, "element selector then Max", s => D(s).GroupBy(d => d.OrderID, d => d.UnitPrice * d.Quantity).Select(g => new { g.Key, Largest = g.Max() }).ToList());
        yield return Q(F, "Average of nullable per key", s => P(s).GroupBy(p => p.CategoryID).Select(g => new { g.Key, Price = g.Average(p => p.UnitPrice), Stock = g.Average(p => p.UnitsInStock) }).ToList());
        yield return Q(F, "result selector with aggregates", s => D(s).GroupBy(d => d.ProductID, (key, lines) => new { key, Count = lines.Count(), Quantity = lines.Sum(l => l.Quantity), Cheapest = lines.Min(l => l.UnitPrice) }).ToList());
        yield return Q(F, "Count of groups with predicate", s => O(s).GroupBy(o => o.CustomerID).Count(g => g.Count() > 4));
        yield return Q(F, "group of SelectMany", s => C(s).SelectMany(c => c.Orders, (c, o) => new { c.Country, o.Freight }).GroupBy(x => x.Country).Select(g => new { g.Key, Freight = g.Sum(x => x.Freight) }).ToList());
        yield return Q(F, "key from string function", s => C(s).GroupBy(c => c.CompanyName.Substring(0, 1)).Select(g => new { g.Key, N = g.Count() }).ToList());
        yield return Q(F, "group ordered by key descending with several aggregates", s => D(s).GroupBy(d => d.Discount).OrderByDescending(g => g.Key)
            .Select(g => new { g.Key, N = g.Count(), Q = g.Sum(d => d.Quantity), Max = g.Max(d => d.UnitPrice) }).ToList(), ordered: true);
        yield return Q(F, "group then projection of key parts and LongCount", s => C(s).GroupBy(c => new { c.Country, c.Region }).Select(g => new { g.Key.Country, g.Key.Region, N = g.LongCount() }).ToList());
        yield return Q(F, "final GroupBy with composite key and element selector", s => O(s).GroupBy(o => new { o.EmployeeID, o.CustomerID }, o => o.Freight).ToList());
    }

    public static IEnumerable<QueryCase> SetOperationShapes()
    {
        const string F = "SetOperations";
        yield return Q(F, "Union then OrderBy entities", s => O(s).Where(o => o.OrderID < 10255).Union(O(s).Where(o => o.OrderID > 10320)).OrderBy(o => o.OrderID).ToList(), ordered: true);
        yield return Q(F, "Concat anonymous", s => C(s).Select(c => new { Name = c.City, Kind = "customer" }).Concat(E(s).Select(e => new { Name = e.City, Kind = "employee" })).ToList());
        yield return Q(F, "Except anonymous", s => O(s).Select(o => new { o.CustomerID, o.EmployeeID }).Except(O(s).Where(o => o.Freight > 50).Select(o => new { o.CustomerID, o.EmployeeID })).ToList());
        yield return Q(F, "Intersect with navigation filter", s => D(s).Where(d => d.Product.Discontinued).Select(d => d.OrderID).Intersect(O(s).Where(o => o.EmployeeID == 3).Select(o => o.OrderID)).ToList());
        yield return Q(F, "Union then Select", s => C(s).Where(c => c.Country == "UK").Union(C(s).Where(c => c.Country == "France")).Select(c => c.CompanyName).ToList());
        yield return Q(F, "Concat then Count", s => O(s).Where(o => o.EmployeeID == 4).Concat(O(s).Where(o => o.EmployeeID == 4)).Count());
        yield return Q(F, "Concat then Distinct entities", s => P(s).Where(p => p.Discontinued).Concat(P(s).Where(p => p.UnitsInStock < 40)).Distinct().ToList());
        yield return Q(F, "Except with empty", s => K(s).Except(K(s).Where(k => k.CategoryID < 0)).ToList());
        yield return Q(F, "Union of nullable decimals", s => P(s).Select(p => p.UnitPrice).Union(D(s).Select(d => (decimal?)d.UnitPrice)).ToList());
        yield return Q(F, "Intersect then OrderBy Take", s => O(s).Select(o => o.EmployeeID).Intersect(E(s).Where(e => e.City == "London").Select(e => (int?)e.EmployeeID)).OrderBy(x => x).Take(2).ToList(), ordered: true);
        yield return Q(F, "Union then GroupBy", s => O(s).Where(o => o.EmployeeID == 1).Union(O(s).Where(o => o.EmployeeID == 2)).GroupBy(o => o.EmployeeID).Select(g => new { g.Key, N = g.Count() }).ToList());
        yield return Q(F, "Concat then Sum", s => D(s).Where(d => d.OrderID < 10260).Select(d => d.Quantity).Concat(D(s).Where(d => d.OrderID > 10320).Select(d => d.Quantity)).Sum(q => q));
    }
}
