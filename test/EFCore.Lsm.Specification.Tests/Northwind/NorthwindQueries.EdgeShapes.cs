using System.Text.RegularExpressions;
using EFCore.Lsm.Specification.Tests.TestUtilities;

namespace EFCore.Lsm.Specification.Tests.Northwind;

public static partial class NorthwindQueries
{
    /// <summary>
    /// Shapes at the edge of what EF providers translate (several are refused by other providers), which this one answers:
    /// comparisons with a StringComparison, Regex, formatting, a final GroupJoin, key-order Last and Reverse, entity
    /// Contains over a composite key, entities per group.
    /// </summary>
    public static IEnumerable<QueryCase> EdgeShapes()
    {
        yield return Q("Where", "Equals with OrdinalIgnoreCase", s => C(s).Where(c => c.City.Equals("lONDON", StringComparison.OrdinalIgnoreCase)).ToList());
        yield return Q("Where", "string.Compare with OrdinalIgnoreCase", s => C(s).Where(c => string.Compare(c.City, "paris", StringComparison.OrdinalIgnoreCase) == 0).ToList());
        yield return Q("Where", "StartsWith with OrdinalIgnoreCase", s => C(s).Where(c => c.CompanyName.StartsWith("bl", StringComparison.OrdinalIgnoreCase)).ToList());
        yield return Q("Where", "Regex.IsMatch", s => C(s).Where(c => Regex.IsMatch(c.CompanyName, "^[A-C].*s$")).Select(c => c.CompanyName).ToList());
        yield return Q("Where", "string.Format equality", s => C(s).Where(c => string.Format("{0}-{1}", c.City, c.Country) == "Madrid-Spain").Select(c => c.CustomerID).ToList());
        yield return Q("Where", "decimal ToString equality", s => O(s).Where(o => o.Freight.ToString().StartsWith("1")).Select(o => o.OrderID).ToList());
        yield return Q("Where", "DateTime.Now comparison", s => O(s).Where(o => o.OrderDate < DateTime.Now).Select(o => o.OrderID).ToList());
        yield return Q("Select", "DateTime TimeOfDay", s => O(s).Where(o => o.OrderDate != null).Select(o => o.OrderDate!.Value.TimeOfDay).ToList());
        yield return Q("Select", "Concat of collections in projection", s => C(s).Select(c => c.Orders.Select(o => o.OrderID).Concat(c.Orders.Select(o => -o.OrderID)).Count()).ToList());
        yield return Q("Select", "Sum over nested SelectMany in projection", s => C(s).Select(c => new { c.CustomerID, Q = c.Orders.SelectMany(o => o.OrderDetails).Sum(d => d.Quantity) }).ToList());
        yield return Q("Join", "final GroupJoin projecting the group", s => (from c in C(s) join o in O(s) on c.CustomerID equals o.CustomerID into g select new { c.CustomerID, g }).ToList());
        yield return Q("Join", "GroupJoin into Count", s => (from e in E(s) join o in O(s) on e.EmployeeID equals o.EmployeeID into g select new { e.EmployeeID, N = g.Count(), Max = g.Max(o => (decimal?)o.Freight) }).ToList());
        yield return Q("Join", "LeftJoin then GroupBy", s => C(s).LeftJoin(O(s), c => c.CustomerID, o => o.CustomerID, (c, o) => new { c.Country, Freight = o == null ? 0 : o.Freight })
            .GroupBy(x => x.Country).Select(g => new { g.Key, N = g.Count(), Freight = g.Sum(x => x.Freight) }).ToList());
        yield return Q("Miscellaneous", "Last without OrderBy follows key order", s => O(s).Last());
        yield return Q("Miscellaneous", "LastOrDefault without OrderBy", s => D(s).LastOrDefault(d => d.ProductID == 1));
        yield return Q("Miscellaneous", "Reverse without OrderBy", s => O(s).Select(o => o.OrderID).Reverse().Take(3).ToList(), ordered: true);
        yield return Q("Miscellaneous", "ToDictionary at the end", s => C(s).Where(c => c.Country == "Spain").ToDictionary(c => c.CustomerID, c => c.City));
        yield return Q("Aggregates", "Contains entity with a composite key", s =>
        {
            var line = D(s).OrderBy(d => d.OrderID).ThenBy(d => d.ProductID).First();
            return O(s).Count(o => o.OrderDetails.Contains(line));
        });
        yield return Q("Aggregates", "Contains over a subquery of composite-key entities", s => D(s).Count(d => D(s).Where(x => x.Quantity > 30).Contains(d)));
        yield return Q("GroupBy", "first entity of each group", s => O(s).GroupBy(o => o.EmployeeID).Select(g => g.OrderBy(o => o.OrderID).First()).ToList());
        yield return Q("GroupBy", "entities of each group as a list", s => O(s).GroupBy(o => o.EmployeeID).Select(g => new { g.Key, Orders = g.ToList() }).ToList());
        yield return Q("GroupBy", "SelectMany inside a group aggregate", s => C(s).GroupBy(c => c.Country).Select(g => new { g.Key, Orders = g.SelectMany(c => c.Orders).Count() }).ToList());
    }
}
