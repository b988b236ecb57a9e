using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Owned;

/// <summary>
/// Saves of owned values: the owner's concurrency token guards a change of an owned entry only, owned types with key
/// properties of their own, an owned entity without its owner, ExecuteUpdate of an owner keeping its owned values.
/// </summary>
public sealed class OwnedSaveTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private OwnedContext Open() => new(new DbContextOptionsBuilder<OwnedContext>().UseTestStore(_temp.Db()).Options);

    private KeyedContext OpenKeyed() => new(new DbContextOptionsBuilder<KeyedContext>().UseTestStore(_temp.Db("keyed")).Options);

    [Fact]
    public void A_change_of_an_owned_entry_only_checks_the_owner_concurrency_token()
    {
        using (var context = Open())
        {
            context.Orders.Add(new Order { Id = 1, Product = "lamp", Version = 1, ShippingAddress = new Address { City = "Oslo" } });
            context.SaveChanges();
        }

        using var first = Open();
        using var second = Open();
        var mine = first.Orders.Single();
        var theirs = second.Orders.Single();
        theirs.Version = 2;
        second.SaveChanges();

        mine.ShippingAddress!.City = "Bergen";
        Assert.Throws<DbUpdateConcurrencyException>(() => first.SaveChanges());

        using var check = Open();
        var stored = check.Orders.AsNoTracking().Single();
        Assert.Equal((2, "Oslo"), (stored.Version, stored.ShippingAddress!.City));
    }

    [Fact]
    public void ExecuteUpdate_of_an_owner_keeps_its_owned_values()
    {
        using (var context = Open())
        {
            context.Orders.Add(new Order { Id = 1, Product = "lamp", ShippingAddress = new Address { City = "Oslo" } });
            context.Customers.Add(new Customer { Id = 1, Name = "Ada", Addresses = [new Address { City = "Rome" }] });
            context.SaveChanges();
            Assert.Equal(1, context.Orders.ExecuteUpdate(s => s.SetProperty(o => o.Product, "desk")));
            Assert.Equal(1, context.Customers.ExecuteUpdate(s => s.SetProperty(c => c.Name, "Bea")));
        }

        using (var context = Open())
        {
            var order = context.Orders.AsNoTracking().Single();
            Assert.Equal(("desk", "Oslo"), (order.Product, order.ShippingAddress!.City));
            var customer = context.Customers.AsNoTracking().Single();
            Assert.Equal(("Bea", "Rome"), (customer.Name, customer.Addresses.Single().City));
        }
    }

    [Fact]
    public void Deleting_an_owner_deletes_its_owned_values_and_an_owned_entity_cannot_be_saved_alone()
    {
        using (var context = Open())
        {
            context.Customers.Add(new Customer { Id = 1, Name = "Ada", Addresses = [new Address { City = "Rome" }] });
            context.SaveChanges();
        }

        using (var context = Open())
        {
            context.Remove(context.Customers.Single());
            context.SaveChanges();
            Assert.Empty(context.Customers.ToList());
            Assert.Empty(context.Customers.AsNoTracking().SelectMany(c => c.Addresses).ToList());
        }

        // EF itself refuses an owned entity that has no owner, before the provider sees it.
        using (var context = Open())
        {
            var error = Assert.ThrowsAny<InvalidOperationException>(() => context.Add(new Address { City = "Nowhere" }));
            Assert.Contains("Address", error.Message);
        }
    }

    [Fact]
    public void Owned_collection_elements_with_keys_of_their_own_round_trip_and_change_one_at_a_time()
    {
        using (var context = OpenKeyed())
        {
            context.Add(new Shelf { Id = 1, Books = [new ShelfBook { Isbn = "b", Title = "B" }, new ShelfBook { Isbn = "a", Title = "A" }] });
            context.SaveChanges();
        }

        TestStore.Close(_temp.Db("keyed"));
        using (var context = OpenKeyed())
        {
            var shelf = context.Set<Shelf>().Single();
            Assert.Equal(["a", "b"], shelf.Books.Select(b => b.Isbn).Order());
            shelf.Books.Single(b => b.Isbn == "a").Title = "A2";
            shelf.Books.Remove(shelf.Books.Single(b => b.Isbn == "b"));
            context.SaveChanges();
        }

        using (var context = OpenKeyed())
        {
            Assert.Equal(["a:A2"], context.Set<Shelf>().AsNoTracking().Single().Books.Select(b => b.Isbn + ":" + b.Title));
            Assert.Equal(["A2"], context.Set<Shelf>().SelectMany(s => s.Books).Where(b => b.Isbn == "a").Select(b => b.Title).ToList());
        }
    }

    public class Shelf
    {
        public int Id { get; set; }

        public List<ShelfBook> Books { get; set; } = [];
    }

    public class ShelfBook
    {
        public string Isbn { get; set; } = "";

        public string Title { get; set; } = "";
    }

    private sealed class KeyedContext(DbContextOptions options) : DbContext(options)
    {
        protected override void OnModelCreating(ModelBuilder modelBuilder) =>
            modelBuilder.Entity<Shelf>(b =>
            {
                b.Property(s => s.Id).ValueGeneratedNever();
                b.OwnsMany(s => s.Books, book =>
                {
                    book.WithOwner().HasForeignKey("ShelfId");
                    book.HasKey("ShelfId", nameof(ShelfBook.Isbn));
                });
            });
    }
}
