using EFCore.Lsm.Specification.Tests.TestUtilities;

namespace EFCore.Lsm.Specification.Tests.Northwind;

public static partial class NorthwindQueries
{
    /// <summary>Miscellaneous: Skip/Take combinations, Distinct, DefaultIfEmpty, Contains on lists, ElementAt, Last with OrderBy.</summary>
    public static IEnumerable<QueryCase> Paging()
    {
        const string F = "Miscellaneous";
        var page = 2;
        var size = 6;
        var at = 9;
        var ids = new List<string> { "ALFA", "BONI", "NONE" };
        var wanted = new HashSet<int> { 1, 2 };
        yield return Q(F, "Skip zero", s => O(s).OrderBy(o => o.OrderID).Skip(0).Select(o => o.OrderID).ToList(), ordered: true);
        yield return Q(F, "Take Take", s => O(s).OrderBy(o => o.OrderID).Take(10).Take(4).Select(o => o.OrderID).ToList(), ordered: true);
        yield return Q(F, "Skip Skip", s => O(s).OrderBy(o => o.OrderID).Skip(5).Skip(70).Select(o => o.OrderID).ToList(), ordered: true);
        yield return Q(F, "Skip Take Skip", s => O(s).OrderBy(o => o.OrderID).Skip(3).Take(10).Skip(4).Select(o => o.OrderID).ToList(), ordered: true);
        yield return Q(F, "page by parameters", s => C(s).OrderBy(c => c.CustomerID).Skip(page * size).Take(size).Select(c => c.CustomerID).ToList(), ordered: true);
        yield return Q(F, "Where after Take", s => O(s).OrderBy(o => o.OrderID).Take(20).Where(o => o.Freight > 50).Select(o => o.OrderID).ToList(), ordered: true);
        yield return Q(F, "OrderBy after Take", s => O(s).OrderBy(o => o.OrderID).Take(10).OrderBy(o => o.Freight).Select(o => o.OrderID).ToList(), ordered: true);
        yield return Q(F, "Where after Skip", s => O(s).OrderBy(o => o.OrderID).Skip(60).Where(o => o.EmployeeID != null).Select(o => o.OrderID).ToList(), ordered: true);
        yield return Q(F, "Count after Take", s => O(s).OrderBy(o => o.Freight).Take(15).Count(o => o.EmployeeID == 1));
        yield return Q(F, "Distinct then OrderBy Skip Take", s => O(s).Select(o => o.ShipCity).Distinct().OrderBy(c => c).Skip(1).Take(3).ToList(), ordered: true);
        yield return Q(F, "Distinct over filtered projection", s => D(s).Where(d => d.Quantity > 20).Select(d => d.ProductID).Distinct().ToList());
        yield return Q(F, "Distinct entities from navigation", s => D(s).Where(d => d.Quantity > 50).Select(d => d.Product).Distinct().ToList());
        yield return Q(F, "Distinct nullable", s => P(s).Select(p => p.CategoryID).Distinct().ToList());
        yield return Q(F, "DefaultIfEmpty on empty set", s => O(s).Where(o => o.OrderID < 0).DefaultIfEmpty().ToList());
        yield return Q(F, "DefaultIfEmpty on rows", s => K(s).DefaultIfEmpty().ToList());
        yield return Q(F, "DefaultIfEmpty of values Count", s => O(s).Where(o => o.OrderID < 0).Select(o => o.OrderID).DefaultIfEmpty().Count());
        yield return Q(F, "Contains on string list", s => C(s).Where(c => ids.Contains(c.CustomerID)).Select(c => c.CustomerID).ToList());
        yield return Q(F, "Contains on HashSet", s => O(s).Where(o => o.EmployeeID != null && wanted.Contains(o.EmployeeID.Value)).Select(o => o.OrderID).ToList());
        yield return Q(F, "Contains on inline list", s => P(s).Where(p => new List<int> { 3, 5, 7 }.Contains(p.ProductID)).Select(p => p.ProductName).ToList());
        yield return Q(F, "Contains on subquery", s => C(s).Where(c => O(s).Where(o => o.Freight > 150).Select(o => o.CustomerID).Contains(c.CustomerID)).Select(c => c.CustomerID).ToList());
        yield return Q(F, "not Contains on subquery", s => E(s).Where(e => !O(s).Select(o => o.EmployeeID).Contains(e.EmployeeID)).Select(e => e.EmployeeID).ToList());
        yield return Q(F, "ElementAt parameter", s => O(s).OrderBy(o => o.Freight).ThenBy(o => o.OrderID).ElementAt(at));
        yield return Q(F, "ElementAtOrDefault inside", s => C(s).OrderBy(c => c.CustomerID).ElementAtOrDefault(3));
        yield return Q(F, "ElementAt of values", s => P(s).OrderByDescending(p => p.ProductID).Select(p => p.ProductName).ElementAt(2));
        yield return Q(F, "Last with OrderByDescending", s => O(s).OrderByDescending(o => o.OrderID).Last());
        yield return Q(F, "Last of values", s => C(s).OrderBy(c => c.City).ThenBy(c => c.CustomerID).Select(c => c.CustomerID).Last());
        yield return Q(F, "LastOrDefault with predicate", s => O(s).OrderBy(o => o.OrderID).LastOrDefault(o => o.EmployeeID == 2));
        yield return Q(F, "First after Skip", s => O(s).OrderBy(o => o.OrderID).Skip(10).First());
        yield return Q(F, "FirstOrDefault of values past the end", s => O(s).OrderBy(o => o.OrderID).Skip(100).Select(o => (int?)o.OrderID).FirstOrDefault());
        yield return Q(F, "SingleOrDefault after Take", s => O(s).OrderBy(o => o.OrderID).Take(1).SingleOrDefault());
        yield return Q(F, "OrderBy twice: the last one orders", s => O(s).OrderBy(o => o.Freight).OrderBy(o => o.OrderID).Select(o => o.OrderID).ToList(), ordered: true);
        yield return Q(F, "OrderBy Take then OrderByDescending", s => O(s).OrderBy(o => o.OrderID).Take(8).OrderByDescending(o => o.OrderID).Select(o => o.OrderID).ToList(), ordered: true);
        yield return Q(F, "OrderBy string descending then key", s => C(s).OrderByDescending(c => c.Country).ThenBy(c => c.CustomerID).Select(c => c.CustomerID).ToList(), ordered: true);
        yield return Q(F, "OrderBy navigation required", s => D(s).OrderBy(d => d.Product.ProductName).ThenBy(d => d.OrderID).Select(d => d.OrderID).ToList(), ordered: true);
    }
}
