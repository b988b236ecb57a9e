using System.Text.Json;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Complex;

/// <summary>
/// Complex properties stored in their entity's row: every query runs on the store and on LINQ-to-objects over the same seed
/// (tracking and not), before and after the store is reopened and again after changes of members, of whole values and of
/// optional values to and from null.
/// </summary>
public sealed class ComplexTypeTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private ComplexContext Open() => new(new DbContextOptionsBuilder<ComplexContext>().UseTestStore(_temp.Db()).Options);

    private static readonly string[] Cities = ["Oslo", "Bergen", "Rome", "Lima", "Paris"];

    /// <summary>A deterministic seed: every shape of value (optional ones null or not, null members, nested values).</summary>
    private static List<Shipment> Seed() =>
    [
        .. Enumerable.Range(1, 30).Select(i => new Shipment
        {
            Id = i,
            Reference = "R" + (i * 7 % 30).ToString("D2"),
            Origin = Place(i),
            Destination = i % 3 == 0 ? null : Place(i * 5 + 1),
            Size = new Parcel { Width = i % 4 + 1, Height = i % 5 + 2, Weight = i * 0.25m },
            Insurance = i % 4 == 0 ? null : new Cover { Amount = i * 10m, Currency = i % 2 == 0 ? "EUR" : "NOK" },
        }),
    ];

    private static Place Place(int i) => new()
    {
        City = Cities[i % Cities.Length],
        Street = i % 2 == 0 ? null : "Street " + i,
        Number = i % 7,
        Kind = (PlaceKind)(i % 3),
        Geo = new Geo { Latitude = i % 9 * 10.5, Longitude = -i },
    };

    private sealed record QueryCase(string Name, Func<IQueryable<Shipment>, object?> Run, bool Ordered = false);

    private static QueryCase Q(string name, Func<IQueryable<Shipment>, object?> run, bool ordered = false) => new(name, run, ordered);

    private static IEnumerable<QueryCase> Queries()
    {
        // Whole entities with their complex values.
        yield return Q("all", s => s.ToList());
        yield return Q("by key", s => s.Where(x => x.Id == 7).ToList());
        yield return Q("first ordered by member", s => s.OrderBy(x => x.Origin.City).ThenBy(x => x.Id).First());
        yield return Q("single by nested member", s => s.Single(x => x.Id == 4 && x.Origin.Geo.Longitude == -4));

        // Members in predicates.
        yield return Q("member equality", s => s.Where(x => x.Origin.City == "Oslo").Select(x => x.Id).ToList());
        yield return Q("member inequality", s => s.Where(x => x.Origin.City != "Oslo").Select(x => x.Id).ToList());
        yield return Q("member range", s => s.Where(x => x.Origin.Number >= 3 && x.Origin.Number < 6).Select(x => x.Id).ToList());
        yield return Q("nested member", s => s.Where(x => x.Origin.Geo.Latitude > 40).Select(x => x.Id).ToList());
        yield return Q("converted member", s => s.Where(x => x.Origin.Kind == PlaceKind.Depot).Select(x => x.Id).ToList());
        yield return Q("nullable member is null", s => s.Where(x => x.Origin.Street == null).Select(x => x.Id).ToList());
        yield return Q("string method on member", s => s.Where(x => x.Origin.City.StartsWith("B")).Select(x => x.Id).ToList());
        yield return Q("struct member", s => s.Where(x => x.Size.Width * x.Size.Height > 10).Select(x => x.Id).ToList());
        yield return Q("struct decimal member", s => s.Where(x => x.Size.Weight > 3.5m).Select(x => x.Id).ToList());
        yield return Q("optional value is null", s => s.Where(x => x.Destination == null).Select(x => x.Id).ToList());
        yield return Q("optional value is not null", s => s.Where(x => x.Destination != null).Select(x => x.Id).ToList());
        yield return Q("optional member", s => s.Where(x => x.Destination != null && x.Destination.City == "Rome").Select(x => x.Id).ToList());
        yield return Q("optional nested member", s => s.Where(x => x.Destination != null && x.Destination.Geo.Latitude == 0).Select(x => x.Id).ToList());
        yield return Q("optional struct is null", s => s.Where(x => x.Insurance == null).Select(x => x.Id).ToList());
        yield return Q("optional struct has value", s => s.Where(x => x.Insurance.HasValue).Select(x => x.Id).ToList());
        yield return Q("optional struct member", s => s.Where(x => x.Insurance != null && x.Insurance.Value.Currency == "EUR").Select(x => x.Id).ToList());
        yield return Q("members of two values", s => s.Where(x => x.Destination != null && x.Origin.City == x.Destination.City).Select(x => x.Id).ToList());

        // Value equality (complex values have no identity).
        var oslo = Place(5);
        yield return Q("equal to a parameter value", s => s.Where(x => x.Origin == oslo).Select(x => x.Id).ToList());
        yield return Q("not equal to a parameter value", s => s.Where(x => x.Origin != oslo).Select(x => x.Id).ToList());
        yield return Q("two values equal", s => s.Where(x => x.Destination == x.Origin).Select(x => x.Id).ToList());
        var cover = new Cover { Amount = 30m, Currency = "NOK" };
        yield return Q("struct equal to a parameter value", s => s.Where(x => x.Insurance == cover).Select(x => x.Id).ToList());

        // Orderings.
        yield return Q("order by member", s => s.OrderBy(x => x.Origin.City).ThenByDescending(x => x.Id).Select(x => x.Id).ToList(), ordered: true);
        yield return Q("order by nested member", s => s.OrderByDescending(x => x.Origin.Geo.Latitude).ThenBy(x => x.Id).Select(x => x.Id).ToList(), ordered: true);
        yield return Q("order by struct member then take", s => s.OrderBy(x => x.Size.Weight).Take(5).Select(x => x.Id).ToList(), ordered: true);
        yield return Q("order by optional member", s => s.Where(x => x.Insurance != null).OrderBy(x => x.Insurance!.Value.Amount).Select(x => x.Id).ToList(), ordered: true);

        // Projections.
        yield return Q("project member", s => s.Select(x => x.Origin.City).ToList());
        yield return Q("project anonymous of members", s => s.Select(x => new { x.Id, x.Origin.City, x.Size.Width, x.Origin.Geo.Latitude }).ToList());
        yield return Q("project the complex value", s => s.OrderBy(x => x.Id).Select(x => x.Origin).ToList(), ordered: true);
        yield return Q("project the nested value", s => s.Where(x => x.Id < 10).Select(x => x.Origin.Geo).ToList());
        yield return Q("project the optional value", s => s.OrderBy(x => x.Id).Select(x => x.Destination).ToList(), ordered: true);
        yield return Q("project the struct", s => s.Select(x => x.Size).ToList());
        yield return Q("project the optional struct", s => s.OrderBy(x => x.Id).Select(x => x.Insurance).ToList(), ordered: true);
        yield return Q("project value with entity", s => s.Where(x => x.Id % 5 == 0).Select(x => new { x, x.Destination }).ToList());
        yield return Q("project optional member conditionally", s => s.Select(x => x.Destination == null ? "none" : x.Destination.City).ToList());

        // Aggregates.
        yield return Q("count by member", s => s.Count(x => x.Origin.Kind == PlaceKind.Shop));
        yield return Q("count optional", s => s.Count(x => x.Destination != null));
        yield return Q("sum struct member", s => s.Sum(x => x.Size.Weight));
        yield return Q("max nested member", s => s.Max(x => x.Origin.Geo.Latitude));
        yield return Q("any by optional member", s => s.Any(x => x.Insurance != null && x.Insurance.Value.Amount > 250m));
        yield return Q("group by member", s => s.GroupBy(x => x.Origin.City).Select(g => new { g.Key, Count = g.Count() }).ToList());
        yield return Q("distinct members", s => s.Select(x => x.Origin.Kind).Distinct().ToList());
    }

    private static string Serialize(object? value, bool ordered)
    {
        if (value is System.Collections.IEnumerable list and not string)
        {
            var items = list.Cast<object?>().Select(i => JsonSerializer.Serialize(i)).ToList();
            if (!ordered)
            {
                items.Sort(StringComparer.Ordinal);
            }

            return "[" + string.Join(",", items) + "]";
        }

        return JsonSerializer.Serialize(value);
    }

    private void CheckAll(List<Shipment> expected, string when)
    {
        var failures = new List<string>();
        var cases = Queries().ToList();
        foreach (var tracking in new[] { true, false })
        {
            foreach (var query in cases)
            {
                using var context = Open();
                var set = tracking ? context.Shipments : context.Shipments.AsNoTracking();
                var oracle = Serialize(query.Run(expected.AsQueryable()), query.Ordered);
                string actual;
                try
                {
                    actual = Serialize(query.Run(set), query.Ordered);
                }
                catch (Exception e)
                {
                    failures.Add($"{when}, {(tracking ? "tracking" : "no tracking")}: '{query.Name}' threw {e.GetType().Name}: {e.Message}");
                    continue;
                }

                if (actual != oracle)
                {
                    failures.Add($"{when}, {(tracking ? "tracking" : "no tracking")}: '{query.Name}'\n  expected {oracle}\n  actual   {actual}");
                }
            }
        }

        Assert.True(cases.Count >= 30, $"{cases.Count} queries");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Every_query_matches_linq_to_objects_before_and_after_reopening_and_after_changes()
    {
        var expected = Seed();
        using (var context = Open())
        {
            context.Shipments.AddRange(Seed());
            context.SaveChanges();
        }

        CheckAll(expected, "fresh");
        TestStore.Close(_temp.Db());
        CheckAll(expected, "reopened");

        using (var context = Open())
        {
            foreach (var list in new[] { context.Shipments.ToList(), expected })
            {
                var byId = list.ToDictionary(x => x.Id);
                byId[1].Origin.City = "Tromsø";
                byId[2].Origin.Geo.Latitude = 88;
                byId[3].Destination = new Place { City = "Nice", Number = 9, Geo = new Geo { Latitude = 43.7 } };
                byId[4].Destination = null;
                byId[5].Origin = new Place { City = "Lima", Street = "Calle", Kind = PlaceKind.Shop };
                byId[6].Size = new Parcel { Width = 40, Height = 1, Weight = 99m };
                byId[7].Insurance = null;
                byId[8].Insurance = new Cover { Amount = 1m, Currency = "SEK" };
                byId[11].Destination!.Street = null;
                byId[10].Origin.Kind = PlaceKind.Home;
            }

            context.SaveChanges();
        }

        CheckAll(expected, "changed");
        TestStore.Close(_temp.Db());
        CheckAll(expected, "changed and reopened");
    }

    [Fact]
    public void A_change_of_a_member_marks_the_entity_modified_and_only_that_member()
    {
        using (var context = Open())
        {
            context.Shipments.AddRange(Seed().Take(3));
            context.SaveChanges();
        }

        using (var context = Open())
        {
            var shipment = context.Shipments.Single(x => x.Id == 1);
            shipment.Origin.Geo.Longitude = 5;
            context.ChangeTracker.DetectChanges();
            var entry = context.Entry(shipment);
            Assert.Equal(EntityState.Modified, entry.State);
            Assert.True(entry.ComplexProperty(x => x.Origin).ComplexProperty(x => x.Geo).Property(x => x.Longitude).IsModified);
            Assert.False(entry.ComplexProperty(x => x.Origin).Property(x => x.City).IsModified);
            Assert.False(entry.Property(x => x.Reference).IsModified);
            context.SaveChanges();
        }

        using (var context = Open())
        {
            var shipment = context.Shipments.AsNoTracking().Single(x => x.Id == 1);
            Assert.Equal(5, shipment.Origin.Geo.Longitude);
            Assert.Equal(Place(1).City, shipment.Origin.City);
        }
    }

    [Fact]
    public void ExecuteDelete_filters_by_members_and_ExecuteUpdate_sets_a_member_of_a_required_complex_value()
    {
        using (var context = Open())
        {
            context.Shipments.AddRange(Seed());
            context.SaveChanges();
        }

        using (var context = Open())
        {
            var expected = Seed().Count(x => x.Origin.City == "Rome" && x.Destination != null);
            Assert.Equal(expected, context.Shipments.Where(x => x.Origin.City == "Rome" && x.Destination != null).ExecuteDelete());
            Assert.Equal(
                Seed().Where(x => !(x.Origin.City == "Rome" && x.Destination != null)).Select(x => x.Id).Order(),
                context.Shipments.Select(x => x.Id).ToList().Order());

            // A member of a required complex value is a value of the row: ExecuteUpdate sets it and keeps the rest.
            var remaining = Seed().Where(x => !(x.Origin.City == "Rome" && x.Destination != null)).ToList();
            Assert.Equal(remaining.Count, context.Shipments.ExecuteUpdate(u => u.SetProperty(x => x.Origin.City, x => x.Origin.City + "!")));
            Assert.Equal(
                remaining.OrderBy(x => x.Id).Select(x => (x.Id, x.Origin.City + "!", x.Destination?.City)),
                context.Shipments.AsNoTracking().OrderBy(x => x.Id).AsEnumerable().Select(x => (x.Id, x.Origin.City, x.Destination?.City)));
        }
    }

    [Fact]
    public void A_projected_complex_value_is_not_tracked_and_its_entity_is_not_either()
    {
        using (var context = Open())
        {
            context.Shipments.AddRange(Seed().Take(3));
            context.SaveChanges();
        }

        using (var context = Open())
        {
            var origin = context.Shipments.Where(x => x.Id == 2).Select(x => x.Origin).Single();
            Assert.Empty(context.ChangeTracker.Entries());
            origin.City = "Changed";
            context.SaveChanges();
        }

        using (var context = Open())
        {
            Assert.Equal(Place(2).City, context.Shipments.Single(x => x.Id == 2).Origin.City);
        }
    }
}
