using EFCore.Lsm.Specification.Tests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Specification.Tests.Northwind;

public static partial class NorthwindQueries
{
    private static QueryCase I(string name, Func<IQuerySource, object?> run, params string[] navigations) =>
        new("Include", name, run) { Navigations = navigations };

    public static IEnumerable<QueryCase> Include()
    {
        var id = Seed.Customers[3].CustomerID;
        yield return I("collection", s => C(s).Include(c => c.Orders).ToList(), "Orders");
        yield return I("collection filtered root", s => C(s).Include(c => c.Orders).Where(c => c.City == "London").ToList(), "Orders");
        yield return I("collection point", s => C(s).Include(c => c.Orders).Where(c => c.CustomerID == id).ToList(), "Orders");
        yield return I("collection then collection", s => C(s).Include(c => c.Orders).ThenInclude(o => o.OrderDetails).ToList(), "Orders.OrderDetails");
        yield return I("collection then reference", s => C(s).Include(c => c.Orders).ThenInclude(o => o.Employee).Where(c => c.Country == "Spain").ToList(), "Orders.Employee");
        yield return I("reference", s => O(s).Include(o => o.Customer).ToList(), "Customer");
        yield return I("reference filtered", s => O(s).Include(o => o.Customer).Where(o => o.Freight > 100).ToList(), "Customer");
        yield return I("reference point", s => O(s).Include(o => o.Customer).Where(o => o.OrderID == 10250).ToList(), "Customer");
        yield return I("reference then collection", s => (s.IsDatabase ? O(s).AsTracking() : O(s)).Include(o => o.Customer).ThenInclude(c => c!.Orders).Where(o => o.OrderID < 10260).ToList(), "Customer.Orders");
        yield return I("two references", s => O(s).Include(o => o.Customer).Include(o => o.Employee).ToList(), "Customer", "Employee");
        yield return I("required references", s => D(s).Include(d => d.Order).Include(d => d.Product).ToList(), "Order", "Product");
        yield return I("reference chain", s => D(s).Include(d => d.Order).ThenInclude(o => o.Customer).ToList(), "Order.Customer");
        yield return I("reference and collection", s => O(s).Include(o => o.Customer).Include(o => o.OrderDetails).ToList(), "Customer", "OrderDetails");
        yield return I("collection of collection reference", s => C(s).Include(c => c.Orders).ThenInclude(o => o.OrderDetails).ThenInclude(d => d.Product).Where(c => c.City == "Paris").ToList(), "Orders.OrderDetails.Product");
        yield return I("self reference", s => E(s).Include(e => e.Manager).ToList(), "Manager");
        yield return I("self collection", s => E(s).Include(e => e.Reports).ToList(), "Reports");
        yield return I("self both", s => E(s).Include(e => e.Manager).Include(e => e.Reports).ToList(), "Manager", "Reports");
        yield return I("category products", s => K(s).Include(c => c.Products).ToList(), "Products");
        yield return I("product category", s => P(s).Include(p => p.Category).ToList(), "Category");
        yield return I("product details", s => P(s).Include(p => p.OrderDetails).Where(p => p.ProductID < 4).ToList(), "OrderDetails");
        yield return I("ordered root", s => C(s).Include(c => c.Orders).OrderBy(c => c.CustomerID).Take(5).ToList(), "Orders");
        yield return I("no tracking", s => s.IsDatabase ? O(s).AsNoTracking().Include(o => o.Customer).Include(o => o.OrderDetails).ToList() : O(s).ToList(), "Customer", "OrderDetails");
        yield return I("with projection of entity", s => C(s).Include(c => c.Orders).Select(c => new { c.CustomerID, Customer = c }).ToList(), "Orders");
        yield return I("string path", s => s.IsDatabase ? C(s).Include("Orders.OrderDetails").ToList() : C(s).ToList(), "Orders.OrderDetails");
        yield return I("reference of first", s => new[] { O(s).Include(o => o.Employee).OrderBy(o => o.OrderID).First() }, "Employee");
        yield return I("collection of single", s => new[] { C(s).Include(c => c.Orders).Single(c => c.CustomerID == id) }, "Orders");
        yield return I("Include with Where on navigation", s => O(s).Include(o => o.OrderDetails).Where(o => o.OrderDetails.Any(d => d.Quantity > 50)).ToList(), "OrderDetails");
        yield return I("Include then Select navigation entity", s => O(s).Where(o => o.Customer != null).Include(o => o.Customer).ThenInclude(c => c!.Orders).Select(o => o.Customer).Distinct().ToList(), "Orders");
        yield return I("collection on derived query", s => E(s).Where(e => e.City == "London").Include(e => e.Orders).ToList(), "Orders");

        // Filtered includes load only the matching related rows.
        yield return new QueryCase("Include", "filtered collection", s => C(s).Include(c => c.Orders.Where(o => o.Freight > 100)).ToList()
            .Select(c => new { c.CustomerID, Orders = c.Orders.Select(o => o.OrderID).ToList() }).ToList())
        {
            Oracle = Oracle.Explicit,
            Expected = s => C(s).Select(c => new { c.CustomerID, Orders = c.Orders.Where(o => o.Freight > 100).Select(o => o.OrderID).ToList() }).ToList(),
        };
        yield return new QueryCase("Include", "filtered ordered taken collection", s => C(s).Include(c => c.Orders.OrderBy(o => o.OrderID).Take(2)).ToList()
            .Select(c => new { c.CustomerID, Orders = c.Orders.Select(o => o.OrderID).ToList() }).ToList())
        {
            Oracle = Oracle.Explicit,
            Expected = s => C(s).Select(c => new { c.CustomerID, Orders = c.Orders.OrderBy(o => o.OrderID).Take(2).Select(o => o.OrderID).ToList() }).ToList(),
        };
        yield return new QueryCase("Include", "filtered then include", s => C(s).Include(c => c.Orders.Where(o => o.EmployeeID == 1)).ThenInclude(o => o.OrderDetails).ToList()
            .Select(c => new { c.CustomerID, Orders = c.Orders.Select(o => new { o.OrderID, Lines = o.OrderDetails.Select(d => d.ProductID).ToList() }).ToList() }).ToList())
        {
            Oracle = Oracle.Explicit,
            Expected = s => C(s).Select(c => new { c.CustomerID, Orders = c.Orders.Where(o => o.EmployeeID == 1).Select(o => new { o.OrderID, Lines = o.OrderDetails.Select(d => d.ProductID).ToList() }).ToList() }).ToList(),
        };
    }
}
