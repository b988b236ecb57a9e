using EFCore.Lsm.Engine;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Migrations;

/// <summary>
/// The drift records (docs/catalog.md, "Drift records"): what a context found against its model when it first used the
/// database is written to the catalog keyspace, so that the <c>lsm</c> tool, which has no model, can report it after the
/// application is gone; a refused model is recorded before the error is thrown; the record goes away once the model
/// matches again; a read-only open writes none.
/// </summary>
public sealed class SchemaDriftRecordTests : IDisposable
{
    private static readonly string ContextName = typeof(ModelVariantContext).FullName!;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public sealed class Article
    {
        public int Id { get; set; }

        public string Title { get; set; } = "";

        public string? Note { get; set; }
    }

    public sealed class Crate
    {
        public int Id { get; set; }

        public Sender Sender { get; set; } = new();
    }

    public sealed class Sender
    {
        public string Name { get; set; } = "";

        public int? Code { get; set; }
    }

    private static void Full(ModelBuilder b) => b.Entity<Article>().Property(a => a.Id).ValueGeneratedNever();

    private static void WithoutNote(ModelBuilder b)
    {
        Full(b);
        b.Entity<Article>().Ignore(a => a.Note);
    }

    // Variants are named for this class: EF caches one model per variant name in the process.
    private ModelVariantContext Open(string variant, Action<ModelBuilder> model, Action<DbContextOptionsBuilder>? options = null) =>
        ModelVariantContext.Create(_temp.Db(), variant, model, options);

    private void Seed()
    {
        using var context = Open("record-full", Full);
        context.Add(new Article { Id = 1, Title = "t", Note = "n" });
        context.SaveChanges();
    }

    /// <summary>The drift records as a process opening the folder afresh reads them (the provider's pool closed first).</summary>
    private SortedDictionary<string, IReadOnlyList<SchemaDriftEntry>> StoredRecords()
    {
        LsmStorePool.Close(_temp.Db());
        using var store = new EngineKeyValueStore(LsmDatabase.Open(_temp.Db(), new LsmOptions { ReadOnly = true }));
        using var view = store.OpenView();
        return SchemaDriftRecord.LoadAll(view);
    }

    [Fact]
    public void A_property_the_model_lacks_is_recorded_durably_and_the_record_goes_when_the_model_has_it_again()
    {
        Seed();
        Assert.Empty(StoredRecords());

        using (var context = Open("record-no-note", WithoutNote))
        {
            Assert.Equal(1, context.Set<Article>().Count());
        }

        var (name, entries) = Assert.Single(StoredRecords());
        Assert.Equal(ContextName, name);
        var entry = Assert.Single(entries);
        Assert.Equal(SchemaDriftKind.PropertyNotInModel, entry.Kind);
        Assert.Equal(typeof(Article).FullName, entry.EntityType);
        Assert.Equal("Note", entry.Property);
        Assert.Equal("Note", entry.Column);
        Assert.Contains("DropColumn(name: \"Note\", table: \"Article\")", entry.Message);

        // Opening again with the same model finds the same drift and leaves the record as it is.
        using (var context = Open("record-no-note", WithoutNote))
        {
            Assert.Equal(1, context.Set<Article>().Count());
        }

        Assert.Equal(entries, Assert.Single(StoredRecords()).Value);

        using (var context = Open("record-full", Full))
        {
            Assert.Equal("n", context.Set<Article>().Single().Note);
        }

        Assert.Empty(StoredRecords());
    }

    [Fact]
    public void An_entity_type_the_model_lacks_and_a_converted_type_are_recorded()
    {
        Seed();
        using (var context = Open("record-int-crate", b => b.Entity<Crate>(c =>
               {
                   c.Property(x => x.Id).ValueGeneratedNever();
                   c.OwnsOne(x => x.Sender);
               })))
        {
            context.Add(new Crate { Id = 1, Sender = new Sender { Name = "a", Code = 7 } });
            context.SaveChanges();
        }

        using (var context = Open("record-long-crate", b =>
               {
                   b.Entity<Crate>(c =>
                   {
                       c.Property(x => x.Id).ValueGeneratedNever();
                       c.OwnsOne(x => x.Sender).Property(s => s.Code).HasConversion<long?>();
                   });
               }))
        {
            Assert.Equal(7, context.Set<Crate>().Single().Sender.Code);
        }

        var entries = Assert.Single(StoredRecords()).Value;
        Assert.Equal(
            [(SchemaDriftKind.EntityTypeNotInModel, typeof(Article).FullName, null, null),
             (SchemaDriftKind.PropertyTypeConverted, typeof(Crate).FullName, "Sender/Code", "Sender_Code")],
            entries.Select(e => (e.Kind, (string?)e.EntityType, e.Property, e.Column)).OrderBy(e => e.Kind).ToList());
    }

    [Fact]
    public void A_refused_look_alike_rename_is_recorded_before_the_error_is_thrown()
    {
        Seed();
        using (var context = Open("record-remark", b =>
               {
                   WithoutNote(b);
                   b.Entity<Article>().Property<string>("Remark");
               }))
        {
            Assert.Throws<InvalidOperationException>(() => context.Set<Article>().ToList());
        }

        var entry = Assert.Single(Assert.Single(StoredRecords()).Value);
        Assert.Equal(SchemaDriftKind.RenameRefused, entry.Kind);
        Assert.Equal("Note", entry.Column);
        Assert.Contains("RenameColumn(name: \"Note\", table: \"Article\", newName: \"Remark\")", entry.Message);
    }

    [Fact]
    public void A_read_only_open_records_nothing_and_a_database_that_does_not_exist_is_not_created()
    {
        Seed();
        using (var context = Open("record-no-note-read-only", WithoutNote, o => o.UseLsm(_temp.Db(), l => l.ReadOnly())))
        {
            Assert.Equal(1, context.Set<Article>().Count());
        }

        Assert.Empty(StoredRecords());

        var missing = _temp.Db("never-created");
        using (var context = ModelVariantContext.Create(missing, "record-no-note", WithoutNote))
        {
            Assert.Equal(0, context.Set<Article>().Count());
        }

        LsmStorePool.Close(missing);
        using var store = new EngineKeyValueStore(LsmDatabase.Open(missing, new LsmOptions()));
        using var view = store.OpenView();
        using var cursor = view.Scan([], CatalogKeys.AllKeysUpperBound);
        Assert.False(cursor.MoveNext());
    }

    [Fact]
    public void The_message_for_a_missing_owned_member_names_its_column()
    {
        // Regression: the warning and GetLsmSchemaDifferences named the stored name (Sender/Code), which no migration can use.
        using (var context = Open("record-crate", b => b.Entity<Crate>(c =>
               {
                   c.Property(x => x.Id).ValueGeneratedNever();
                   c.OwnsOne(x => x.Sender);
               })))
        {
            context.Add(new Crate { Id = 1, Sender = new Sender { Name = "a", Code = 7 } });
            context.SaveChanges();
        }

        using var without = Open("record-crate-no-code", b => b.Entity<Crate>(c =>
        {
            c.Property(x => x.Id).ValueGeneratedNever();
            c.OwnsOne(x => x.Sender).Ignore(s => s.Code);
        }));
        var difference = Assert.Single(without.Database.GetLsmSchemaDifferences());
        Assert.Contains("DropColumn(name: \"Sender_Code\", table: \"Crate\")", difference.Message);
        Assert.DoesNotContain("Sender/Code", difference.Message);
    }
}
