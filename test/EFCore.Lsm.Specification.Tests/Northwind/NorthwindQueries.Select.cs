using EFCore.Lsm.Specification.Tests.TestUtilities;

namespace EFCore.Lsm.Specification.Tests.Northwind;

public static partial class NorthwindQueries
{
    public static IEnumerable<QueryCase> Select()
    {
        const string F = "Select";
        var suffix = "!";
        yield return Q(F, "entity", s => C(s).ToList());
        yield return Q(F, "scalar", s => C(s).Select(c => c.City).ToList());
        yield return Q(F, "scalar ordered", s => C(s).OrderBy(c => c.CustomerID).Select(c => c.City).ToList(), ordered: true);
        yield return Q(F, "nullable scalar", s => C(s).Select(c => c.Region).ToList());
        yield return Q(F, "anonymous", s => C(s).Select(c => new { c.CustomerID, c.City }).ToList());
        yield return Q(F, "anonymous nested", s => C(s).Select(c => new { c.CustomerID, Place = new { c.City, c.Country } }).ToList());
        yield return Q(F, "tuple", s => C(s).Select(c => ValueTuple.Create(c.CustomerID, c.Country)).ToList());
        yield return Q(F, "member init", s => C(s).Select(c => new CustomerView { Id = c.CustomerID, Name = c.CompanyName }).ToList());
        yield return Q(F, "constant", s => C(s).Select(c => 1).ToList());
        yield return Q(F, "constant string", s => C(s).Select(c => "x").ToList());
        yield return Q(F, "closure value", s => C(s).Select(c => c.City + suffix).ToList());
        yield return Q(F, "string concat", s => C(s).Select(c => c.CustomerID + ":" + c.City).ToList());
        yield return Q(F, "string methods", s => C(s).Select(c => new { A = c.City.ToUpper(), B = c.City.Substring(1, 2), C = c.City.Length, D = c.City.Trim() }).ToList());
        yield return Q(F, "string Replace", s => C(s).Select(c => c.CompanyName.Replace(" ", "_")).ToList());
        yield return Q(F, "null coalesce", s => C(s).Select(c => c.Region ?? "none").ToList());
        yield return Q(F, "conditional", s => C(s).Select(c => c.Region == null ? c.City : c.Region).ToList());
        yield return Q(F, "conditional bool", s => P(s).Select(p => new { p.ProductID, Cheap = p.UnitPrice < 20 }).ToList());
        yield return Q(F, "arithmetic", s => O(s).Select(o => new { o.OrderID, Double = o.Freight * 2, Plus = o.OrderID + 1 }).ToList());
        yield return Q(F, "nullable arithmetic", s => P(s).Select(p => p.UnitPrice * 2).ToList());
        yield return Q(F, "cast", s => D(s).Select(d => (int)d.Quantity + (double)d.Discount).ToList());
        yield return Q(F, "DateTime parts", s => O(s).Where(o => o.OrderDate != null).Select(o => new { o.OrderDate!.Value.Year, o.OrderDate.Value.Month, o.OrderDate.Value.Day }).ToList());
        yield return Q(F, "DateTime nullable member", s => O(s).Select(o => o.OrderDate.HasValue ? o.OrderDate.Value.DayOfYear : -1).ToList());
        yield return Q(F, "method on client", s => C(s).Select(c => Reverse(c.City)).ToList());
        yield return Q(F, "entity and value", s => C(s).Select(c => new { c, Len = c.City.Length }).ToList());
        yield return Q(F, "two entities", s => O(s).Where(o => o.CustomerID != null).Select(o => new { o, o.Customer }).ToList());
        yield return InMemory(F, "navigation value", s => O(s).Select(o => o.Customer!.City).ToList());
        yield return InMemory(F, "navigation entity", s => O(s).Select(o => o.Customer).ToList());
        yield return InMemory(F, "navigation chain", s => D(s).Select(d => d.Order.Customer!.Country).ToList());
        yield return Q(F, "required navigation", s => D(s).Select(d => new { d.OrderID, d.Product.ProductName }).ToList());
        yield return InMemory(F, "self reference", s => E(s).Select(e => new { e.FirstName, Manager = e.Manager!.FirstName }).ToList());
        yield return InMemory(F, "non-nullable value through optional navigation", s => O(s).Select(o => (int?)o.Employee!.EmployeeID).ToList());
        yield return Q(F, "collection Count", s => C(s).Select(c => new { c.CustomerID, c.Orders.Count }).ToList());
        yield return Q(F, "collection Sum", s => C(s).Select(c => new { c.CustomerID, Total = c.Orders.Sum(o => o.Freight) }).ToList());
        yield return Q(F, "collection Any", s => C(s).Select(c => c.Orders.Any(o => o.EmployeeID == 1)).ToList());
        yield return Q(F, "collection ToList", s => C(s).Select(c => new { c.CustomerID, Orders = c.Orders.Select(o => o.OrderID).ToList() }).ToList());
        yield return Q(F, "collection of entities", s => C(s).Select(c => new { c.CustomerID, c.Orders }).ToList());
        yield return Q(F, "collection filtered", s => C(s).Select(c => c.Orders.Where(o => o.Freight > 100).Select(o => o.Freight).ToList()).ToList());
        yield return Q(F, "collection ordered and taken", s => C(s).OrderBy(c => c.CustomerID).Select(c => c.Orders.OrderBy(o => o.OrderID).Take(2).Select(o => o.OrderID).ToList()).ToList(), ordered: true);
        yield return Q(F, "nested collection", s => C(s).Select(c => c.Orders.Select(o => new { o.OrderID, Lines = o.OrderDetails.Select(d => d.ProductID).ToList() }).ToList()).ToList());
        yield return Q(F, "collection First", s => C(s).Select(c => c.Orders.OrderBy(o => o.OrderID).Select(o => (int?)o.OrderID).FirstOrDefault()).ToList());
        yield return Q(F, "collection First entity", s => C(s).Select(c => c.Orders.OrderBy(o => o.OrderID).FirstOrDefault()).ToList());
        yield return Q(F, "correlated subquery", s => C(s).Select(c => O(s).Count(o => o.CustomerID == c.CustomerID && o.Freight > 50)).ToList());
        yield return Q(F, "uncorrelated subquery", s => C(s).Select(c => O(s).Max(o => o.OrderID)).ToList());
        yield return Q(F, "correlated collection", s => E(s).Select(e => O(s).Where(o => o.EmployeeID == e.EmployeeID).Select(o => o.OrderID).ToList()).ToList());
        yield return Q(F, "SelectMany navigation", s => C(s).SelectMany(c => c.Orders).ToList());
        yield return Q(F, "SelectMany with result", s => C(s).SelectMany(c => c.Orders, (c, o) => new { c.CustomerID, o.OrderID }).ToList());
        yield return Q(F, "SelectMany filtered", s => C(s).SelectMany(c => c.Orders.Where(o => o.Freight > 120)).Select(o => o.OrderID).ToList());
        yield return Q(F, "SelectMany nested", s => C(s).SelectMany(c => c.Orders).SelectMany(o => o.OrderDetails).Select(d => new { d.OrderID, d.ProductID }).ToList());
        yield return Q(F, "SelectMany cross", s => K(s).SelectMany(c => E(s).Where(e => e.EmployeeID < 3), (c, e) => new { c.CategoryID, e.EmployeeID }).ToList());
        yield return Q(F, "SelectMany correlated", s => C(s).SelectMany(c => O(s).Where(o => o.CustomerID == c.CustomerID && o.EmployeeID == 1)).Select(o => o.OrderID).ToList());
        yield return Q(F, "SelectMany DefaultIfEmpty", s => C(s).SelectMany(c => c.Orders.Where(o => o.EmployeeID == 2).DefaultIfEmpty(), (c, o) => new { c.CustomerID, Order = o == null ? 0 : o.OrderID }).ToList());
        yield return Q(F, "Select then Where on entity", s => O(s).Select(o => new { o.OrderID, o.Freight }).Where(x => x.Freight > 150).Select(x => x.OrderID).ToList());
        yield return Q(F, "Select twice", s => C(s).Select(c => new { c.City, c.Country }).Select(x => x.City + x.Country).ToList());
        yield return Q(F, "index-based projection of subquery and value", s => C(s).Select(c => new { c.CustomerID, Top = c.Orders.OrderByDescending(o => o.Freight).Select(o => o.OrderID).Take(1).ToList(), Reverse = Reverse(c.City) }).ToList());
        yield return Q(F, "bool projection", s => P(s).Select(p => !p.Discontinued).ToList());
        yield return Q(F, "byte array projection", s => K(s).Select(c => c.Picture).ToList());
        yield return Q(F, "enum-like int projection", s => O(s).Select(o => o.EmployeeID ?? -1).ToList());
        yield return Q(F, "projection ordered by value", s => O(s).OrderBy(o => o.Freight).ThenBy(o => o.OrderID).Select(o => o.Freight).ToList(), ordered: true);
    }

    private static string Reverse(string value) => new([.. value.Reverse()]);

    public sealed class CustomerView
    {
        public string Id { get; set; } = "";

        public string Name { get; set; } = "";
    }
}
