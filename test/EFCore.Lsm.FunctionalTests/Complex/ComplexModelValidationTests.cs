using EFCore.Lsm.FunctionalTests.TestUtilities;
using System.ComponentModel.DataAnnotations.Schema;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace EFCore.Lsm.FunctionalTests.Complex;

/// <summary>
/// Shapes of complex types at the edge of what the provider stores: a complex member with a value converter and a complex
/// property of an owned type are stored; what it does not store is refused by the model validator, naming the property.
/// </summary>
public sealed class ComplexModelValidationTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_complex_property_of_an_owned_type_is_stored_in_the_owned_value()
    {
        using (var db = new ShapeContext(_temp.Db(), "owned"))
        {
            db.Add(new Holder { Id = 1, Owned = new Wrapper { Name = "w", Tag = new Tag { Label = "l" } } });
            db.SaveChanges();
        }

        TestStore.Close(_temp.Db());
        using (var db = new ShapeContext(_temp.Db(), "owned"))
        {
            var holder = db.Set<Holder>().Single(h => h.Owned!.Tag.Label == "l");
            Assert.Equal(("w", "l"), (holder.Owned!.Name, holder.Owned.Tag.Label));
        }
    }

    [Fact]
    public void A_complex_collection_of_an_owned_type_is_refused_naming_it()
    {
        using var db = new ShapeContext(_temp.Db(), "owned collection");
        var error = Assert.Throws<InvalidOperationException>(() => db.Model);
        Assert.Contains("'Wrapper.Tags' is a complex collection (ComplexCollection)", error.Message);
        Assert.Contains("OwnsMany", error.Message);
    }

    [Fact]
    public void A_complex_member_with_a_value_converter_is_stored()
    {
        using (var db = new ShapeContext(_temp.Db(), "converted"))
        {
            db.Add(new Holder { Id = 1, Inner = new Inner { Uri = new Uri("https://example.org/a") } });
            db.SaveChanges();
        }

        TestStore.Close(_temp.Db());
        using (var db = new ShapeContext(_temp.Db(), "converted"))
        {
            Assert.Equal("https://example.org/a", db.Set<Holder>().Single().Inner.Uri!.ToString());
        }
    }

    public class Holder
    {
        public int Id { get; set; }

        public Inner Inner { get; set; } = new();

        public Wrapper? Owned { get; set; }
    }

    public class Wrapper
    {
        public string Name { get; set; } = "";

        // A complex type by attribute: the fluent API of owned types has no ComplexProperty.
        public Tag Tag { get; set; } = new();

        public List<Tag>? Tags { get; set; }
    }

    [ComplexType]
    public class Tag
    {
        public string Label { get; set; } = "";
    }

    public class Inner
    {
        public Uri? Uri { get; set; }
    }

    private sealed class ShapeContext(string path, string shape) : DbContext
    {
        protected override void OnConfiguring(DbContextOptionsBuilder options) =>
            options.UseLsm(path).ReplaceService<IModelCacheKeyFactory, ShapeKeyFactory>();

        public string Shape => shape;

        protected override void OnModelCreating(ModelBuilder model)
        {
            var holder = model.Entity<Holder>();
            holder.Property(h => h.Id).ValueGeneratedNever();
            switch (shape)
            {
                case "owned":
                    holder.ComplexProperty(h => h.Inner, i => i.Property(x => x.Uri).HasConversion<string>());
                    holder.OwnsOne(h => h.Owned, o => o.Ignore(w => w.Tags));
                    break;
                case "owned collection":
                    holder.ComplexProperty(h => h.Inner, i => i.Property(x => x.Uri).HasConversion<string>());
                    holder.OwnsOne(h => h.Owned);
                    break;
                default:
                    holder.ComplexProperty(h => h.Inner, i => i.Property(x => x.Uri).HasConversion<string>());
                    holder.Ignore(h => h.Owned);
                    break;
            }
        }
    }

    private sealed class ShapeKeyFactory : IModelCacheKeyFactory
    {
        public object Create(DbContext context, bool designTime) => (context.GetType(), ((ShapeContext)context).Shape, designTime);
    }
}
