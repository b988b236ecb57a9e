using EFCore.Lsm.Specification.Tests.TestUtilities;

namespace EFCore.Lsm.Specification.Tests.Northwind;

public static partial class NorthwindQueries
{
    public static IEnumerable<QueryCase> Join()
    {
        const string F = "Join";
        var id = Seed.Customers[5].CustomerID;
        yield return Q(F, "inner join", s => C(s).Join(O(s), c => c.CustomerID, o => o.CustomerID, (c, o) => new { c.CustomerID, o.OrderID }).ToList());
        yield return Q(F, "inner join query syntax", s => (from o in O(s) join c in C(s) on o.CustomerID equals c.CustomerID select new { o.OrderID, c.City }).ToList());
        yield return Q(F, "inner join filtered on a key", s => (from c in C(s) where c.CustomerID == id join o in O(s) on c.CustomerID equals o.CustomerID select o.OrderID).ToList());
        yield return Q(F, "join filtered on the inner key", s => (from o in O(s) join c in C(s) on o.CustomerID equals c.CustomerID where o.OrderID < 10270 select new { o.OrderID, c.CompanyName }).ToList());
        yield return Q(F, "join entities", s => (from o in O(s) join e in E(s) on o.EmployeeID equals e.EmployeeID select new { o, e }).ToList());
        yield return Q(F, "join composite key", s => (from d in D(s) join d2 in D(s) on new { d.OrderID, d.ProductID } equals new { d2.OrderID, d2.ProductID } select d.Quantity + d2.Quantity).ToList());
        yield return Q(F, "join on expression", s => (from c in C(s) join e in E(s) on c.City equals e.City select new { c.CustomerID, e.EmployeeID }).ToList());
        yield return Q(F, "join then where", s => (from o in O(s) join d in D(s) on o.OrderID equals d.OrderID where d.Quantity > 40 select new { o.OrderID, d.ProductID }).ToList());
        yield return Q(F, "join three", s => (from d in D(s) join o in O(s) on d.OrderID equals o.OrderID join p in P(s) on d.ProductID equals p.ProductID select new { o.OrderID, p.ProductName }).ToList());
        yield return Q(F, "join nullable to non-nullable", s => (from o in O(s) join e in E(s) on o.EmployeeID equals (int?)e.EmployeeID select o.OrderID).ToList());
        yield return Q(F, "join with subquery inner", s => (from c in C(s) join o in O(s).Where(o => o.Freight > 100) on c.CustomerID equals o.CustomerID select new { c.CustomerID, o.OrderID }).ToList());
        yield return Q(F, "join with projected inner", s => (from c in C(s) join o in O(s).Select(o => new { o.CustomerID, o.Freight }) on c.CustomerID equals o.CustomerID select o.Freight).ToList());
        yield return Q(F, "join ordered", s => (from c in C(s) join o in O(s) on c.CustomerID equals o.CustomerID orderby o.OrderID select o.OrderID).ToList(), ordered: true);
        yield return Q(F, "join then aggregate", s => (from c in C(s) join o in O(s) on c.CustomerID equals o.CustomerID select o.Freight).Sum());
        yield return Q(F, "self join", s => (from e in E(s) join m in E(s) on e.ReportsTo equals m.EmployeeID select new { e.FirstName, Manager = m.FirstName }).ToList());
        yield return Q(F, "left join", s => (from c in C(s)
                                             join o in O(s) on c.CustomerID equals o.CustomerID into orders
                                             from o in orders.DefaultIfEmpty()
                                             select new { c.CustomerID, Order = o == null ? (int?)null : o.OrderID }).ToList());
        yield return Q(F, "left join entity", s => (from e in E(s)
                                                    join m in E(s) on e.ReportsTo equals m.EmployeeID into managers
                                                    from m in managers.DefaultIfEmpty()
                                                    select new { e.EmployeeID, Manager = m }).ToList());
        yield return Q(F, "left join filtered inner", s => (from c in C(s)
                                                            join o in O(s).Where(o => o.EmployeeID == 3) on c.CustomerID equals o.CustomerID into orders
                                                            from o in orders.DefaultIfEmpty()
                                                            select new { c.CustomerID, Freight = o == null ? -1 : o.Freight }).ToList());
        yield return Q(F, "left join then where null", s => (from c in C(s)
                                                             join o in O(s) on c.CustomerID equals o.CustomerID into orders
                                                             from o in orders.DefaultIfEmpty()
                                                             where o == null
                                                             select c.CustomerID).ToList());
        yield return Q(F, "LeftJoin operator", s => C(s).LeftJoin(O(s), c => c.CustomerID, o => o.CustomerID, (c, o) => new { c.CustomerID, Order = o == null ? 0 : o.OrderID }).ToList());
        yield return Q(F, "cross join", s => (from k in K(s) from e in E(s) where e.EmployeeID <= 2 select new { k.CategoryID, e.EmployeeID }).ToList());
        yield return Q(F, "cross join filtered on both", s => (from c in C(s) from o in O(s) where c.CustomerID == o.CustomerID && o.Freight > 150 select new { c.CustomerID, o.OrderID }).ToList());
        yield return Q(F, "correlated SelectMany (cross apply)", s => (from c in C(s) from o in O(s).Where(o => o.CustomerID == c.CustomerID).OrderBy(o => o.OrderID).Take(1) select new { c.CustomerID, o.OrderID }).ToList());
        yield return Q(F, "outer apply", s => (from c in C(s) from o in O(s).Where(o => o.CustomerID == c.CustomerID && o.Freight > 180).DefaultIfEmpty() select new { c.CustomerID, Order = o == null ? 0 : o.OrderID }).ToList());
        yield return Q(F, "navigation join", s => (from d in D(s) select new { d.OrderID, d.Order.Freight, d.Product.ProductName }).ToList());
        yield return InMemory(F, "navigation join optional", s => (from o in O(s) select new { o.OrderID, City = o.Customer!.City, Employee = o.Employee!.FirstName }).ToList());
        yield return Q(F, "collection navigation SelectMany", s => (from c in C(s) from o in c.Orders from d in o.OrderDetails select new { c.CustomerID, d.ProductID }).ToList());
        yield return Q(F, "join on anonymous composite with nulls", s => (from o in O(s) join o2 in O(s) on new { o.CustomerID, o.EmployeeID } equals new { o2.CustomerID, o2.EmployeeID } where o.OrderID != o2.OrderID select o.OrderID).Distinct().ToList());
        yield return Q(F, "GroupJoin with collection navigation", s => C(s).Select(c => new { c.CustomerID, Count = O(s).Count(o => o.CustomerID == c.CustomerID) }).ToList());
        yield return Q(F, "join keyed by principal key (lookup)", s => (from o in O(s) where o.OrderID >= 10300 join c in C(s) on o.CustomerID equals c.CustomerID select new { o.OrderID, c.CompanyName }).ToList());
        yield return Q(F, "join keyed by foreign key (index)", s => (from c in C(s) where c.City == "Madrid" join o in O(s) on c.CustomerID equals o.CustomerID select new { c.CustomerID, o.OrderID }).ToList());
    }
}
