using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.FunctionalTests.Complex;

/// <summary>
/// Complex collections (<c>ComplexCollection</c>) stored in their entity's row as an array of element maps
/// (docs/row_encoding.md, "Complex collections"): the golden vector of the doc's example; saves through EF's change tracking
/// (elements added, removed, replaced, reordered, members changed), null and empty collections, materialized tracking and
/// no-tracking and after reopening, each checked against a model of what was saved.
/// </summary>
public sealed class ComplexCollectionTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public class Order
    {
        public int Id { get; set; }

        public string Name { get; set; } = "";

        public List<Line> Lines { get; set; } = [];

        public List<Note>? Notes { get; set; }
    }

    public class Line
    {
        public string Product { get; set; } = "";

        public int Quantity { get; set; }

        public Size Size { get; set; } = new();

        public Stamp? Stamp { get; set; }
    }

    public class Size
    {
        public double Width { get; set; }
    }

    public class Stamp
    {
        public string By { get; set; } = "";
    }

    public class Note
    {
        public string Text { get; set; } = "";
    }

    private sealed class OrderContext(string path) : DbContext
    {
        public DbSet<Order> Orders => Set<Order>();

        protected override void OnConfiguring(DbContextOptionsBuilder options) => TestStore.Backend.Configure(options, path);

        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            var order = modelBuilder.Entity<Order>();
            order.Property(o => o.Id).ValueGeneratedNever();
            order.ComplexCollection(o => o.Lines, l =>
            {
                l.ComplexProperty(x => x.Size);
                l.ComplexProperty(x => x.Stamp);
            });
            order.ComplexCollection(o => o.Notes).IsRequired(false);
        }
    }

    private static string StoredRowHex(DbContext context, int id)
    {
        var database = (LsmDatabaseWrapper)context.GetService<IDatabase>();
        var mapping = database.GetMapping(context.Model.FindEntityType(typeof(Order))!);
        using var view = database.OpenView();
        return Convert.ToHexString(view.Get(mapping.EncodeKey([id]))!);
    }

    /// <summary>What an order reads back as, element by element, for comparison with what was saved.</summary>
    private static string Describe(Order order) =>
        $"{order.Id}:{order.Name}:["
        + string.Join(",", order.Lines.Select(l => $"{l.Product}x{l.Quantity}@{l.Size.Width}/{l.Stamp?.By ?? "-"}"))
        + "]:" + (order.Notes is null ? "null" : "[" + string.Join(",", order.Notes.Select(n => n.Text)) + "]");

    private static Order Clone(Order order) => new()
    {
        Id = order.Id,
        Name = order.Name,
        Lines = [.. order.Lines.Select(l => new Line
        {
            Product = l.Product, Quantity = l.Quantity, Size = new Size { Width = l.Size.Width },
            Stamp = l.Stamp is null ? null : new Stamp { By = l.Stamp.By },
        })],
        Notes = order.Notes?.Select(n => new Note { Text = n.Text }).ToList(),
    };

    private void AssertStored(IReadOnlyList<Order> expected)
    {
        var want = expected.OrderBy(o => o.Id).Select(Describe).ToList();
        using (var context = new OrderContext(_temp.Db()))
        {
            Assert.Equal(want, context.Orders.OrderBy(o => o.Id).AsEnumerable().Select(Describe).ToList());
            Assert.Equal(want, context.Orders.AsNoTracking().OrderBy(o => o.Id).AsEnumerable().Select(Describe).ToList());
        }

        TestStore.Close(_temp.Db());
        using (var context = new OrderContext(_temp.Db()))
        {
            Assert.Equal(want, context.Orders.AsNoTracking().OrderBy(o => o.Id).AsEnumerable().Select(Describe).ToList());
            Assert.Equal(want, context.Orders.OrderBy(o => o.Id).AsEnumerable().Select(Describe).ToList());
        }
    }

    [Fact]
    public void A_complex_collection_is_an_array_of_element_maps_in_the_row_golden_vector()
    {
        using var context = new OrderContext(_temp.Db());
        context.Orders.Add(new Order
        {
            Id = 1,
            Name = "o",
            Lines = [new Line { Product = "p", Quantity = 2, Size = new Size { Width = 0.5 } }],
            Notes = null,
        });
        context.SaveChanges();

        // Ids: Id 1, Name 2, then Lines 3 with its members Lines[].Product 4, Lines[].Quantity 5, Lines[].Size.Width 6,
        // Lines[].Stamp.By 7, then Notes 8 and Notes[].Text 9.
        Assert.Equal(
            "84" + "0101" + "02A16F" + "0391" + "84" + "04A170" + "0502" + "06CA3F000000" + "07C0" + "08C0",
            StoredRowHex(context, 1));
    }

    [Fact]
    public void Elements_round_trip_in_order_with_nested_values_and_null_and_empty_collections_stay_distinct()
    {
        var orders = new List<Order>
        {
            new()
            {
                Id = 1, Name = "a",
                Lines =
                [
                    new Line { Product = "x", Quantity = 1, Size = new Size { Width = 1.5 }, Stamp = new Stamp { By = "ann" } },
                    new Line { Product = "y", Quantity = 2 },
                    new Line { Product = "x", Quantity = 3, Size = new Size { Width = -2 } },
                ],
                Notes = [new Note { Text = "n1" }],
            },
            new() { Id = 2, Name = "b", Lines = [], Notes = [] },
            new() { Id = 3, Name = "c", Lines = [new Line { Product = "z" }], Notes = null },
        };

        using (var context = new OrderContext(_temp.Db()))
        {
            context.Orders.AddRange(orders.Select(Clone));
            context.SaveChanges();
        }

        AssertStored(orders);
    }

    [Fact]
    public void Changes_tracked_by_EF_are_saved_added_removed_replaced_reordered_elements_and_changed_members()
    {
        var orders = new List<Order>
        {
            new()
            {
                Id = 1, Name = "a",
                Lines = [new Line { Product = "x", Quantity = 1 }, new Line { Product = "y", Quantity = 2 }, new Line { Product = "z", Quantity = 3 }],
                Notes = [new Note { Text = "keep" }],
            },
            new() { Id = 2, Name = "b", Lines = [new Line { Product = "q", Quantity = 9 }], Notes = null },
        };

        using (var context = new OrderContext(_temp.Db()))
        {
            context.Orders.AddRange(orders.Select(Clone));
            context.SaveChanges();
        }

        // Each step changes the tracked entities and the expected model alike, saves, and checks what reads back.
        void Step(Action<Order, Order> change)
        {
            using (var context = new OrderContext(_temp.Db()))
            {
                var tracked = context.Orders.OrderBy(o => o.Id).ToList();
                change(tracked[0], orders[0]);
                change(tracked[1], orders[1]);
                context.SaveChanges();
            }

            AssertStored(orders);
        }

        Step((o, _) => { });
        Step((o, e) =>
        {
            // An element member changes; a nested value is set.
            o.Lines[0].Quantity = 10;
            e.Lines[0].Quantity = 10;
            o.Lines[^1].Size.Width = 4.25;
            e.Lines[^1].Size.Width = 4.25;
            o.Lines[0].Stamp = new Stamp { By = "bo" };
            e.Lines[0].Stamp = new Stamp { By = "bo" };
        });
        Step((o, e) =>
        {
            // An element is added, and one removed.
            o.Lines.Add(new Line { Product = "new", Quantity = 5 });
            e.Lines.Add(new Line { Product = "new", Quantity = 5 });
            o.Lines.RemoveAt(0);
            e.Lines.RemoveAt(0);
        });
        Step((o, e) =>
        {
            // An element is replaced by another instance, and the order changes.
            o.Lines[0] = new Line { Product = "swapped", Quantity = 7 };
            e.Lines[0] = new Line { Product = "swapped", Quantity = 7 };
            o.Lines.Reverse();
            e.Lines.Reverse();
        });
        Step((o, e) =>
        {
            // Only another property changes: the collections stay as stored.
            o.Name += "!";
            e.Name += "!";
        });
        Step((o, e) =>
        {
            // A null collection becomes one, a collection becomes null, another becomes empty.
            o.Notes = o.Notes is null ? [new Note { Text = "was null" }] : null;
            e.Notes = e.Notes is null ? [new Note { Text = "was null" }] : null;
            o.Lines.Clear();
            e.Lines.Clear();
        });
        Step((o, e) =>
        {
            // The whole collection is replaced by a new list.
            o.Lines = [new Line { Product = "fresh", Quantity = 1, Size = new Size { Width = 0.25 } }];
            e.Lines = [new Line { Product = "fresh", Quantity = 1, Size = new Size { Width = 0.25 } }];
        });
    }

    [Fact]
    public void A_changed_element_member_marks_the_entity_modified_and_a_detached_entity_can_be_updated_whole()
    {
        using (var context = new OrderContext(_temp.Db()))
        {
            context.Orders.Add(new Order { Id = 1, Name = "a", Lines = [new Line { Product = "x", Quantity = 1 }] });
            context.SaveChanges();
        }

        using (var context = new OrderContext(_temp.Db()))
        {
            var order = context.Orders.Single();
            order.Lines[0].Quantity = 2;
            context.ChangeTracker.DetectChanges();
            Assert.Equal(EntityState.Modified, context.Entry(order).State);
            context.SaveChanges();
        }

        using (var context = new OrderContext(_temp.Db()))
        {
            context.Update(new Order { Id = 1, Name = "b", Lines = [new Line { Product = "y", Quantity = 3 }], Notes = [] });
            context.SaveChanges();
        }

        AssertStored([new Order { Id = 1, Name = "b", Lines = [new Line { Product = "y", Quantity = 3 }], Notes = [] }]);
    }

    [Fact]
    public void Projecting_the_collection_whole_reads_its_elements()
    {
        using (var context = new OrderContext(_temp.Db()))
        {
            context.Orders.Add(new Order { Id = 1, Name = "a", Lines = [new Line { Product = "x", Quantity = 1 }, new Line { Product = "y" }] });
            context.SaveChanges();
        }

        using (var context = new OrderContext(_temp.Db()))
        {
            var lines = context.Orders.Select(o => o.Lines).Single();
            Assert.Equal(["x", "y"], lines.Select(l => l.Product));
            var projected = context.Orders.Select(o => new { o.Name, o.Lines }).Single();
            Assert.Equal(("a", 2), (projected.Name, projected.Lines.Count));
        }
    }
}
