using EFCore.Lsm.Specification.Tests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Specification.Tests.Owned;

/// <summary>
/// Queries over owned types stored in their owner's row, modelled on EF's OwnedQuery specification tests: owned values
/// loaded with their owner, their members in predicates, orderings, projections and aggregates, owned collections in
/// subqueries and SelectMany, nested owned values, owned values on both sides of a navigation.
/// </summary>
public static class OwnedQueries
{
    private static readonly string[] OrderNavigations = ["ShippingAddress", "ShippingAddress.Geo", "Total"];
    private static readonly string[] CustomerNavigations = ["Addresses", "Addresses.Geo"];
    private static readonly string[] ProductNavigations = ["Size", "Price"];

    private static IQueryable<Order> O(IQuerySource s) => s.Set<Order>();

    private static IQueryable<Customer> C(IQuerySource s) => s.Set<Customer>();

    private static IQueryable<Product> P(IQuerySource s) => s.Set<Product>();

    private static QueryCase Q(string name, Func<IQuerySource, object?> run, bool ordered = false, string[]? navigations = null) =>
        new("Owned", name, run) { Ordered = ordered, Navigations = navigations ?? [] };

    public static IEnumerable<QueryCase> All()
    {
        // Owned values load with their owner, with no Include.
        yield return Q("orders with owned values", s => O(s).ToList(), navigations: OrderNavigations);
        yield return Q("customers with owned collection", s => C(s).ToList(), navigations: CustomerNavigations);
        yield return Q("products with two owned values", s => P(s).ToList(), navigations: ProductNavigations);
        yield return Q("owner by key with owned values", s => O(s).Where(o => o.Id == 3).ToList(), navigations: OrderNavigations);
        yield return Q("owner range with owned values", s => O(s).Where(o => o.Id > 10 && o.Id <= 20).OrderBy(o => o.Id).ToList(), ordered: true, navigations: OrderNavigations);
        yield return Q("first owner", s => O(s).OrderBy(o => o.Id).First(), navigations: OrderNavigations);
        yield return Q("single customer", s => C(s).Single(c => c.Id == 3), navigations: CustomerNavigations);
        yield return Q("take owners", s => C(s).OrderBy(c => c.Id).Take(4).ToList(), ordered: true, navigations: CustomerNavigations);
        yield return Q("skip owners", s => O(s).OrderBy(o => o.Id).Skip(25).ToList(), ordered: true, navigations: OrderNavigations);

        // Owned reference members in predicates.
        yield return Q("owned member equality", s => O(s).Where(o => o.ShippingAddress != null && o.ShippingAddress.City == "Oslo").Select(o => o.Id).ToList());
        yield return Q("owned member inequality", s => O(s).Where(o => o.ShippingAddress != null && o.ShippingAddress.City != "Oslo").Select(o => o.Id).ToList());
        yield return Q("owned is null", s => O(s).Where(o => o.ShippingAddress == null).Select(o => o.Id).ToList());
        yield return Q("owned is not null", s => O(s).Where(o => o.ShippingAddress != null).Select(o => o.Id).ToList());
        yield return Q("owned nullable member is null", s => O(s).Where(o => o.ShippingAddress != null && o.ShippingAddress.Zip == null).Select(o => o.Id).ToList());
        yield return Q("owned member StartsWith", s => O(s).Where(o => o.ShippingAddress != null && o.ShippingAddress.Street.StartsWith("1")).Select(o => o.Id).ToList());
        yield return Q("owned member Contains", s => O(s).Where(o => o.ShippingAddress != null && o.ShippingAddress.Street.Contains("Harbour")).Select(o => o.Id).ToList());
        yield return Q("owned member in list", s => O(s).Where(o => o.ShippingAddress != null && new[] { "Paris", "Rome" }.Contains(o.ShippingAddress.City)).Select(o => o.Id).ToList());
        yield return Q("owned decimal comparison", s => O(s).Where(o => o.Total != null && o.Total.Amount > 500m).Select(o => o.Id).ToList());
        yield return Q("two owned values in one predicate", s => O(s).Where(o => o.Total != null && o.ShippingAddress != null && o.Total.Currency == "EUR" && o.ShippingAddress.City != "Lima").Select(o => o.Id).ToList());
        yield return Q("nested owned member", s => O(s).Where(o => o.ShippingAddress != null && o.ShippingAddress.Geo != null && o.ShippingAddress.Geo.Latitude > 0).Select(o => o.Id).ToList());
        yield return Q("nested owned is null", s => O(s).Where(o => o.ShippingAddress != null && o.ShippingAddress.Geo == null).Select(o => o.Id).ToList());
        yield return Q("owned member and owner member", s => O(s).Where(o => o.ShippingAddress != null && o.ShippingAddress.City == "Bergen" || o.Id < 3).Select(o => o.Id).ToList());
        yield return Q("owned double comparison", s => P(s).Where(p => p.Size != null && p.Size.Width >= 10).Select(p => p.Id).ToList());
        yield return Q("owned int arithmetic", s => P(s).Where(p => p.Size != null && p.Size.Depth * 2 > 8).Select(p => p.Name).ToList());
        yield return Q("owned string length", s => O(s).Where(o => o.ShippingAddress != null && o.ShippingAddress.City.Length == 4).Select(o => o.Id).ToList());

        // Orderings.
        yield return Q("order by owned member", s => O(s).Where(o => o.ShippingAddress != null).OrderBy(o => o.ShippingAddress!.City).ThenBy(o => o.Id).Select(o => o.Id).ToList(), ordered: true);
        yield return Q("order by owned decimal descending", s => O(s).Where(o => o.Total != null).OrderByDescending(o => o.Total!.Amount).Select(o => o.Id).ToList(), ordered: true);
        yield return Q("order by nested owned", s => O(s).Where(o => o.ShippingAddress != null && o.ShippingAddress.Geo != null).OrderBy(o => o.ShippingAddress!.Geo!.Longitude).Select(o => o.Id).ToList(), ordered: true);
        yield return Q("then by owned member", s => P(s).Where(p => p.Price != null).OrderBy(p => p.Price!.Currency).ThenByDescending(p => p.Price!.Amount).Select(p => p.Id).ToList(), ordered: true);
        yield return Q("top by owned member", s => O(s).Where(o => o.Total != null).OrderBy(o => o.Total!.Amount).Take(3).Select(o => o.Id).ToList(), ordered: true);

        // Projections.
        yield return Q("project owned member", s => O(s).Where(o => o.ShippingAddress != null).Select(o => o.ShippingAddress!.City).ToList());
        yield return Q("project owned members into anonymous", s => O(s).Where(o => o.ShippingAddress != null).Select(o => new { o.Id, o.ShippingAddress!.City, o.ShippingAddress.Zip }).ToList());
        yield return Q("project owned decimal", s => O(s).Where(o => o.Total != null).Select(o => o.Total!.Amount).ToList());
        yield return Q("project nested owned member", s => O(s).Where(o => o.ShippingAddress != null && o.ShippingAddress.Geo != null).Select(o => o.ShippingAddress!.Geo!.Latitude).ToList());
        yield return Q("project owner with owned in anonymous", s => O(s).Where(o => o.Id < 6).Select(o => new { o.Id, Order = o }).ToList(), navigations: OrderNavigations);
        yield return Q("project computed from owned", s => P(s).Where(p => p.Size != null).Select(p => new { p.Id, Area = p.Size!.Width * p.Size.Height }).ToList());
        yield return Q("project conditional on owned", s => O(s).Select(o => o.ShippingAddress == null ? "none" : o.ShippingAddress.City).ToList());
        yield return Q("project owned string concat", s => O(s).Where(o => o.ShippingAddress != null).Select(o => o.ShippingAddress!.Street + ", " + o.ShippingAddress.City).ToList());
        yield return Q("distinct owned member", s => O(s).Where(o => o.ShippingAddress != null).Select(o => o.ShippingAddress!.City).Distinct().ToList());

        // Aggregates.
        yield return Q("count with owned predicate", s => O(s).Count(o => o.ShippingAddress != null && o.ShippingAddress.City == "Paris"));
        yield return Q("sum of owned decimal", s => O(s).Where(o => o.Total != null).Sum(o => o.Total!.Amount));
        yield return Q("max of owned double", s => P(s).Where(p => p.Size != null).Max(p => p.Size!.Height));
        yield return Q("min of owned int", s => P(s).Where(p => p.Size != null).Min(p => p.Size!.Depth));
        yield return Q("average of owned decimal", s => P(s).Where(p => p.Price != null).Average(p => p.Price!.Amount));
        yield return Q("any with owned predicate", s => O(s).Any(o => o.Total != null && o.Total.Amount > 900m));
        yield return Q("all with owned predicate", s => P(s).All(p => p.Price != null && p.Price.Amount > 0));
        yield return Q("group by owned member", s => O(s).Where(o => o.ShippingAddress != null).GroupBy(o => o.ShippingAddress!.City).Select(g => new { g.Key, N = g.Count() }).ToList());
        yield return Q("group by owned currency with sum", s => O(s).Where(o => o.Total != null).GroupBy(o => o.Total!.Currency).Select(g => new { g.Key, Sum = g.Sum(o => o.Total!.Amount) }).ToList());

        // Owned collections.
        yield return Q("owned collection any", s => C(s).Where(c => c.Addresses.Any()).Select(c => c.Id).ToList());
        yield return Q("owned collection any with predicate", s => C(s).Where(c => c.Addresses.Any(a => a.City == "Oslo")).Select(c => c.Id).ToList());
        yield return Q("owned collection all", s => C(s).Where(c => c.Addresses.All(a => a.Zip != null)).Select(c => c.Id).ToList());
        yield return Q("owned collection count", s => C(s).Select(c => new { c.Id, N = c.Addresses.Count }).ToList());
        yield return Q("owned collection count in predicate", s => C(s).Where(c => c.Addresses.Count >= 2).Select(c => c.Name).ToList());
        yield return Q("owned collection count with predicate", s => C(s).Select(c => new { c.Id, N = c.Addresses.Count(a => a.Street.Contains("Main")) }).ToList());
        yield return Q("owned collection empty", s => C(s).Where(c => !c.Addresses.Any()).Select(c => c.Id).ToList());
        yield return Q("select many owned collection", s => C(s).SelectMany(c => c.Addresses).Select(a => a.City).ToList());
        yield return Q("select many with owner", s => C(s).SelectMany(c => c.Addresses, (c, a) => new { c.Name, a.Street }).ToList());
        yield return Q("select many filtered", s => C(s).SelectMany(c => c.Addresses.Where(a => a.Zip != null)).Select(a => a.Zip).ToList());
        yield return Q("select many then count", s => C(s).SelectMany(c => c.Addresses).Count());
        yield return Q("select many nested owned", s => C(s).SelectMany(c => c.Addresses).Where(a => a.Geo != null).Select(a => a.Geo!.Latitude).ToList());
        yield return Q("owned collection projected as list", s => C(s).Select(c => new { c.Id, Cities = c.Addresses.Select(a => a.City).ToList() }).ToList());
        yield return Q("owned collection ordered in projection", s => C(s).OrderBy(c => c.Id).Select(c => c.Addresses.OrderBy(a => a.Street).Select(a => a.Street).FirstOrDefault()).ToList(), ordered: true);
        yield return Q("owned collection first element member", s => C(s).Where(c => c.Addresses.Any()).Select(c => new { c.Id, First = c.Addresses.OrderBy(a => a.City).ThenBy(a => a.Street).Select(a => a.City).First() }).ToList());
        yield return Q("owned collection max", s => C(s).Where(c => c.Addresses.Any()).Select(c => new { c.Id, Longest = c.Addresses.Max(a => a.Street.Length) }).ToList());
        yield return Q("owned collection distinct cities", s => C(s).SelectMany(c => c.Addresses).Select(a => a.City).Distinct().ToList());
        yield return Q("order by owned collection count", s => C(s).OrderByDescending(c => c.Addresses.Count).ThenBy(c => c.Id).Select(c => c.Id).ToList(), ordered: true);

        // Owned values across navigations.
        yield return Q("owned member of principal", s => O(s).Where(o => o.Customer!.Addresses.Any(a => a.City == "Paris")).Select(o => o.Id).ToList());
        yield return Q("owned values of dependents", s => C(s).Select(c => new { c.Id, Cities = c.Orders.Where(o => o.ShippingAddress != null).Select(o => o.ShippingAddress!.City).ToList() }).ToList());
        yield return Q("join on owner with owned filter", s => (from o in O(s) join c in C(s) on o.CustomerId equals c.Id where o.Total != null && o.Total.Currency == "NOK" select new { o.Id, c.Name }).ToList());
        yield return new QueryCase("Owned", "include principal with owned values", s => O(s).Include(o => o.Customer).Where(o => o.Id < 8).ToList())
        {
            Navigations = [.. OrderNavigations, "Customer", "Customer.Addresses"],
        };
        yield return new QueryCase("Owned", "include dependents with owned values", s => C(s).Include(c => c.Orders).ToList())
        {
            Navigations = [.. CustomerNavigations, "Orders", "Orders.ShippingAddress", "Orders.Total"],
        };
    }
}
