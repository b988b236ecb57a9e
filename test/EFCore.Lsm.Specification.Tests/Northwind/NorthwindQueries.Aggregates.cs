using EFCore.Lsm.Specification.Tests.TestUtilities;

namespace EFCore.Lsm.Specification.Tests.Northwind;

public static partial class NorthwindQueries
{
    public static IEnumerable<QueryCase> Aggregates()
    {
        const string F = "Aggregates";
        yield return Q(F, "Count", s => C(s).Count());
        yield return Q(F, "Count predicate", s => C(s).Count(c => c.Country == "Spain"));
        yield return Q(F, "Count after Where", s => O(s).Where(o => o.Freight > 100).Count());
        yield return Q(F, "LongCount", s => D(s).LongCount());
        yield return Q(F, "LongCount predicate", s => D(s).LongCount(d => d.Quantity > 30));
        yield return Q(F, "Count distinct", s => C(s).Select(c => c.Country).Distinct().Count());
        yield return Q(F, "Count empty", s => O(s).Count(o => o.OrderID < 0));
        yield return Q(F, "Sum int", s => O(s).Sum(o => o.OrderID));
        yield return Q(F, "Sum decimal", s => O(s).Sum(o => o.Freight));
        yield return Q(F, "Sum nullable decimal", s => P(s).Sum(p => p.UnitPrice));
        yield return Q(F, "Sum short as int", s => D(s).Sum(d => d.Quantity));
        yield return Q(F, "Sum float", s => D(s).Sum(d => d.Discount));
        yield return Q(F, "Sum with expression", s => D(s).Sum(d => d.UnitPrice * d.Quantity));
        yield return Q(F, "Sum empty", s => O(s).Where(o => o.OrderID < 0).Sum(o => o.Freight));
        yield return Q(F, "Sum of projection", s => O(s).Select(o => o.Freight).Sum());
        yield return Q(F, "Min decimal", s => O(s).Min(o => o.Freight));
        yield return Q(F, "Max decimal", s => O(s).Max(o => o.Freight));
        yield return Q(F, "Min nullable", s => P(s).Min(p => p.UnitPrice));
        yield return Q(F, "Max nullable DateTime", s => O(s).Max(o => o.OrderDate));
        yield return Q(F, "Min string", s => C(s).Min(c => c.City));
        yield return Q(F, "Max string", s => C(s).Max(c => c.City));
        yield return Q(F, "Max short", s => P(s).Max(p => p.UnitsInStock));
        yield return Q(F, "Min of projection", s => O(s).Select(o => o.OrderID).Min());
        yield return Q(F, "Min empty nullable", s => O(s).Where(o => o.OrderID < 0).Min(o => (decimal?)o.Freight));
        yield return Q(F, "Average decimal", s => O(s).Average(o => o.Freight));
        yield return Q(F, "Average int", s => O(s).Average(o => o.OrderID));
        yield return Q(F, "Average nullable", s => P(s).Average(p => p.UnitPrice));
        yield return Q(F, "Average short", s => D(s).Average(d => d.Quantity));
        yield return Q(F, "Average float", s => D(s).Average(d => d.Discount));
        yield return Q(F, "Any", s => C(s).Any());
        yield return Q(F, "Any predicate", s => C(s).Any(c => c.City == "Zürich"));
        yield return Q(F, "Any none", s => C(s).Any(c => c.City == "Atlantis"));
        yield return Q(F, "All", s => C(s).All(c => c.CustomerID.Length == 4));
        yield return Q(F, "All false", s => O(s).All(o => o.Freight > 10));
        yield return Q(F, "Contains value", s => C(s).Select(c => c.City).Contains("Madrid"));
        yield return Q(F, "Contains missing", s => O(s).Select(o => o.OrderID).Contains(1));
        yield return Q(F, "Contains entity", s => C(s).Contains(C(s).OrderBy(c => c.CustomerID).First()));
        yield return Q(F, "First", s => O(s).OrderBy(o => o.OrderID).First());
        yield return Q(F, "First predicate", s => O(s).OrderBy(o => o.OrderID).First(o => o.Freight > 100));
        yield return Q(F, "FirstOrDefault none", s => O(s).FirstOrDefault(o => o.OrderID == 0));
        yield return Q(F, "FirstOrDefault value", s => O(s).Where(o => o.OrderID > 10300).OrderBy(o => o.OrderID).Select(o => o.Freight).FirstOrDefault());
        yield return Q(F, "Single", s => O(s).Single(o => o.OrderID == 10255));
        yield return Q(F, "SingleOrDefault", s => O(s).SingleOrDefault(o => o.OrderID == 99));
        yield return Q(F, "Last", s => O(s).OrderBy(o => o.OrderID).Last());
        yield return Q(F, "Last predicate", s => O(s).OrderBy(o => o.Freight).ThenBy(o => o.OrderID).Last(o => o.EmployeeID == 1));
        yield return Q(F, "LastOrDefault none", s => O(s).OrderBy(o => o.OrderID).LastOrDefault(o => o.OrderID < 0));
        yield return Q(F, "ElementAt", s => O(s).OrderBy(o => o.OrderID).ElementAt(5));
        yield return Q(F, "ElementAtOrDefault past end", s => O(s).OrderBy(o => o.OrderID).ElementAtOrDefault(500));
        yield return Q(F, "aggregate of navigation", s => O(s).Where(o => o.Customer != null).Sum(o => o.Customer!.CompanyName.Length));
        yield return Q(F, "Count of collection navigations", s => C(s).Sum(c => c.Orders.Count));
        yield return Q(F, "Max of correlated Count", s => C(s).Max(c => c.Orders.Count(o => o.Freight > 10)));
        yield return Q(F, "Average of collection Sum", s => C(s).Where(c => c.Orders.Any()).Average(c => c.Orders.Sum(o => o.Freight)));
        yield return Q(F, "Sum after Take", s => O(s).OrderBy(o => o.OrderID).Take(10).Sum(o => o.Freight));
        yield return Q(F, "Count after Skip", s => O(s).OrderBy(o => o.OrderID).Skip(70).Count());
        yield return Q(F, "Distinct then Sum", s => D(s).Select(d => d.ProductID).Distinct().Sum());
        yield return Q(F, "DefaultIfEmpty Max", s => O(s).Where(o => o.OrderID < 0).Select(o => o.OrderID).DefaultIfEmpty().Max());
        yield return Q(F, "subquery aggregate in aggregate", s => C(s).Count(c => c.Orders.Sum(o => o.Freight) > O(s).Average(o => o.Freight)));
        yield return Q(F, "Any with navigation", s => D(s).Any(d => d.Product.ProductName == "Chai"));
        yield return Q(F, "Count on key range", s => O(s).Count(o => o.OrderID >= 10260 && o.OrderID < 10280));
        yield return Q(F, "Sum on key prefix", s => D(s).Where(d => d.OrderID == 10251).Sum(d => d.Quantity));
    }
}
