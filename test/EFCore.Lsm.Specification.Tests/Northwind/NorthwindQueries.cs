using EFCore.Lsm.Specification.Tests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Specification.Tests.Northwind;

/// <summary>
/// The Northwind corpus, by operator family, modelled on EF's specification test classes (NorthwindWhereQuery,
/// NorthwindSelectQuery, NorthwindAggregateOperatorsQuery, NorthwindMiscellaneousQuery, NorthwindIncludeQuery,
/// NorthwindJoinQuery, NorthwindGroupByQuery, NorthwindSetOperationsQuery): our own queries over our own seed.
/// </summary>
public static partial class NorthwindQueries
{
    /// <summary>The seed, for keys the queries name (its generation is deterministic).</summary>
    private static readonly NorthwindData Seed = new();

    private static IQueryable<Customer> C(IQuerySource s) => s.Set<Customer>();

    private static IQueryable<Order> O(IQuerySource s) => s.Set<Order>();

    private static IQueryable<OrderDetail> D(IQuerySource s) => s.Set<OrderDetail>();

    private static IQueryable<Product> P(IQuerySource s) => s.Set<Product>();

    private static IQueryable<Category> K(IQuerySource s) => s.Set<Category>();

    private static IQueryable<Employee> E(IQuerySource s) => s.Set<Employee>();

    public static IEnumerable<QueryCase> All() =>
        [.. Where(), .. WhereFunctions(), .. Select(), .. SelectShapes(), .. Aggregates(), .. AggregateSelectors(), .. Miscellaneous(),
            .. Paging(), .. Include(), .. IncludeNoTracking(), .. Join(), .. JoinShapes(), .. GroupBy(), .. GroupByKeys(), .. SetOperations(),
            .. SetOperationShapes(), .. EdgeShapes()];

    /// <summary>
    /// The result of a query that fails, as text: the exception's type and message. EF's own errors on empty sets
    /// ("Sequence contains no elements") are part of what a provider must reproduce.
    /// </summary>
    private static string Error(Func<object?> run)
    {
        try
        {
            return "no error: " + run();
        }
        catch (InvalidOperationException e)
        {
            return e.GetType().Name + ": " + e.Message;
        }
    }

    private static QueryCase Q(string family, string name, Func<IQuerySource, object?> run, bool ordered = false) =>
        new(family, name, run) { Ordered = ordered };

    private static QueryCase InMemory(string family, string name, Func<IQuerySource, object?> run, bool ordered = false) =>
        new(family, name, run) { Ordered = ordered, Oracle = Oracle.InMemory };

    public static IEnumerable<QueryCase> Where()
    {
        const string F = "Where";
        var london = "London";
        var cities = new[] { "London", "Berlin", "Nowhere" };
        var cityList = new List<string> { "Madrid", "Zürich" };
        string? nullRegion = null;
        var date = new DateTime(1996, 9, 1);
        var picture = new byte[] { 2, 0, 255 };
        yield return Q(F, "string equality", s => C(s).Where(c => c.City == "London").ToList());
        yield return Q(F, "string equality with closure", s => C(s).Where(c => c.City == london).ToList());
        yield return Q(F, "string inequality", s => C(s).Where(c => c.City != "London").ToList());
        yield return Q(F, "object equality of boxed strings", s => C(s).Where(c => (object)c.City == (object)"London").ToList());
        yield return Q(F, "Equals method", s => C(s).Where(c => c.City.Equals("Paris")).ToList());
        yield return Q(F, "static Equals", s => C(s).Where(c => Equals(c.City, "Paris")).ToList());
        yield return Q(F, "null check", s => C(s).Where(c => c.Region == null).ToList());
        yield return Q(F, "not null check", s => C(s).Where(c => c.Region != null).ToList());
        yield return Q(F, "equality with null parameter", s => C(s).Where(c => c.Region == nullRegion).ToList());
        yield return Q(F, "in array", s => C(s).Where(c => cities.Contains(c.City)).ToList());
        yield return Q(F, "in list", s => C(s).Where(c => cityList.Contains(c.City)).ToList());
        yield return Q(F, "not in array", s => C(s).Where(c => !cities.Contains(c.City)).ToList());
        yield return Q(F, "in inline array", s => C(s).Where(c => new[] { "Paris", "Sevilla" }.Contains(c.City)).ToList());
        yield return Q(F, "StartsWith", s => C(s).Where(c => c.CompanyName.StartsWith("B")).ToList());
        yield return Q(F, "EndsWith", s => C(s).Where(c => c.CompanyName.EndsWith("Trading")).ToList());
        yield return Q(F, "string Contains", s => C(s).Where(c => c.CompanyName.Contains("on")).ToList());
        yield return InMemory(F, "nullable string Contains", s => C(s).Where(c => c.ContactName!.Contains("An")).ToList());
        yield return Q(F, "ToUpper equality", s => C(s).Where(c => c.City.ToUpper() == "PARIS").ToList());
        yield return Q(F, "ToLower equality", s => C(s).Where(c => c.CompanyName.ToLower().StartsWith("ana")).ToList());
        yield return Q(F, "string Length", s => C(s).Where(c => c.City.Length == 6).ToList());
        yield return Q(F, "Substring", s => C(s).Where(c => c.CustomerID.Substring(0, 2) == "BO").ToList());
        yield return Q(F, "IndexOf", s => C(s).Where(c => c.CompanyName.IndexOf("a") == 1).ToList());
        yield return Q(F, "string.IsNullOrEmpty", s => C(s).Where(c => string.IsNullOrEmpty(c.Region)).ToList());
        yield return Q(F, "string comparison Compare", s => C(s).Where(c => string.Compare(c.City, "M") > 0).ToList());
        yield return Q(F, "string comparison CompareTo", s => C(s).Where(c => c.City.CompareTo("Madrid") <= 0).ToList());
        yield return Q(F, "key greater than", s => C(s).Where(c => string.Compare(c.CustomerID, "C") > 0).ToList());
        yield return Q(F, "conjunction", s => C(s).Where(c => c.Country == "Spain" && c.Region == null).ToList());
        yield return Q(F, "disjunction", s => C(s).Where(c => c.Country == "Spain" || c.City == "London").ToList());
        yield return Q(F, "negation", s => C(s).Where(c => !(c.Country == "Spain")).ToList());
        yield return Q(F, "two Wheres", s => C(s).Where(c => c.Country != "UK").Where(c => c.ContactName != null).ToList());
        yield return Q(F, "ternary in predicate", s => C(s).Where(c => (c.Region == null ? "none" : c.Region) == "none").ToList());
        yield return Q(F, "coalesce in predicate", s => C(s).Where(c => (c.Region ?? "R0") == "R0").ToList());
        yield return Q(F, "constant true", s => C(s).Where(c => true).ToList());
        yield return Q(F, "constant false", s => C(s).Where(c => false).ToList());
        yield return Q(F, "int comparisons", s => O(s).Where(o => o.OrderID > 10270 && o.OrderID <= 10290).ToList());
        yield return Q(F, "int key range", s => O(s).Where(o => o.OrderID >= 10300).ToList());
        yield return Q(F, "int key point", s => O(s).Where(o => o.OrderID == 10260).ToList());
        yield return Q(F, "int key missing", s => O(s).Where(o => o.OrderID == 1).ToList());
        yield return Q(F, "int arithmetic", s => O(s).Where(o => o.OrderID % 7 == 3).ToList());
        yield return Q(F, "nullable int equality", s => O(s).Where(o => o.EmployeeID == 5).ToList());
        yield return Q(F, "nullable int null", s => O(s).Where(o => o.EmployeeID == null).ToList());
        yield return Q(F, "nullable int HasValue", s => O(s).Where(o => o.EmployeeID.HasValue && o.EmployeeID.Value > 6).ToList());
        yield return Q(F, "nullable int comparison", s => O(s).Where(o => o.EmployeeID > 4).ToList());
        yield return Q(F, "nullable int GetValueOrDefault", s => O(s).Where(o => o.EmployeeID.GetValueOrDefault() == 0).ToList());
        yield return Q(F, "decimal comparison", s => O(s).Where(o => o.Freight > 100.5m).ToList());
        yield return Q(F, "decimal arithmetic", s => O(s).Where(o => o.Freight * 2 - 10 < 50).ToList());
        yield return Q(F, "nullable decimal", s => P(s).Where(p => p.UnitPrice > 50).ToList());
        yield return Q(F, "nullable decimal null", s => P(s).Where(p => p.UnitPrice == null).ToList());
        yield return Q(F, "short comparison", s => P(s).Where(p => p.UnitsInStock < 20).ToList());
        yield return Q(F, "bool column", s => P(s).Where(p => p.Discontinued).ToList());
        yield return Q(F, "bool negated", s => P(s).Where(p => !p.Discontinued).ToList());
        yield return Q(F, "bool equality", s => P(s).Where(p => p.Discontinued == false).ToList());
        yield return Q(F, "float comparison", s => D(s).Where(d => d.Discount > 0.06f).ToList());
        yield return Q(F, "composite key prefix", s => D(s).Where(d => d.OrderID == 10250).ToList());
        yield return Q(F, "composite key point", s => D(s).Where(d => d.OrderID == 10250 && d.ProductID == D(s).Where(x => x.OrderID == 10250).Min(x => x.ProductID)).ToList());
        yield return Q(F, "composite key second part only", s => D(s).Where(d => d.ProductID == 3).ToList());
        yield return Q(F, "DateTime comparison", s => O(s).Where(o => o.OrderDate > date).ToList());
        yield return Q(F, "DateTime Year", s => O(s).Where(o => o.OrderDate != null && o.OrderDate.Value.Year == 1997).ToList());
        yield return Q(F, "DateTime Month", s => O(s).Where(o => o.OrderDate.HasValue && o.OrderDate.Value.Month == 8).ToList());
        yield return Q(F, "DateTime AddDays", s => O(s).Where(o => o.OrderDate.HasValue && o.OrderDate.Value.AddDays(30) < date).ToList());
        yield return new QueryCase(F, "byte array equality", s => K(s).Where(c => c.Picture == picture).ToList())
        {
            Oracle = Oracle.Explicit,
            Expected = s => K(s).Where(c => c.Picture != null && c.Picture.SequenceEqual(picture)).ToList(),
        };
        yield return Q(F, "byte array null", s => K(s).Where(c => c.Picture == null).ToList());
        yield return Q(F, "byte array length", s => K(s).Where(c => c.Picture != null && c.Picture.Length == 3).ToList());
        // Constructed values compare member by member (EF's specification: Where_compare_constructed_*).
        yield return new QueryCase(F, "anonymous type equality", s => C(s).Where(c => new { c.City, c.Country } == new { City = "London", Country = "UK" }).ToList())
        {
            Oracle = Oracle.Explicit,
            Expected = s => C(s).Where(c => c.City == "London" && c.Country == "UK").ToList(),
        };
        yield return new QueryCase(F, "anonymous type inequality", s => C(s).Where(c => new { c.City, c.Country } != new { City = "London", Country = "UK" }).ToList())
        {
            Oracle = Oracle.Explicit,
            Expected = s => C(s).Where(c => c.City != "London" || c.Country != "UK").ToList(),
        };
        yield return new QueryCase(F, "Tuple.Create equality", s => C(s).Where(c => Tuple.Create(c.City, c.Country) == Tuple.Create("Madrid", "Spain")).ToList())
        {
            Oracle = Oracle.Explicit,
            Expected = s => C(s).Where(c => c.City == "Madrid" && c.Country == "Spain").ToList(),
        };
        yield return new QueryCase(F, "Tuple constructed inequality", s => C(s).Where(c => new Tuple<string, string>(c.City, c.Country) != new Tuple<string, string>("Paris", "France")).ToList())
        {
            Oracle = Oracle.Explicit,
            Expected = s => C(s).Where(c => c.City != "Paris" || c.Country != "France").ToList(),
        };
        yield return Q(F, "anonymous type Equals", s => C(s).Where(c => new { c.City }.Equals(new { City = "Paris" })).ToList());
        yield return Q(F, "tuple Equals", s => C(s).Where(c => ValueTuple.Create(c.City, c.Country).Equals(ValueTuple.Create("Madrid", "Spain"))).ToList());
        yield return Q(F, "math Abs", s => O(s).Where(o => Math.Abs(o.Freight - 100) < 20).ToList());
        yield return Q(F, "math Round", s => O(s).Where(o => Math.Round(o.Freight) == 50).ToList());
        yield return InMemory(F, "navigation reference", s => O(s).Where(o => o.Customer!.City == "London").ToList());
        yield return InMemory(F, "optional navigation null", s => O(s).Where(o => o.Customer == null).ToList());
        yield return InMemory(F, "navigation reference chained", s => D(s).Where(d => d.Order.Customer!.Country == "Spain").ToList());
        yield return Q(F, "navigation required", s => D(s).Where(d => d.Product.Discontinued).ToList());
        yield return InMemory(F, "navigation self reference", s => E(s).Where(e => e.Manager!.FirstName == "Andrew").ToList());
        yield return InMemory(F, "navigation self reference null", s => E(s).Where(e => e.Manager == null).ToList());
        yield return Q(F, "collection Any", s => C(s).Where(c => c.Orders.Any()).ToList());
        yield return Q(F, "collection not Any", s => C(s).Where(c => !c.Orders.Any()).ToList());
        yield return Q(F, "collection Any predicate", s => C(s).Where(c => c.Orders.Any(o => o.Freight > 150)).ToList());
        yield return Q(F, "collection All", s => C(s).Where(c => c.Orders.All(o => o.Freight > 20)).ToList());
        yield return Q(F, "collection Count", s => C(s).Where(c => c.Orders.Count > 4).ToList());
        yield return Q(F, "collection Count predicate", s => C(s).Where(c => c.Orders.Count(o => o.EmployeeID == 3) == 1).ToList());
        yield return Q(F, "collection Sum", s => C(s).Where(c => c.Orders.Sum(o => o.Freight) > 500).ToList());
        yield return Q(F, "nested collection Any", s => C(s).Where(c => c.Orders.Any(o => o.OrderDetails.Any(d => d.Quantity > 55))).ToList());
        yield return Q(F, "correlated subquery Any", s => C(s).Where(c => O(s).Any(o => o.CustomerID == c.CustomerID && o.Freight < 10)).ToList());
        yield return Q(F, "uncorrelated subquery Any", s => C(s).Where(c => O(s).Any(o => o.Freight > 190)).ToList());
        yield return Q(F, "Contains subquery", s => C(s).Where(c => O(s).Where(o => o.EmployeeID == 1).Select(o => o.CustomerID).Contains(c.CustomerID)).ToList());
        yield return Q(F, "subquery First scalar", s => C(s).Where(c => O(s).Where(o => o.CustomerID == c.CustomerID).OrderBy(o => o.OrderID).Select(o => o.EmployeeID).FirstOrDefault() == 4).ToList());
        yield return Q(F, "subquery Max", s => O(s).Where(o => o.Freight == O(s).Where(x => x.CustomerID == o.CustomerID).Max(x => x.Freight)).ToList());
        yield return InMemory(F, "entity equality", s => O(s).Where(o => o.Customer == C(s).OrderBy(c => c.CustomerID).First()).ToList());
        yield return InMemory(F, "entity in list", s => { var customers = C(s).Where(c => c.City == "Paris").ToList(); return O(s).Where(o => customers.Contains(o.Customer!)).Select(o => o.OrderID).ToList(); });
        yield return Q(F, "Where on projection", s => C(s).Select(c => new { c.CustomerID, Upper = c.City.ToUpper() }).Where(x => x.Upper.StartsWith("M")).ToList());
        yield return Q(F, "Where after Take", s => C(s).OrderBy(c => c.CustomerID).Take(10).Where(c => c.Region == null).ToList(), ordered: true);
        yield return Q(F, "Where after Skip", s => O(s).OrderBy(o => o.OrderID).Skip(50).Where(o => o.EmployeeID == 2).ToList(), ordered: true);
        yield return Q(F, "Where after Distinct", s => C(s).Select(c => c.Country).Distinct().Where(x => x.Length > 5).ToList());
        yield return Q(F, "Where with string concat", s => C(s).Where(c => c.City + " " + c.Country == "London UK").ToList());
        yield return Q(F, "Where char comparison", s => C(s).Where(c => c.CustomerID[0] == 'B').ToList());
        yield return Q(F, "Where EF.Property", s => s.IsDatabase ? C(s).Where(c => EF.Property<string>(c, "City") == "Berlin").ToList() : C(s).Where(c => c.City == "Berlin").ToList());
    }
}
