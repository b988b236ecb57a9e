using System.Globalization;
using EFCore.Lsm.Specification.Tests.TestUtilities;

namespace EFCore.Lsm.Specification.Tests.Northwind;

public static partial class NorthwindQueries
{
    /// <summary>Select: anonymous and nested projections, conditionals, casts, and client methods at the end.</summary>
    public static IEnumerable<QueryCase> SelectShapes()
    {
        const string F = "Select";
        var factor = 3;
        yield return Q(F, "anonymous with computed members", s => O(s).Select(o => new { o.OrderID, Heavy = o.Freight > 100, Tax = o.Freight * 0.2m, Next = o.OrderID + 1 }).ToList());
        yield return Q(F, "anonymous nested twice", s => D(s).Select(d => new { Key = new { d.OrderID, d.ProductID }, Value = new { d.Quantity, Price = new { d.UnitPrice, d.Discount } } }).ToList());
        yield return Q(F, "anonymous with navigation members", s => D(s).Select(d => new { d.OrderID, Product = new { d.Product.ProductName, d.Product.Discontinued } }).ToList());
        yield return Q(F, "conditional with null result", s => C(s).Select(c => c.Country == "UK" ? null : c.City).ToList());
        yield return Q(F, "nested conditional", s => O(s).Select(o => o.Freight > 100 ? "high" : o.Freight > 50 ? "middle" : "low").ToList());
        yield return Q(F, "conditional with bool test column", s => P(s).Select(p => new { p.ProductID, Stock = p.Discontinued ? 0 : p.UnitsInStock }).ToList());
        yield return Q(F, "cast to nullable", s => O(s).Select(o => (decimal?)o.Freight).ToList());
        yield return Q(F, "cast nullable to value after filter", s => O(s).Where(o => o.EmployeeID != null).Select(o => (int)o.EmployeeID!).ToList());
        yield return Q(F, "nullable Value after HasValue", s => O(s).Select(o => o.EmployeeID.HasValue ? o.EmployeeID.Value * 10 : 0).ToList());
        yield return Q(F, "HasValue projection", s => O(s).Select(o => new { o.OrderID, HasDate = o.OrderDate.HasValue }).ToList());
        yield return Q(F, "coalesce of numbers", s => P(s).Select(p => p.UnitPrice ?? 0m).ToList());
        yield return Q(F, "coalesce chain", s => C(s).Select(c => c.Region ?? c.ContactName ?? "-").ToList());
        yield return Q(F, "parameter arithmetic", s => D(s).Select(d => d.Quantity * factor).ToList());
        yield return Q(F, "Math Round with digits", s => O(s).Select(o => Math.Round(o.Freight, 1)).ToList());
        yield return Q(F, "Math Abs of difference", s => O(s).Select(o => Math.Abs(o.Freight - 100)).ToList());
        yield return Q(F, "DateTime Date and AddDays", s => O(s).Where(o => o.OrderDate != null).Select(o => new { o.OrderDate!.Value.Date, Due = o.OrderDate.Value.AddDays(14) }).ToList());
        yield return Q(F, "DateTime DayOfWeek", s => O(s).Where(o => o.OrderDate != null).Select(o => o.OrderDate!.Value.DayOfWeek).ToList());
        yield return Q(F, "new array", s => C(s).Select(c => new[] { c.City, c.Country }).ToList());
        yield return Q(F, "new list", s => P(s).Select(p => new List<int> { p.ProductID, p.UnitsInStock }).ToList());
        yield return Q(F, "member init with nested anonymous", s => C(s).Select(c => new { View = new CustomerView { Id = c.CustomerID, Name = c.City }, c.Country }).ToList());
        yield return Q(F, "ToString of int", s => O(s).Select(o => o.OrderID.ToString()).ToList());
        yield return Q(F, "client string interpolation", s => C(s).Select(c => $"{c.CustomerID}-{c.City}").ToList());
        yield return Q(F, "client method with entity", s => C(s).Select(c => Label(c)).ToList());
        yield return Q(F, "client method over collection", s => C(s).Select(c => Total(c.Orders.Select(o => o.OrderID).ToList())).ToList());
        yield return Q(F, "client method after filter and order", s => O(s).Where(o => o.Freight > 150).OrderBy(o => o.OrderID).Select(o => Money(o.Freight)).ToList(), ordered: true);
        yield return Q(F, "client string.Join over collection", s => C(s).Select(c => string.Join(",", c.Orders.OrderBy(o => o.OrderID).Select(o => o.OrderID))).ToList());
        yield return InMemory(F, "navigation collection count", s => O(s).Select(o => new { o.OrderID, Siblings = o.Customer!.Orders.Count }).ToList());
        yield return InMemory(F, "navigation two levels", s => D(s).Select(d => d.Product.Category!.CategoryName).ToList());
        yield return Q(F, "projection after Skip Take", s => O(s).OrderBy(o => o.OrderID).Skip(10).Take(5).Select(o => new { o.OrderID, o.Freight }).ToList(), ordered: true);
        yield return Q(F, "projection of collection Count with predicate", s => O(s).Select(o => new { o.OrderID, Big = o.OrderDetails.Count(d => d.Quantity > 30) }).ToList());
        yield return Q(F, "projection of collection Max", s => O(s).Where(o => o.OrderDetails.Any()).Select(o => o.OrderDetails.Max(d => d.Quantity)).ToList());
        yield return Q(F, "projection of collection anonymous ordered", s => P(s).Select(p => p.OrderDetails.OrderBy(d => d.OrderID).Select(d => new { d.OrderID, d.Quantity }).ToList()).ToList());
    }

    private static string Label(Customer customer) => customer.CustomerID + " in " + customer.City;

    private static int Total(List<int> values) => values.Sum();

    private static string Money(decimal value) => value.ToString("0.00", CultureInfo.InvariantCulture);
}
