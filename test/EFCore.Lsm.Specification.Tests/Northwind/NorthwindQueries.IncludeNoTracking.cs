using EFCore.Lsm.Specification.Tests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Specification.Tests.Northwind;

public static partial class NorthwindQueries
{
    private static IQueryable<T> NoTracking<T>(IQuerySource s)
        where T : class => s.IsDatabase ? s.Set<T>().AsNoTracking() : s.Set<T>();

    private static IQueryable<T> Split<T>(IQuerySource s, IQueryable<T> query)
        where T : class => s.IsDatabase ? query.AsSplitQuery() : query;

    /// <summary>Include in no-tracking queries (EF's NorthwindIncludeNoTrackingQuery), and AsSplitQuery accepted.</summary>
    public static IEnumerable<QueryCase> IncludeNoTracking()
    {
        var id = Seed.Customers[7].CustomerID;
        yield return I("no tracking collection", s => NoTracking<Customer>(s).Include(c => c.Orders).ToList(), "Orders");
        yield return I("no tracking collection then collection", s => NoTracking<Customer>(s).Include(c => c.Orders).ThenInclude(o => o.OrderDetails).ToList(), "Orders.OrderDetails");
        yield return I("no tracking reference chain", s => NoTracking<OrderDetail>(s).Include(d => d.Order).ThenInclude(o => o.Employee).ToList(), "Order.Employee");
        yield return I("no tracking reference and collection", s => NoTracking<Product>(s).Include(p => p.Category).Include(p => p.OrderDetails).ToList(), "Category", "OrderDetails");
        yield return I("no tracking self reference", s => NoTracking<Employee>(s).Include(e => e.Manager).ThenInclude(m => m!.Manager).ToList(), "Manager.Manager");
        yield return I("no tracking point", s => NoTracking<Customer>(s).Include(c => c.Orders).ThenInclude(o => o.OrderDetails).ThenInclude(d => d.Product).Where(c => c.CustomerID == id).ToList(), "Orders.OrderDetails.Product");
        yield return I("no tracking ordered and taken", s => NoTracking<Order>(s).Include(o => o.OrderDetails).OrderByDescending(o => o.OrderID).Take(4).ToList(), "OrderDetails");
        yield return I("no tracking with identity resolution", s => (s.IsDatabase ? O(s).AsNoTrackingWithIdentityResolution() : O(s)).Include(o => o.Customer).ThenInclude(c => c!.Orders).ToList(), "Customer.Orders");
        yield return I("split query collection", s => Split(s, C(s)).Include(c => c.Orders).ThenInclude(o => o.OrderDetails).ToList(), "Orders.OrderDetails");
        yield return I("split query no tracking", s => Split(s, NoTracking<Category>(s)).Include(c => c.Products).ThenInclude(p => p.OrderDetails).ToList(), "Products.OrderDetails");
        yield return I("split query filtered root", s => Split(s, E(s)).Include(e => e.Reports).Include(e => e.Orders).Where(e => e.EmployeeID <= 5).ToList(), "Reports", "Orders");
        yield return new QueryCase("Include", "no tracking filtered collection", s => NoTracking<Employee>(s).Include(e => e.Orders.Where(o => o.Freight < 50)).ToList()
            .Select(e => new { e.EmployeeID, Orders = e.Orders.Select(o => o.OrderID).ToList() }).ToList())
        {
            Oracle = Oracle.Explicit,
            Expected = s => E(s).Select(e => new { e.EmployeeID, Orders = e.Orders.Where(o => o.Freight < 50).Select(o => o.OrderID).ToList() }).ToList(),
        };
    }
}
