using EFCore.Lsm.Specification.Tests.TestUtilities;

namespace EFCore.Lsm.Specification.Tests.Northwind;

public static partial class NorthwindQueries
{
    public static IEnumerable<QueryCase> GroupBy()
    {
        const string F = "GroupBy";
        var minimum = 3;
        yield return Q(F, "key and count", s => O(s).GroupBy(o => o.CustomerID).Select(g => new { g.Key, Count = g.Count() }).ToList());
        yield return Q(F, "key only", s => C(s).GroupBy(c => c.Country).Select(g => g.Key).ToList());
        yield return Q(F, "aggregates", s => O(s).GroupBy(o => o.EmployeeID).Select(g => new
        {
            g.Key, Count = g.Count(), Sum = g.Sum(o => o.Freight), Min = g.Min(o => o.Freight), Max = g.Max(o => o.Freight), Average = g.Average(o => o.Freight),
        }).ToList());
        yield return Q(F, "LongCount", s => D(s).GroupBy(d => d.ProductID).Select(g => new { g.Key, N = g.LongCount() }).ToList());
        yield return Q(F, "count with predicate", s => O(s).GroupBy(o => o.EmployeeID).Select(g => new { g.Key, Heavy = g.Count(o => o.Freight > 100) }).ToList());
        yield return Q(F, "composite key", s => C(s).GroupBy(c => new { c.Country, c.City }).Select(g => new { g.Key.Country, g.Key.City, N = g.Count() }).ToList());
        yield return Q(F, "composite key whole", s => C(s).GroupBy(c => new { c.Country, HasRegion = c.Region != null }).Select(g => new { g.Key, N = g.Count() }).ToList());
        yield return Q(F, "expression key", s => O(s).GroupBy(o => o.OrderID % 5).Select(g => new { g.Key, Total = g.Sum(o => o.Freight) }).ToList());
        yield return Q(F, "DateTime key", s => O(s).Where(o => o.OrderDate != null).GroupBy(o => o.OrderDate!.Value.Month).Select(g => new { Month = g.Key, N = g.Count() }).ToList());
        yield return Q(F, "element selector", s => O(s).GroupBy(o => o.EmployeeID, o => o.Freight).Select(g => new { g.Key, Sum = g.Sum() }).ToList());
        yield return Q(F, "element selector anonymous", s => D(s).GroupBy(d => d.OrderID, d => new { d.Quantity, d.UnitPrice }).Select(g => new { g.Key, Value = g.Sum(x => x.Quantity * x.UnitPrice) }).ToList());
        yield return Q(F, "result selector", s => O(s).GroupBy(o => o.CustomerID, (key, orders) => new { key, N = orders.Count() }).ToList());
        yield return Q(F, "having", s => O(s).GroupBy(o => o.CustomerID).Where(g => g.Count() > minimum).Select(g => g.Key).ToList());
        yield return Q(F, "having on sum", s => D(s).GroupBy(d => d.ProductID).Where(g => g.Sum(d => d.Quantity) > 200).Select(g => new { g.Key, Total = g.Sum(d => d.Quantity) }).ToList());
        yield return Q(F, "ordered by aggregate", s => O(s).GroupBy(o => o.EmployeeID).Select(g => new { g.Key, N = g.Count() }).OrderByDescending(x => x.N).ThenBy(x => x.Key).ToList(), ordered: true);
        yield return Q(F, "ordered by key", s => C(s).GroupBy(c => c.Country).OrderBy(g => g.Key).Select(g => new { g.Key, N = g.Count() }).ToList(), ordered: true);
        yield return Q(F, "take after group", s => O(s).GroupBy(o => o.EmployeeID).OrderBy(g => g.Key).Select(g => g.Key).Take(3).ToList(), ordered: true);
        yield return Q(F, "filter before group", s => O(s).Where(o => o.Freight > 20).GroupBy(o => o.CustomerID).Select(g => new { g.Key, Max = g.Max(o => o.OrderID) }).ToList());
        yield return InMemory(F, "navigation key", s => O(s).GroupBy(o => o.Customer!.Country).Select(g => new { g.Key, N = g.Count() }).ToList());
        yield return Q(F, "required navigation key", s => D(s).GroupBy(d => d.Product.CategoryID).Select(g => new { g.Key, Q = g.Sum(d => d.Quantity) }).ToList());
        yield return Q(F, "aggregate over navigation", s => D(s).GroupBy(d => d.OrderID).Select(g => new { g.Key, Stock = g.Sum(d => d.Product.UnitsInStock) }).ToList());
        yield return Q(F, "group of join", s => (from o in O(s) join d in D(s) on o.OrderID equals d.OrderID select new { o.EmployeeID, d.Quantity })
            .GroupBy(x => x.EmployeeID).Select(g => new { g.Key, Q = g.Sum(x => x.Quantity) }).ToList());
        yield return Q(F, "Distinct count in group", s => D(s).GroupBy(d => d.ProductID).Select(g => new { g.Key, Orders = g.Select(d => d.OrderID).Distinct().Count() }).ToList());
        yield return Q(F, "group Any and All", s => O(s).GroupBy(o => o.EmployeeID).Select(g => new { g.Key, Any = g.Any(o => o.Freight > 190), All = g.All(o => o.Freight > 5) }).ToList());
        yield return Q(F, "group elements collection", s => O(s).GroupBy(o => o.EmployeeID).Select(g => new { g.Key, Ids = g.Select(o => o.OrderID).ToList() }).ToList());
        yield return Q(F, "group First", s => O(s).GroupBy(o => o.EmployeeID).Select(g => new { g.Key, First = g.OrderBy(o => o.OrderID).Select(o => o.OrderID).First() }).ToList());
        yield return Q(F, "constant key", s => O(s).GroupBy(o => 1).Select(g => new { N = g.Count(), Sum = g.Sum(o => o.Freight) }).ToList());
        yield return Q(F, "group count of groups", s => O(s).GroupBy(o => o.CustomerID).Count());
        yield return Q(F, "aggregate of groups", s => O(s).GroupBy(o => o.CustomerID).Select(g => g.Count()).Max());
        yield return Q(F, "group by bool", s => P(s).GroupBy(p => p.Discontinued).Select(g => new { g.Key, Stock = g.Sum(p => p.UnitsInStock) }).ToList());
        yield return Q(F, "group by nullable with null key", s => P(s).GroupBy(p => p.CategoryID).Select(g => new { g.Key, N = g.Count() }).ToList());
        yield return Q(F, "group after select", s => C(s).Select(c => new { c.Country, Len = c.CompanyName.Length }).GroupBy(x => x.Country).Select(g => new { g.Key, Max = g.Max(x => x.Len) }).ToList());
        yield return Q(F, "group by string key min string", s => C(s).GroupBy(c => c.Country).Select(g => new { g.Key, First = g.Min(c => c.City) }).ToList());
        yield return Q(F, "nested aggregate in select", s => C(s).Select(c => new { c.CustomerID, Groups = c.Orders.GroupBy(o => o.EmployeeID).Count() }).ToList());
        yield return Q(F, "final GroupBy", s => O(s).GroupBy(o => o.EmployeeID).ToList());
        yield return Q(F, "final GroupBy with element selector", s => O(s).GroupBy(o => o.CustomerID, o => o.OrderID).ToList());
        yield return Q(F, "final GroupBy on composite key", s => C(s).GroupBy(c => new { c.Country, c.City }).ToList());
        yield return Q(F, "final GroupBy after filter", s => D(s).Where(d => d.Quantity > 30).GroupBy(d => d.ProductID, d => new { d.OrderID, d.Quantity }).ToList());
    }

    public static IEnumerable<QueryCase> SetOperations()
    {
        const string F = "SetOperations";
        yield return Q(F, "Union entities", s => C(s).Where(c => c.City == "London").Union(C(s).Where(c => c.Country == "Spain")).ToList());
        yield return Q(F, "Concat entities", s => C(s).Where(c => c.City == "London").Concat(C(s).Where(c => c.City == "London")).ToList());
        yield return Q(F, "Intersect entities", s => C(s).Where(c => c.Region == null).Intersect(C(s).Where(c => c.Country == "France")).ToList());
        yield return Q(F, "Except entities", s => C(s).Except(C(s).Where(c => c.Country == "Germany")).ToList());
        yield return Q(F, "Union scalars", s => C(s).Select(c => c.City).Union(E(s).Select(e => e.City)).ToList());
        yield return Q(F, "Concat scalars", s => C(s).Select(c => c.City).Concat(E(s).Select(e => e.City)).ToList());
        yield return Q(F, "Intersect scalars", s => C(s).Select(c => c.City).Intersect(E(s).Select(e => e.City)).ToList());
        yield return Q(F, "Except scalars", s => C(s).Select(c => c.Country).Except(C(s).Where(c => c.Region != null).Select(c => c.Country)).ToList());
        yield return Q(F, "Union anonymous", s => O(s).Where(o => o.EmployeeID == 1).Select(o => new { o.OrderID, o.Freight })
            .Union(O(s).Where(o => o.Freight > 180).Select(o => new { o.OrderID, o.Freight })).ToList());
        yield return Q(F, "Union then OrderBy Take", s => O(s).Where(o => o.EmployeeID == 1).Select(o => o.OrderID)
            .Union(O(s).Where(o => o.EmployeeID == 2).Select(o => o.OrderID)).OrderBy(x => x).Take(5).ToList(), ordered: true);
        yield return Q(F, "Union then Count", s => O(s).Where(o => o.EmployeeID == 1).Union(O(s).Where(o => o.Freight > 100)).Count());
        yield return Q(F, "Concat then Where", s => O(s).Where(o => o.EmployeeID == 1).Concat(O(s).Where(o => o.EmployeeID == 2)).Where(o => o.Freight > 50).Select(o => o.OrderID).ToList());
        yield return Q(F, "Union nullable and non-nullable", s => O(s).Select(o => o.EmployeeID).Union(E(s).Select(e => (int?)e.EmployeeID)).ToList());
        yield return Q(F, "Union of three", s => C(s).Where(c => c.Country == "UK").Select(c => c.CustomerID)
            .Union(C(s).Where(c => c.Country == "Spain").Select(c => c.CustomerID)).Union(C(s).Where(c => c.Country == "Mexico").Select(c => c.CustomerID)).ToList());
        yield return Q(F, "Except then Any", s => O(s).Select(o => o.CustomerID).Except(C(s).Select(c => (string?)c.CustomerID)).Any());
        yield return Q(F, "Union in subquery", s => C(s).Where(c => c.Orders.Select(o => o.EmployeeID).Union(E(s).Where(e => e.EmployeeID == 9).Select(e => (int?)e.EmployeeID)).Count() > 3).Select(c => c.CustomerID).ToList());
        yield return Q(F, "Union with navigation", s => O(s).Where(o => o.CustomerID == null).Select(o => o.OrderID).Union(D(s).Where(d => d.Product.Discontinued).Select(d => d.OrderID)).ToList());
        yield return Q(F, "Distinct after Concat", s => O(s).Select(o => o.EmployeeID).Concat(O(s).Select(o => o.EmployeeID)).Distinct().ToList());
    }
}
