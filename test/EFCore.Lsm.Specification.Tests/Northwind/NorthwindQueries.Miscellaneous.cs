using EFCore.Lsm.Specification.Tests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Specification.Tests.Northwind;

public static partial class NorthwindQueries
{
    public static IEnumerable<QueryCase> Miscellaneous()
    {
        const string F = "Miscellaneous";
        var take = 7;
        var skip = 3;
        yield return Q(F, "OrderBy key", s => C(s).OrderBy(c => c.CustomerID).ToList(), ordered: true);
        yield return Q(F, "OrderByDescending key", s => O(s).OrderByDescending(o => o.OrderID).ToList(), ordered: true);
        yield return Q(F, "OrderBy string by code point", s => C(s).OrderBy(c => c.City).ThenBy(c => c.CustomerID).Select(c => c.City).ToList(), ordered: true);
        yield return Q(F, "OrderByDescending string", s => C(s).OrderByDescending(c => c.CompanyName).Select(c => c.CompanyName).ToList(), ordered: true);
        yield return Q(F, "OrderBy then ThenByDescending", s => O(s).OrderBy(o => o.EmployeeID).ThenByDescending(o => o.Freight).Select(o => o.OrderID).ToList(), ordered: true);
        yield return Q(F, "OrderBy nullable", s => P(s).OrderBy(p => p.UnitPrice).ThenBy(p => p.ProductID).Select(p => p.ProductID).ToList(), ordered: true);
        yield return Q(F, "OrderBy DateTime", s => O(s).OrderBy(o => o.OrderDate).ThenBy(o => o.OrderID).Select(o => o.OrderID).ToList(), ordered: true);
        yield return Q(F, "OrderBy bool", s => P(s).OrderBy(p => p.Discontinued).ThenBy(p => p.ProductName).Select(p => p.ProductName).ToList(), ordered: true);
        yield return Q(F, "OrderBy expression", s => O(s).OrderBy(o => o.OrderID % 10).ThenBy(o => o.OrderID).Select(o => o.OrderID).ToList(), ordered: true);
        yield return Q(F, "OrderBy conditional", s => C(s).OrderBy(c => c.Region == null ? 1 : 0).ThenBy(c => c.CustomerID).Select(c => c.CustomerID).ToList(), ordered: true);
        yield return InMemory(F, "OrderBy navigation", s => O(s).OrderBy(o => o.Customer!.City).ThenBy(o => o.OrderID).Select(o => o.OrderID).ToList(), ordered: true);
        yield return Q(F, "OrderBy collection count", s => C(s).OrderByDescending(c => c.Orders.Count).ThenBy(c => c.CustomerID).Select(c => c.CustomerID).ToList(), ordered: true);
        yield return Q(F, "OrderBy after Select", s => C(s).Select(c => new { c.CustomerID, c.Country }).OrderBy(x => x.Country).ThenBy(x => x.CustomerID).ToList(), ordered: true);
        yield return Q(F, "OrderBy composite key", s => D(s).OrderBy(d => d.OrderID).ThenBy(d => d.ProductID).Select(d => d.Quantity).ToList(), ordered: true);
        yield return Q(F, "OrderBy composite key descending", s => D(s).OrderByDescending(d => d.OrderID).ThenByDescending(d => d.ProductID).Select(d => d.Quantity).ToList(), ordered: true);
        yield return Q(F, "Take", s => O(s).OrderBy(o => o.OrderID).Take(5).ToList(), ordered: true);
        yield return Q(F, "Take parameter", s => O(s).OrderBy(o => o.OrderID).Take(take).Select(o => o.OrderID).ToList(), ordered: true);
        yield return Q(F, "Take zero", s => O(s).Take(0).ToList());
        yield return Q(F, "Skip", s => O(s).OrderBy(o => o.OrderID).Skip(75).ToList(), ordered: true);
        yield return Q(F, "Skip Take", s => O(s).OrderBy(o => o.OrderID).Skip(skip).Take(take).Select(o => o.OrderID).ToList(), ordered: true);
        yield return Q(F, "Skip Take on range", s => O(s).Where(o => o.OrderID > 10260).OrderBy(o => o.OrderID).Skip(2).Take(3).Select(o => o.OrderID).ToList(), ordered: true);
        yield return Q(F, "Take Skip", s => O(s).OrderBy(o => o.OrderID).Take(10).Skip(8).Select(o => o.OrderID).ToList(), ordered: true);
        yield return Q(F, "Skip past end", s => O(s).OrderBy(o => o.OrderID).Skip(1000).ToList());
        yield return Q(F, "Take after filter", s => O(s).Where(o => o.Freight > 50).OrderBy(o => o.OrderID).Take(4).Select(o => o.OrderID).ToList(), ordered: true);
        yield return Q(F, "Take descending", s => O(s).OrderByDescending(o => o.OrderID).Take(3).Select(o => o.OrderID).ToList(), ordered: true);
        yield return Q(F, "Take by value", s => O(s).OrderBy(o => o.Freight).ThenBy(o => o.OrderID).Take(3).Select(o => o.OrderID).ToList(), ordered: true);
        yield return Q(F, "Distinct scalars", s => C(s).Select(c => c.Country).Distinct().ToList());
        yield return Q(F, "Distinct anonymous", s => C(s).Select(c => new { c.City, c.Country }).Distinct().ToList());
        yield return Q(F, "Distinct entities", s => O(s).Where(o => o.CustomerID != null).Select(o => o.Customer).Distinct().ToList());
        yield return Q(F, "Distinct then OrderBy", s => O(s).Select(o => o.EmployeeID).Distinct().OrderBy(e => e).ToList(), ordered: true);
        yield return Q(F, "Distinct then Take", s => O(s).OrderBy(o => o.EmployeeID).Select(o => o.EmployeeID).Distinct().Count());
        yield return Q(F, "Reverse", s => O(s).OrderBy(o => o.OrderID).Select(o => o.OrderID).Reverse().ToList(), ordered: true);
        yield return Q(F, "Cast entities", s => O(s).Where(o => o.EmployeeID == 1).Cast<object>().ToList());
        yield return Q(F, "OfType same type", s => O(s).OfType<Order>().Select(o => o.OrderID).ToList());
        yield return Q(F, "Where Select OrderBy Take", s => O(s).Where(o => o.EmployeeID == 3).Select(o => new { o.OrderID, o.Freight }).OrderByDescending(x => x.Freight).Take(2).ToList(), ordered: true);
        yield return Q(F, "AsNoTracking", s => s.IsDatabase ? C(s).AsNoTracking().Where(c => c.Country == "UK").ToList() : C(s).Where(c => c.Country == "UK").ToList());
        yield return Q(F, "AsNoTrackingWithIdentityResolution", s => s.IsDatabase ? O(s).AsNoTrackingWithIdentityResolution().Where(o => o.EmployeeID == 4).ToList() : O(s).Where(o => o.EmployeeID == 4).ToList());
        yield return Q(F, "AsTracking", s => s.IsDatabase ? P(s).AsTracking().ToList() : P(s).ToList());
        yield return Q(F, "query with EF.Constant", s => s.IsDatabase ? O(s).Where(o => o.EmployeeID == EF.Constant(4)).Select(o => o.OrderID).ToList() : O(s).Where(o => o.EmployeeID == 4).Select(o => o.OrderID).ToList());
        yield return new QueryCase(F, "EF.Functions.Like", s => C(s).Where(c => EF.Functions.Like(c.CompanyName, "b%")).Select(c => c.CustomerID).ToList())
        {
            Oracle = Oracle.Explicit,
            Expected = s => C(s).Where(c => c.CompanyName.StartsWith("B", StringComparison.OrdinalIgnoreCase)).Select(c => c.CustomerID).ToList(),
        };
        yield return new QueryCase(F, "EF.Functions.Like underscore and escape", s => C(s).Where(c => EF.Functions.Like(c.CustomerID, "_O%") || EF.Functions.Like(c.CompanyName, "%!_%", "!")).Select(c => c.CustomerID).ToList())
        {
            Oracle = Oracle.Explicit,
            Expected = s => C(s).Where(c => c.CustomerID.Length >= 2 && char.ToUpperInvariant(c.CustomerID[1]) == 'O' || c.CompanyName.Contains('_')).Select(c => c.CustomerID).ToList(),
        };
        yield return new QueryCase(F, "EF.Functions.Like suffix", s => C(s).Where(c => EF.Functions.Like(c.City, "%d")).Select(c => c.City).ToList())
        {
            Oracle = Oracle.Explicit,
            Expected = s => C(s).Where(c => c.City.EndsWith("d", StringComparison.OrdinalIgnoreCase)).Select(c => c.City).ToList(),
        };
        yield return Q(F, "string ordering is culture independent", s => C(s).Where(c => string.Compare(c.City, "Zürich") < 0).OrderBy(c => c.City).Select(c => c.City).Distinct().ToList());
        yield return Q(F, "query in query", s => C(s).Where(c => c.Orders.Count > 0).Select(c => new { c.CustomerID, Max = O(s).Where(o => o.CustomerID == c.CustomerID).Max(o => o.OrderID) }).ToList());
        yield return Q(F, "let via anonymous", s => O(s).Select(o => new { o, Total = o.OrderDetails.Sum(d => d.Quantity) }).Where(x => x.Total > 80).Select(x => x.o.OrderID).ToList());
        yield return Q(F, "parameter in projection and filter", s => O(s).Where(o => o.OrderID > 10248 + skip).Select(o => o.OrderID - skip).ToList());
        yield return Q(F, "complex predicate with navigations and subqueries", s => O(s).Where(o => o.OrderDetails.Count > 1 && o.OrderDetails.All(d => d.Product.UnitsInStock > 0)).Select(o => o.OrderID).ToList());
    }
}
