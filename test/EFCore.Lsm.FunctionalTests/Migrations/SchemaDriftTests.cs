using EFCore.Lsm.Diagnostics;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Metadata;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;

namespace EFCore.Lsm.FunctionalTests.Migrations;

/// <summary>
/// A model that no longer matches the database never loses data without a migration: a property the model lacks keeps its
/// values (also through saves of its rows) and gets them back when the model has it again; a look-alike rename of a
/// property or an entity type with data is refused naming the migration to write; a new non-nullable property reads as its
/// default; a retyped property converts when no value can change and is refused otherwise. Each difference the provider
/// tolerates is logged as a warning.
/// </summary>
public sealed class SchemaDriftTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public sealed class Article
    {
        public int Id { get; set; }

        public string Title { get; set; } = "";

        public string? Note { get; set; }

        public int Views { get; set; }
    }

    public sealed class Post
    {
        public int Id { get; set; }

        public string Title { get; set; } = "";

        public string? Note { get; set; }

        public int Views { get; set; }
    }

    public sealed class Counter
    {
        public int Id { get; set; }

        public long Hits { get; set; }
    }

    private static void Full(ModelBuilder b) => b.Entity<Article>().Property(a => a.Id).ValueGeneratedNever();

    private static void WithoutNote(ModelBuilder b)
    {
        Full(b);
        b.Entity<Article>().Ignore(a => a.Note);
    }

    private ModelVariantContext Open(string variant, Action<ModelBuilder> model, Action<DbContextOptionsBuilder>? options = null) =>
        ModelVariantContext.Create(_temp.Db(), variant, model, options);

    private void Seed(int rows = 3)
    {
        using var context = Open("full", Full);
        for (var i = 1; i <= rows; i++)
        {
            context.Add(new Article { Id = i, Title = "t" + i, Note = "note " + i, Views = i * 10 });
        }

        context.SaveChanges();
    }

    [Fact]
    public void A_property_missing_from_the_model_keeps_its_values_through_saves_and_returns_with_the_property()
    {
        // Regression: registration retired the property's id, so its values were gone for every row, and re-adding it read
        // null. Failed before: the notes read null after the round trip.
        Seed();
        using (var context = Open("no-note", WithoutNote))
        {
            var first = context.Set<Article>().Single(a => a.Id == 1);
            first.Title = "changed";                      // an update of a row through a model without Note
            context.Add(new Article { Id = 4, Title = "t4" });
            context.Remove(context.Set<Article>().Single(a => a.Id == 3));
            context.SaveChanges();
        }

        using (var context = Open("full", Full))
        {
            var articles = context.Set<Article>().AsNoTracking().OrderBy(a => a.Id).ToList();
            Assert.Equal([1, 2, 4], articles.Select(a => a.Id));
            Assert.Equal(["note 1", "note 2", null], articles.Select(a => a.Note));
            Assert.Equal("changed", articles[0].Title);
        }
    }

    [Fact]
    public void The_tolerated_differences_are_logged_as_warnings_with_their_event_ids()
    {
        Seed();
        var events = new List<EventId>();
        var messages = new List<string>();
        using (var context = Open("no-note", WithoutNote, o => o.LogTo(
                   (id, _) => id == LsmEventId.PropertyNotInModel || id == LsmEventId.EntityTypeNotInModel,
                   e =>
                   {
                       events.Add(e.EventId);
                       messages.Add(e.ToString());
                   })))
        {
            Assert.Equal(3, context.Set<Article>().Count());
            var differences = context.Database.GetLsmSchemaDifferences();
            var note = Assert.Single(differences);
            Assert.Equal(LsmSchemaDifferenceKind.PropertyNotInModel, note.Kind);
            Assert.Equal("Note", note.Property);
        }

        Assert.Equal([LsmEventId.PropertyNotInModel], events);
        Assert.Contains("DropColumn(name: \"Note\", table: \"Article\")", messages[0]);

        // An entity type the model no longer has: rows kept, warned.
        events.Clear();
        using (var context = Open("only-counter", b => b.Entity<Counter>(), o => o.LogTo(
                   (id, _) => id == LsmEventId.EntityTypeNotInModel,
                   e => events.Add(e.EventId))))
        {
            context.Add(new Counter { Id = 1 });
            context.SaveChanges();
        }

        Assert.Equal([LsmEventId.EntityTypeNotInModel], events);
        using (var context = Open("full", Full))
        {
            Assert.Equal(3, context.Set<Article>().Count());
        }
    }

    [Fact]
    public void A_renamed_property_with_data_is_refused_naming_the_RenameColumn_migration()
    {
        // Regression: renaming Note to Remark read null for every row, with the notes still on disk. Failed before: no error.
        Seed();
        using var context = Open("remark", b =>
        {
            WithoutNote(b);
            b.Entity<Article>().Property<string>("Remark");
        });
        var e = Assert.Throws<InvalidOperationException>(() => context.Set<Article>().ToList());
        Assert.Contains("RenameColumn(name: \"Note\", table: \"Article\", newName: \"Remark\")", e.Message);
        Assert.Contains("DropColumn(name: \"Note\", table: \"Article\")", e.Message);
    }

    [Fact]
    public void A_renamed_entity_type_with_rows_is_refused_naming_the_RenameTable_migration()
    {
        // Regression: renaming the class made Count() return 0 with the rows still on disk under the old name.
        Seed();
        using (var context = Open("post", b => b.Entity<Post>().Property(p => p.Id).ValueGeneratedNever()))
        {
            var e = Assert.Throws<InvalidOperationException>(() => context.Set<Post>().Count());
            Assert.Contains("RenameTable(name: \"Article\", newName: \"Post\")", e.Message);
            Assert.Contains(typeof(Article).FullName!, e.Message);
        }

        using (var context = Open("full", Full))
        {
            Assert.Equal(3, context.Set<Article>().Count());
        }
    }

    [Fact]
    public void A_new_non_nullable_property_reads_as_its_CLR_default_or_its_configured_default()
    {
        // Regression: every query of the entity failed with NullReferenceException inside the query enumerator.
        using (var context = Open("counter-v1", b => b.Entity<Counter>().Ignore(c => c.Hits)))
        {
            context.Add(new Counter { Id = 1 });
            context.SaveChanges();
        }

        using (var context = Open("counter-v2", b => b.Entity<Counter>()))
        {
            Assert.Equal(0L, context.Set<Counter>().Single().Hits);
            Assert.Equal(1, context.Set<Counter>().Count(c => c.Hits == 0));
        }

        using (var context = Open("counter-v3", b => b.Entity<Counter>().Property(c => c.Hits).HasDefaultValue(42L)))
        {
            Assert.Equal(42L, context.Set<Counter>().AsNoTracking().Single().Hits);
            var counter = context.Set<Counter>().Single();
            counter.Hits++;
            context.SaveChanges();
        }

        using (var context = Open("counter-v2", b => b.Entity<Counter>()))
        {
            Assert.Equal(43L, context.Set<Counter>().Single().Hits);
        }
    }

    public sealed class Gauge
    {
        public int Id { get; set; }

        public int Level { get; set; }
    }

    public sealed class WideGauge
    {
        public int Id { get; set; }

        public long Level { get; set; }
    }

    [Fact]
    public void A_widened_property_type_converts_and_a_lossy_one_is_refused_naming_the_property()
    {
        // Regression: int → long made every query of the entity fail with NullReferenceException.
        using (var context = Open("gauge-int", b => b.Entity<Gauge>(e =>
               {
                   e.ToTable("Gauge");
                   e.Property(g => g.Id).ValueGeneratedNever();
               })))
        {
            context.Add(new Gauge { Id = 1, Level = int.MaxValue });
            context.SaveChanges();
        }

        using (var context = Open("gauge-long", b => b.Entity<Gauge>(e =>
               {
                   e.Property(g => g.Id).ValueGeneratedNever();
                   e.Property(g => g.Level).HasConversion<long>();
               })))
        {
            var gauge = context.Set<Gauge>().Single();
            Assert.Equal(int.MaxValue, gauge.Level);
            var difference = Assert.Single(context.Database.GetLsmSchemaDifferences());
            Assert.Equal(LsmSchemaDifferenceKind.PropertyTypeConverted, difference.Kind);
        }

        using (var context = Open("gauge-text", b => b.Entity<Gauge>(e =>
               {
                   e.Property(g => g.Id).ValueGeneratedNever();
                   e.Property(g => g.Level).HasConversion<string>();
               })))
        {
            var e = Assert.Throws<InvalidOperationException>(() => context.Set<Gauge>().ToList());
            Assert.Contains("Gauge.Level", e.Message);
            Assert.Contains("AlterColumn", e.Message);
        }
    }

    public sealed class Meter
    {
        public int Id { get; set; }
    }

    [Fact]
    public void A_value_that_does_not_fit_the_stored_type_is_refused_until_a_migration_converts_the_rows()
    {
        // The model's Reading goes from int to long (shadow properties here, as a class whose property became long has).
        using (var context = Open("meter-int", b => b.Entity<Meter>(e =>
               {
                   e.Property(m => m.Id).ValueGeneratedNever();
                   e.Property<int>("Reading");
               })))
        {
            var meter = new Meter { Id = 1 };
            context.Add(meter).Property<int>("Reading").CurrentValue = 5;
            context.SaveChanges();
        }

        using var wide = Open("meter-long", b => b.Entity<Meter>(e =>
        {
            e.Property(m => m.Id).ValueGeneratedNever();
            e.Property<long>("Reading");
        }));
        var stored = wide.Set<Meter>().Single();
        var reading = wide.Entry(stored).Property<long>("Reading");
        Assert.Equal(5L, reading.CurrentValue);
        reading.CurrentValue = int.MaxValue;
        wide.SaveChanges();
        reading.CurrentValue = 5_000_000_000L;
        var e = Assert.Throws<DbUpdateException>(() => wide.SaveChanges());
        Assert.Contains("property 'Reading'", e.Message);
        Assert.Contains("AlterColumn", e.Message);
    }
}
