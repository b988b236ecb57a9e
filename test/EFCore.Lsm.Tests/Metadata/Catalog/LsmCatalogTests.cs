using EFCore.Lsm.Engine;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using MessagePack;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace EFCore.Lsm.Tests.Metadata.Catalog;

public sealed class LsmCatalogTests
{
    private sealed class A
    {
        public int Id { get; set; }

        public string? Name { get; set; }

        public int Count { get; set; }
    }

    private sealed class B
    {
        public string Key { get; set; } = "";

        public int Part { get; set; }
    }

    private static IModel Model(Action<ModelBuilder> configure)
    {
        var options = new DbContextOptionsBuilder().UseLsm("unused-" + Guid.NewGuid().ToString("N")).Options;
        using var context = new ModelContext(options, configure);
        return context.Model;
    }

    private sealed class ModelContext(DbContextOptions options, Action<ModelBuilder> configure) : DbContext(options)
    {
        protected override void OnModelCreating(ModelBuilder modelBuilder) => configure(modelBuilder);

        // Each test builds its own model.
        protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) =>
            optionsBuilder.ReplaceService<Microsoft.EntityFrameworkCore.Infrastructure.IModelCacheKeyFactory, UniqueKeyFactory>();
    }

    private sealed class UniqueKeyFactory : Microsoft.EntityFrameworkCore.Infrastructure.IModelCacheKeyFactory
    {
        public object Create(DbContext context, bool designTime) => new object();
    }

    private static LsmCatalog Commit(ILsmKeyValueStore store, LsmCatalog catalog, IModel model)
    {
        var changes = catalog.PlanRegistration(model);
        var batch = new LsmConditionalBatch();
        catalog.AddToBatch(changes, batch);
        catalog.Apply(changes, store.Commit(batch, sync: false));
        return catalog;
    }

    private static LsmCatalog Load(ILsmKeyValueStore store)
    {
        using var view = store.OpenView();
        return LsmCatalog.Load(view);
    }

    private static EngineKeyValueStore OpenMemory(MemoryFileSystem fs) =>
        new(LsmDatabase.Open("/db", new LsmOptions { FileSystem = fs }));

    [Fact]
    public void New_types_and_properties_get_fresh_ids_that_survive_reload()
    {
        var fs = new MemoryFileSystem();
        using var engine = OpenMemory(fs);
        var catalog = Load(engine);
        Assert.False(catalog.Exists);

        var model = Model(b =>
        {
            b.Entity<A>();
            b.Entity<B>().HasKey(x => new { x.Key, x.Part });
        });
        Commit(engine, catalog, model);
        Assert.True(catalog.Exists);
        Assert.True(catalog.PlanRegistration(model).IsEmpty);

        var reloaded = Load(engine);
        Assert.Equal(catalog.NextKeyspaceId, reloaded.NextKeyspaceId);
        var a = reloaded.Entities[typeof(A).FullName!];
        var b2 = reloaded.Entities[typeof(B).FullName!];
        Assert.NotEqual(a.KeyspaceId, b2.KeyspaceId);
        Assert.All([a.KeyspaceId, b2.KeyspaceId], id => Assert.True(id >= 1));
        Assert.Equal(3, a.Properties.Select(p => p.Id).Distinct().Count());
        Assert.Equal(["Key", "Part"], b2.KeyParts.Select(k => b2.Properties.Single(p => p.Id == k.PropertyId).Name));
        Assert.Equal(RowFormat.CurrentVersion, a.ValueFormatVersion);
        Assert.True(reloaded.PlanRegistration(model).IsEmpty);
    }

    [Fact]
    public void A_property_the_model_no_longer_has_keeps_its_id_and_gets_it_back_when_it_returns()
    {
        using var engine = OpenMemory(new MemoryFileSystem());
        var catalog = Commit(engine, Load(engine), Model(b => b.Entity<A>()));
        var before = catalog.Entities[typeof(A).FullName!];
        var countId = before.Properties.Single(p => p.Name == "Count").Id;

        // Dropping a property from the model is not a change of the catalog: its id and its stored values stay.
        var without = catalog.PlanRegistration(Model(b => b.Entity<A>().Ignore(a => a.Count)));
        Assert.True(without.IsEmpty);
        var drift = Assert.Single(without.Drift);
        Assert.Equal(SchemaDriftKind.PropertyNotInModel, drift.Kind);
        Assert.Equal("Count", drift.Property);

        // A new property next to it gets a fresh id; the missing one keeps its own.
        Commit(engine, catalog, Model(b => b.Entity<A>(e =>
        {
            e.Ignore(a => a.Count);
            e.Property<string>("Extra");
        })));
        var stored = Load(engine).Entities[typeof(A).FullName!];
        Assert.False(stored.Properties.Single(p => p.Id == countId).Retired);
        Assert.True(stored.Properties.Single(p => p.Name == "Extra").Id >= before.NextPropertyId);
        Assert.Equal(stored.Properties.Count, stored.Properties.Select(p => p.Id).Distinct().Count());

        // The property comes back under its old id: nothing to register, the stored id is the live one.
        var back = Load(engine);
        Assert.True(back.PlanRegistration(Model(b => b.Entity<A>(e => e.Property<string>("Extra")))).IsEmpty);
        Assert.Equal(countId, back.Entities[typeof(A).FullName!].FindProperty("Count")!.Id);
    }

    [Fact]
    public void A_lossless_type_change_keeps_the_stored_type_and_a_lossy_one_is_refused()
    {
        using var engine = OpenMemory(new MemoryFileSystem());
        var catalog = Commit(engine, Load(engine), Model(b => b.Entity<A>()));
        var count = catalog.Entities[typeof(A).FullName!].Properties.Single(p => p.Name == "Count");

        var widened = catalog.PlanRegistration(Model(b => b.Entity<A>().Property(a => a.Count).HasConversion<long>()));
        Assert.True(widened.IsEmpty);
        Assert.Equal(SchemaDriftKind.PropertyTypeConverted, Assert.Single(widened.Drift).Kind);
        Assert.Equal("System.Int32", Load(engine).Entities[typeof(A).FullName!].Properties.Single(p => p.Id == count.Id).ProviderType);

        var e = Assert.Throws<InvalidOperationException>(
            () => catalog.PlanRegistration(Model(b => b.Entity<A>().Property(a => a.Count).HasConversion<string>())));
        Assert.Contains("A.Count", e.Message);
        Assert.Contains("AlterColumn", e.Message);
    }

    [Fact]
    public void A_changed_key_schema_is_refused()
    {
        using var engine = OpenMemory(new MemoryFileSystem());
        var catalog = Commit(engine, Load(engine), Model(b => b.Entity<B>().HasKey(x => new { x.Key, x.Part })));
        var e = Assert.Throws<InvalidOperationException>(
            () => catalog.PlanRegistration(Model(b => b.Entity<B>().HasKey(x => new { x.Part, x.Key }))));
        Assert.Contains("B", e.Message);
        Assert.Contains("migration", e.Message);
    }

    [Fact]
    public void Keyspace_ids_are_not_reused_after_an_entity_type_leaves_the_model()
    {
        using var engine = OpenMemory(new MemoryFileSystem());
        var catalog = Commit(engine, Load(engine), Model(b => b.Entity<A>()));
        var aId = catalog.Entities[typeof(A).FullName!].KeyspaceId;
        Commit(engine, catalog, Model(b => b.Entity<B>().HasKey(x => new { x.Key, x.Part })));
        var reloaded = Load(engine);
        Assert.True(reloaded.Entities[typeof(B).FullName!].KeyspaceId > aId);
        Assert.Equal(aId, reloaded.Entities[typeof(A).FullName!].KeyspaceId);
    }

    [Fact]
    public void Entity_records_round_trip_and_skip_unknown_fields()
    {
        var entity = new CatalogEntity(
            "N.T", 42, 1, 9, [new CatalogProperty(1, "Id", "System.Int32", false), new CatalogProperty(8, "Old", "System.String", true)],
            [new CatalogKeyPart(1, "System.Int32", false)]);
        var decoded = CatalogEntity.Decode("N.T", entity.Encode());
        Assert.Equal(entity.KeyspaceId, decoded.KeyspaceId);
        Assert.Equal(entity.Properties, decoded.Properties);
        Assert.Equal(entity.KeyParts, decoded.KeyParts);
        Assert.Equal(9u, decoded.NextPropertyId);

        // A field a later version adds (number 99) is skipped.
        var bytes = entity.Encode();
        using var buffer = new PooledByteBufferWriter();
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(6);
        writer.WriteRaw(bytes.AsSpan(1));
        writer.Write(99);
        writer.Write("future");
        writer.Flush();
        Assert.Equal(42, CatalogEntity.Decode("N.T", buffer.WrittenSpan).KeyspaceId);
    }

    [Fact]
    public void Malformed_entity_records_raise_the_typed_stored_data_error_naming_the_record()
    {
        var valid = new CatalogEntity("T", 3, 1, 2, [new CatalogProperty(1, "Id", "System.Int32", false)], []).Encode();
        var random = new Random(7);
        for (var i = 0; i < 300; i++)
        {
            var damaged = valid.ToArray();
            damaged[random.Next(damaged.Length)] ^= (byte)(1 + random.Next(255));
            var truncated = damaged.AsSpan(0, random.Next(damaged.Length)).ToArray();
            foreach (var bytes in new[] { damaged, truncated })
            {
                try
                {
                    var decoded = CatalogEntity.Decode("T", bytes);
                    Assert.True(decoded.KeyspaceId > 0);
                }
                catch (LsmStoredDataException e)
                {
                    Assert.Contains("entity type 'T'", e.Message);
                }
            }
        }

        Assert.Contains("(0, 1, 'T')", Assert.Throws<LsmStoredDataException>(() => CatalogEntity.Decode("T", [0x80])).Message);
    }

    [Fact]
    public void A_registration_planned_on_a_stale_catalog_conflicts_instead_of_overwriting()
    {
        using var store = OpenMemory(new MemoryFileSystem());
        var first = Load(store);
        var second = Load(store);
        Commit(store, first, Model(b => b.Entity<A>()));

        // After its own commit a catalog is current: its next change needs no reload.
        Commit(store, first, Model(b => b.Entity<A>().Property<string>("Extra")));

        // The second writer read the catalog before the first one's commits: its plan would reuse the same keyspace id.
        Assert.Throws<LsmWriteConflictException>(() => Commit(store, second, Model(b => b.Entity<B>().HasKey(x => new { x.Key, x.Part }))));

        // A writer that reads again plans against what is stored, and both entity types keep distinct keyspaces.
        Commit(store, Load(store), Model(b =>
        {
            b.Entity<A>();
            b.Entity<B>().HasKey(x => new { x.Key, x.Part });
        }));
        var stored = Load(store);
        Assert.NotEqual(stored.Entities[typeof(A).FullName!].KeyspaceId, stored.Entities[typeof(B).FullName!].KeyspaceId);
    }

    [Fact]
    public void A_catalog_from_a_newer_version_is_refused()
    {
        var fs = new MemoryFileSystem();
        using var engine = OpenMemory(fs);
        using var buffer = new PooledByteBufferWriter();
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(2);
        writer.Write(1);
        writer.Write(LsmCatalog.FormatVersion + 1);
        writer.Write(2);
        writer.Write(5);
        writer.Flush();
        var batch = new LsmConditionalBatch();
        batch.Put(CatalogKeys.Header(), buffer.WrittenSpan.ToArray());
        engine.Commit(batch, sync: false);
        var e = Assert.Throws<LsmStoredDataException>(() => Load(engine));
        Assert.Contains("format version", e.Message);
    }
}
