using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Owned;

/// <summary>
/// Owned types stored inside their owner's row: saved with the owner, loaded with it (no Include), changed one owned entry
/// at a time, queried by their members, before and after the store is reopened.
/// </summary>
public sealed class OwnedTypeTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private OwnedContext Open() => new(new DbContextOptionsBuilder<OwnedContext>().UseTestStore(_temp.Db()).Options);

    private void Seed()
    {
        using var context = Open();
        context.Orders.Add(new Order
        {
            Id = 1,
            Product = "lamp",
            ShippingAddress = new Address { City = "Oslo", Street = "Main", Number = 3, Kind = AddressKind.Work, Geo = new Geo { Latitude = 59.9, Longitude = 10.7 } },
        });
        context.Orders.Add(new Order { Id = 2, Product = "desk", ShippingAddress = new Address { City = "Bergen", Number = 8 } });
        context.Orders.Add(new Order { Id = 3, Product = "chair" });
        context.Customers.Add(new Customer
        {
            Id = 1,
            Name = "Ada",
            Addresses =
            [
                new Address { City = "Oslo", Number = 1 },
                new Address { City = "Paris", Number = 2, Geo = new Geo { Latitude = 48.8, Longitude = 2.3 } },
            ],
        });
        context.Customers.Add(new Customer { Id = 2, Name = "Bob" });
        context.SaveChanges();
    }

    [Fact]
    public void Owned_references_and_collections_round_trip_after_reopen_tracking_and_not()
    {
        Seed();
        TestStore.Close(_temp.Db());
        foreach (var tracking in new[] { true, false })
        {
            using var context = Open();
            var orders = (tracking ? context.Orders : context.Orders.AsNoTracking()).OrderBy(o => o.Id).ToList();
            Assert.Equal(3, orders.Count);
            var first = orders[0].ShippingAddress!;
            Assert.Equal(("Oslo", "Main", 3, AddressKind.Work), (first.City, first.Street, first.Number, first.Kind));
            Assert.Equal(59.9, first.Geo!.Latitude);
            Assert.Equal("Bergen", orders[1].ShippingAddress!.City);
            Assert.Null(orders[1].ShippingAddress!.Geo);
            Assert.Null(orders[2].ShippingAddress);

            var customers = (tracking ? context.Customers : context.Customers.AsNoTracking()).OrderBy(c => c.Id).ToList();
            Assert.Equal(["Oslo", "Paris"], customers[0].Addresses.Select(a => a.City).OrderBy(c => c));
            Assert.Equal(48.8, customers[0].Addresses.Single(a => a.City == "Paris").Geo!.Latitude);
            Assert.Empty(customers[1].Addresses);
        }
    }

    [Fact]
    public void Changing_one_owned_entry_rewrites_the_owner_row()
    {
        Seed();
        using (var context = Open())
        {
            var order = context.Orders.Single(o => o.Id == 1);
            order.ShippingAddress!.City = "Trondheim";
            order.ShippingAddress.Geo = null;
            context.Orders.Single(o => o.Id == 3).ShippingAddress = new Address { City = "Tromsø", Number = 9 };
            context.Orders.Single(o => o.Id == 2).ShippingAddress = null;

            var ada = context.Customers.Single(c => c.Id == 1);
            ada.Addresses.Remove(ada.Addresses.Single(a => a.City == "Oslo"));
            ada.Addresses.Single(a => a.City == "Paris").Number = 20;
            ada.Addresses.Add(new Address { City = "Rome", Number = 5 });
            context.Customers.Single(c => c.Id == 2).Addresses.Add(new Address { City = "Lima" });
            context.SaveChanges();
        }

        TestStore.Close(_temp.Db());
        using (var context = Open())
        {
            var orders = context.Orders.AsNoTracking().OrderBy(o => o.Id).ToList();
            Assert.Equal("Trondheim", orders[0].ShippingAddress!.City);
            Assert.Null(orders[0].ShippingAddress!.Geo);
            Assert.Null(orders[1].ShippingAddress);
            Assert.Equal("Tromsø", orders[2].ShippingAddress!.City);
            Assert.Equal("lamp", orders[0].Product);

            var customers = context.Customers.OrderBy(c => c.Id).ToList();
            Assert.Equal(["Paris:20", "Rome:5"], customers[0].Addresses.Select(a => a.City + ":" + a.Number).OrderBy(c => c));
            Assert.Equal(["Lima"], customers[1].Addresses.Select(a => a.City));

            // The generated ordinal keys of the elements stay unique within the owner.
            var keys = customers[0].Addresses.Select(a => context.Entry(a).Property<int>("Id").CurrentValue).ToList();
            Assert.Equal(keys.Count, keys.Distinct().Count());

            // And a change after reopening (elements loaded with their stored keys) still works.
            customers[0].Addresses.Add(new Address { City = "Nice" });
            context.SaveChanges();
        }

        using (var context = Open())
        {
            Assert.Equal(3, context.Customers.Single(c => c.Id == 1).Addresses.Count);
        }
    }

    [Fact]
    public void Owned_members_are_queryable()
    {
        Seed();
        TestStore.Close(_temp.Db());
        using var context = Open();
        Assert.Equal([1], context.Orders.Where(o => o.ShippingAddress!.City == "Oslo").Select(o => o.Id).ToList());
        Assert.Equal([2, 1], context.Orders.Where(o => o.ShippingAddress != null).OrderByDescending(o => o.ShippingAddress!.Number).Select(o => o.Id).ToList());
        Assert.Equal(["Bergen", "Oslo"], context.Orders.Where(o => o.ShippingAddress != null).Select(o => o.ShippingAddress!.City).OrderBy(c => c).ToList());
        Assert.Equal([3], context.Orders.Where(o => o.ShippingAddress == null).Select(o => o.Id).ToList());
        Assert.Equal(["Oslo"], context.Orders.Where(o => o.ShippingAddress!.Geo!.Latitude > 50).Select(o => o.ShippingAddress!.City).ToList());
        var projected = context.Orders.AsNoTracking().Where(o => o.Id == 1).Select(o => o.ShippingAddress).Single();
        Assert.Equal("Main", projected!.Street);

        // As EF says for every provider: a tracking query cannot return an owned entity without its owner.
        Assert.Contains("owned entities cannot be tracked without their owner", Assert.Throws<InvalidOperationException>(
            () => context.Orders.Select(o => o.ShippingAddress).ToList()).Message);

        Assert.Equal([1], context.Customers.Where(c => c.Addresses.Any(a => a.City == "Paris")).Select(c => c.Id).ToList());
        Assert.Equal([2], context.Customers.Where(c => c.Addresses.Count == 0).Select(c => c.Id).ToList());
        Assert.Equal(
            ["Oslo", "Paris"],
            context.Customers.SelectMany(c => c.Addresses).Select(a => a.City).OrderBy(c => c).ToList());
        Assert.Equal(
            [("Ada", 2), ("Bob", 0)],
            context.Customers.OrderBy(c => c.Name).Select(c => new { c.Name, Count = c.Addresses.Count() }).AsEnumerable().Select(x => (x.Name, x.Count)).ToList());
        Assert.Equal(3, context.Customers.SelectMany(c => c.Addresses.Select(a => a.Number)).Sum());
    }
}
