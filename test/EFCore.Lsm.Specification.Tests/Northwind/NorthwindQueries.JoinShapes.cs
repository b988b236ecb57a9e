using EFCore.Lsm.Specification.Tests.TestUtilities;

namespace EFCore.Lsm.Specification.Tests.Northwind;

public static partial class NorthwindQueries
{
    /// <summary>Join, GroupJoin and SelectMany shapes beyond the basic ones.</summary>
    public static IEnumerable<QueryCase> JoinShapes()
    {
        const string F = "Join";
        var city = "London";
        yield return Q(F, "join on composite key with conversion", s => (from o in O(s) join e in E(s) on new { Id = o.EmployeeID, City = o.ShipCity } equals new { Id = (int?)e.EmployeeID, City = (string?)e.City } select new { o.OrderID, e.EmployeeID }).ToList());
        yield return Q(F, "join with Take inner", s => (from c in C(s) join o in O(s).OrderBy(o => o.OrderID).Take(10) on c.CustomerID equals o.CustomerID select new { c.CustomerID, o.OrderID }).ToList());
        yield return Q(F, "join with Distinct inner", s => (from p in P(s) join d in D(s).Select(d => d.ProductID).Distinct() on p.ProductID equals d select p.ProductName).ToList());
        yield return Q(F, "join ordered by inner then outer", s => (from e in E(s) join o in O(s) on e.EmployeeID equals o.EmployeeID orderby o.Freight, e.EmployeeID, o.OrderID select new { e.EmployeeID, o.OrderID }).ToList(), ordered: true);
        yield return Q(F, "join with parameter filter", s => (from e in E(s) where e.City == city join o in O(s) on e.EmployeeID equals o.EmployeeID select o.OrderID).ToList());
        yield return Q(F, "join then GroupBy", s => (from p in P(s) join d in D(s) on p.ProductID equals d.ProductID select new { p.CategoryID, d.Quantity })
            .GroupBy(x => x.CategoryID).Select(g => new { g.Key, Total = g.Sum(x => x.Quantity) }).ToList());
        yield return Q(F, "join after Where on both", s => (from o in O(s).Where(o => o.Freight > 80) join d in D(s).Where(d => d.Discount > 0) on o.OrderID equals d.OrderID select new { o.OrderID, d.ProductID }).ToList());
        yield return Q(F, "GroupJoin then SelectMany with predicate", s => (from c in C(s)
                                                                            join o in O(s) on c.CustomerID equals o.CustomerID into orders
                                                                            from o in orders.Where(x => x.Freight > 120)
                                                                            select new { c.CustomerID, o.OrderID }).ToList());
        yield return Q(F, "left join with filter on the outer", s => (from e in E(s)
                                                                      join o in O(s) on e.EmployeeID equals o.EmployeeID into orders
                                                                      from o in orders.DefaultIfEmpty()
                                                                      where e.EmployeeID > 6
                                                                      select new { e.EmployeeID, Order = o == null ? 0 : o.OrderID }).ToList());
        yield return Q(F, "left join two levels", s => (from c in C(s)
                                                        join o in O(s) on c.CustomerID equals o.CustomerID into orders
                                                        from o in orders.DefaultIfEmpty()
                                                        join e in E(s) on o == null ? null : o.EmployeeID equals (int?)e.EmployeeID into employees
                                                        from e in employees.DefaultIfEmpty()
                                                        select new { c.CustomerID, Employee = e == null ? null : e.FirstName }).ToList());
        yield return Q(F, "left join entity null check in projection", s => (from p in P(s)
                                                                             join k in K(s) on p.CategoryID equals (int?)k.CategoryID into categories
                                                                             from k in categories.DefaultIfEmpty()
                                                                             select new { p.ProductID, HasCategory = k != null }).ToList());
        yield return Q(F, "SelectMany cross with Take", s => (from e in E(s).OrderBy(e => e.EmployeeID).Take(2) from k in K(s) select new { e.EmployeeID, k.CategoryID }).ToList());
        yield return Q(F, "SelectMany correlated with OrderBy Take per row", s => (from e in E(s) from o in O(s).Where(o => o.EmployeeID == e.EmployeeID).OrderByDescending(o => o.Freight).Take(2) select new { e.EmployeeID, o.OrderID }).ToList());
        yield return Q(F, "SelectMany navigation with index filter", s => (from o in O(s) from d in o.OrderDetails where d.ProductID == o.OrderID % 12 + 1 select new { o.OrderID, d.ProductID }).ToList());
        yield return Q(F, "three-way join to self and navigation", s => (from e in E(s) join m in E(s) on e.ReportsTo equals m.EmployeeID join o in O(s) on m.EmployeeID equals o.EmployeeID select new { e.EmployeeID, o.OrderID }).ToList());
        yield return Q(F, "join projecting both entities then member", s => (from d in D(s) join p in P(s) on d.ProductID equals p.ProductID select new { d, p }).Where(x => x.p.Discontinued).Select(x => x.d.OrderID).ToList());
    }
}
