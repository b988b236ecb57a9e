using EFCore.Lsm.Specification.Tests.TestUtilities;

namespace EFCore.Lsm.Specification.Tests.Northwind;

public static partial class NorthwindQueries
{
    /// <summary>Where with string methods, C# null semantics, conditionals, bools, enums and DateTime parts.</summary>
    public static IEnumerable<QueryCase> WhereFunctions()
    {
        const string F = "Where";
        var prefix = "Bo";
        var suffix = "Markets";
        var flag = true;
        int? noEmployee = null;
        var ids = new List<int> { 10250, 10252, 10300, 1 };
        var none = new List<int>();
        var withNull = new List<int?> { 1, null };
        var freights = new[] { 0m, 32.38m };
        var from = new DateTime(1996, 8, 1);
        var to = new DateTime(1996, 10, 1);
        yield return Q(F, "Trim equality", s => C(s).Where(c => c.City.Trim() == "Paris").ToList());
        yield return Q(F, "TrimStart and TrimEnd", s => C(s).Where(c => c.CompanyName.TrimEnd().TrimStart() == c.CompanyName).Select(c => c.CustomerID).ToList());
        yield return Q(F, "StartsWith parameter", s => C(s).Where(c => c.CompanyName.StartsWith(prefix)).ToList());
        yield return Q(F, "EndsWith parameter", s => C(s).Where(c => c.CompanyName.EndsWith(suffix)).ToList());
        yield return Q(F, "StartsWith column", s => C(s).Where(c => c.CompanyName.ToUpper().StartsWith(c.CustomerID.Substring(0, 1))).Select(c => c.CustomerID).ToList());
        yield return Q(F, "Contains empty string", s => C(s).Where(c => c.CompanyName.Contains("")).Select(c => c.CustomerID).ToList());
        yield return Q(F, "Contains char", s => C(s).Where(c => c.CompanyName.Contains('-')).ToList());
        yield return Q(F, "string.IsNullOrWhiteSpace", s => C(s).Where(c => string.IsNullOrWhiteSpace(c.ContactName)).Select(c => c.CustomerID).ToList());
        yield return Q(F, "concatenation in predicate", s => C(s).Where(c => c.City + "/" + c.Country == "Madrid/Spain").ToList());
        yield return Q(F, "Substring from index", s => C(s).Where(c => c.CustomerID.Substring(3) == "A" || c.CustomerID.Substring(3) == "K").ToList());
        yield return Q(F, "Replace in predicate", s => C(s).Where(c => c.City.Replace("a", "o") == "Poris").ToList());
        yield return Q(F, "IndexOf greater than", s => C(s).Where(c => c.CompanyName.IndexOf("o") > 2).Select(c => c.CompanyName).ToList());
        yield return Q(F, "static string.Equals", s => C(s).Where(c => string.Equals(c.City, "London")).ToList());
        yield return Q(F, "ToLower inequality", s => C(s).Where(c => c.Country.ToLower() != "spain").Select(c => c.CustomerID).ToList());
        yield return Q(F, "char of string", s => C(s).Where(c => c.CustomerID[0] == 'B').Select(c => c.CustomerID).ToList());
        yield return Q(F, "coalesce with column", s => C(s).Where(c => (c.Region ?? c.City) == "London").ToList());
        yield return Q(F, "nullable column equals non-nullable column", s => P(s).Where(p => p.CategoryID == p.ProductID).Select(p => p.ProductID).ToList());
        yield return Q(F, "nullable not equal constant keeps nulls", s => O(s).Where(o => o.EmployeeID != 5).Select(o => o.OrderID).ToList());
        yield return Q(F, "nullable not equal null parameter", s => O(s).Where(o => o.EmployeeID != noEmployee).Select(o => o.OrderID).ToList());
        yield return Q(F, "negated nullable comparison keeps nulls", s => O(s).Where(o => !(o.EmployeeID > 4)).Select(o => o.OrderID).ToList());
        yield return Q(F, "two nullable columns equal", s => C(s).Where(c => c.Region == c.ContactName).Select(c => c.CustomerID).ToList());
        yield return Q(F, "two nullable columns not equal", s => C(s).Where(c => c.Region != c.ContactName).Select(c => c.CustomerID).ToList());
        yield return Q(F, "nullable bool from comparison", s => P(s).Where(p => (p.UnitPrice > 20) == true).Select(p => p.ProductID).ToList());
        yield return Q(F, "conditional on bool", s => P(s).Where(p => p.Discontinued ? p.UnitsInStock > 10 : p.UnitsInStock < 50).Select(p => p.ProductID).ToList());
        yield return Q(F, "nested conditional", s => O(s).Where(o => (o.Freight > 100 ? 2 : o.Freight > 50 ? 1 : 0) == 1).Select(o => o.OrderID).ToList());
        yield return Q(F, "conditional to null", s => C(s).Where(c => (c.Country == "UK" ? null : c.Region) == null).Select(c => c.CustomerID).ToList());
        yield return Q(F, "bool equals comparison", s => P(s).Where(p => p.Discontinued == (p.UnitsInStock > 50)).Select(p => p.ProductID).ToList());
        yield return Q(F, "bool not equal true", s => P(s).Where(p => p.Discontinued != true).Select(p => p.ProductID).ToList());
        yield return Q(F, "bool parameter", s => P(s).Where(p => p.Discontinued == flag).Select(p => p.ProductID).ToList());
        yield return Q(F, "bool double negation", s => P(s).Where(p => !!p.Discontinued).Select(p => p.ProductID).ToList());
        yield return Q(F, "bool and or", s => P(s).Where(p => (p.Discontinued || p.UnitsInStock == 0) && p.CategoryID != null).Select(p => p.ProductID).ToList());
        yield return Q(F, "bool exclusive or", s => P(s).Where(p => p.Discontinued ^ (p.UnitsInStock > 60)).Select(p => p.ProductID).ToList());
        yield return Q(F, "enum of DateTime part", s => O(s).Where(o => o.OrderDate.HasValue && o.OrderDate.Value.DayOfWeek == DayOfWeek.Monday).Select(o => o.OrderID).ToList());
        yield return Q(F, "enum comparison", s => O(s).Where(o => o.OrderDate.HasValue && o.OrderDate.Value.DayOfWeek > DayOfWeek.Thursday).Select(o => o.OrderID).ToList());
        yield return Q(F, "DateTime Day", s => O(s).Where(o => o.OrderDate.HasValue && o.OrderDate.Value.Day < 10).Select(o => o.OrderID).ToList());
        yield return Q(F, "DateTime DayOfYear", s => O(s).Where(o => o.OrderDate.HasValue && o.OrderDate.Value.DayOfYear > 300).Select(o => o.OrderID).ToList());
        yield return Q(F, "DateTime Date", s => O(s).Where(o => o.OrderDate.HasValue && o.OrderDate.Value.Date == new DateTime(1996, 7, 10)).Select(o => o.OrderID).ToList());
        yield return Q(F, "DateTime Hour", s => O(s).Where(o => o.OrderDate.HasValue && o.OrderDate.Value.Hour == 0).Count());
        yield return Q(F, "DateTime AddMonths", s => O(s).Where(o => o.OrderDate.HasValue && o.OrderDate.Value.AddMonths(6) > new DateTime(1997, 3, 1)).Select(o => o.OrderID).ToList());
        yield return Q(F, "DateTime AddYears", s => O(s).Where(o => o.OrderDate.HasValue && o.OrderDate.Value.AddYears(1).Year == 1998).Select(o => o.OrderID).ToList());
        yield return Q(F, "DateTime range parameters", s => O(s).Where(o => o.OrderDate >= from && o.OrderDate < to).Select(o => o.OrderID).ToList());
        yield return Q(F, "nullable DateTime without value", s => O(s).Where(o => !o.OrderDate.HasValue).Select(o => o.OrderID).ToList());
        yield return Q(F, "DateTime constant inequality", s => O(s).Where(o => o.OrderDate != new DateTime(1996, 7, 10)).Select(o => o.OrderID).ToList());
        yield return Q(F, "int in list", s => O(s).Where(o => ids.Contains(o.OrderID)).Select(o => o.OrderID).ToList());
        yield return Q(F, "int in empty list", s => O(s).Where(o => none.Contains(o.OrderID)).ToList());
        yield return Q(F, "int not in empty list", s => O(s).Where(o => !none.Contains(o.OrderID)).Select(o => o.OrderID).ToList());
        yield return Q(F, "nullable in list with null", s => O(s).Where(o => withNull.Contains(o.EmployeeID)).Select(o => o.OrderID).ToList());
        yield return Q(F, "decimal in array", s => O(s).Where(o => freights.Contains(o.Freight)).Select(o => o.OrderID).ToList());
        yield return Q(F, "Math Floor and Ceiling", s => O(s).Where(o => Math.Floor(o.Freight) == 32 || Math.Ceiling(o.Freight) == 11).Select(o => o.OrderID).ToList());
        yield return Q(F, "Math Max", s => P(s).Where(p => Math.Max(p.UnitsInStock, (short)50) == 50).Select(p => p.ProductID).ToList());
        yield return Q(F, "integer division", s => O(s).Where(o => o.OrderID / 10 == 1026).Select(o => o.OrderID).ToList());
        yield return Q(F, "float arithmetic", s => D(s).Where(d => d.Discount * 100 > 9).Select(d => new { d.OrderID, d.ProductID }).ToList());
        yield return Q(F, "cast in predicate", s => D(s).Where(d => (int)d.Quantity * 2 > 100).Select(d => d.Quantity).ToList());
        yield return Q(F, "decimal negation", s => O(s).Where(o => -o.Freight < -190).Select(o => o.OrderID).ToList());
    }
}
