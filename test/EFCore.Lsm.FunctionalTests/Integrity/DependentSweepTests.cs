using System.Text;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Infrastructure.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.FunctionalTests.Integrity;

/// <summary>
/// A delete of many principals whose dependents are not loaded: the dependents of all of them are found together (one
/// sweep per foreign key and generation of cascades), and what is deleted, nulled or refused must equal what SQLite's
/// <c>ON DELETE</c> actions do to the same rows — whatever the principals' spacing in the foreign key index (neighbours,
/// gaps wide enough that the sweep starts a new cursor, principals without dependents), through the foreign key's index
/// and, with that index removed from the model, through a read of the whole dependent table; with the rows in the
/// memtable and in tables.
/// </summary>
public sealed class DependentSweepTests : IDisposable
{
    private const int OwnerCount = 200;

    private readonly TempDirectory _temp = new();
    private int _runs;

    public void Dispose() => _temp.Dispose();

    public sealed class Owner
    {
        public int Id { get; set; }

        /// <summary>Padding: 200 owners fill more than the tests' 64 KiB write buffer, so their rows reach tables.</summary>
        public string Note { get; set; } = "";

        public List<Pet> Pets { get; set; } = [];
    }

    public sealed class Pet
    {
        public int Id { get; set; }

        public int OwnerId { get; set; }

        public Owner? Owner { get; set; }

        public List<Toy> Toys { get; set; } = [];
    }

    public sealed class Toy
    {
        public int Id { get; set; }

        public int? PetId { get; set; }

        public Pet? Pet { get; set; }
    }

    /// <param name="Pets">Owner → Pet (required).</param>
    /// <param name="Toys">Pet → Toy (optional).</param>
    /// <param name="PetIndex">Whether EF creates its indexes on the foreign keys (without them the dependents are found by reading every pet and toy).</param>
    public sealed record Variant(DeleteBehavior Pets, DeleteBehavior Toys, bool PetIndex);

    public sealed class SweepContext(DbContextOptions options, Variant variant) : DbContext(options)
    {
        public DbSet<Owner> Owners => Set<Owner>();

        public DbSet<Pet> Pets => Set<Pet>();

        public DbSet<Toy> Toys => Set<Toy>();

        public Variant Variant { get; } = variant;

        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            modelBuilder.Entity<Owner>().Property(o => o.Id).ValueGeneratedNever();
            modelBuilder.Entity<Pet>().Property(p => p.Id).ValueGeneratedNever();
            modelBuilder.Entity<Toy>().Property(t => t.Id).ValueGeneratedNever();
            modelBuilder.Entity<Pet>().HasOne(p => p.Owner).WithMany(o => o.Pets).HasForeignKey(p => p.OwnerId).OnDelete(Variant.Pets);
            modelBuilder.Entity<Toy>().HasOne(t => t.Pet).WithMany(p => p.Toys).HasForeignKey(t => t.PetId).OnDelete(Variant.Toys);
        }

        protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
        {
            if (!Variant.PetIndex)
            {
                // EF re-creates a foreign key's index whenever it is removed from the model; without the convention there is none.
                configurationBuilder.Conventions.Remove(typeof(Microsoft.EntityFrameworkCore.Metadata.Conventions.ForeignKeyIndexConvention));
            }
        }

        public static SweepContext Lsm(string path, Variant variant) =>
            new(new DbContextOptionsBuilder<SweepContext>()
                .UseTestStore(path, o => o.SyncWrites(false).WriteBufferSize(64 * 1024))
                .ReplaceService<IModelCacheKeyFactory, VariantCacheKeyFactory>()
                .Options, variant);

        public static SweepContext Sqlite(string file, Variant variant) =>
            new(new DbContextOptionsBuilder<SweepContext>()
                .UseSqlite($"Data Source={file}")
                .ReplaceService<IModelCacheKeyFactory, VariantCacheKeyFactory>()
                .Options, variant);

        public void Seed()
        {
            // Owner i has i % 4 pets (so a quarter have none); every other pet has a toy, and a few toys have no pet.
            for (var i = 1; i <= OwnerCount; i++)
            {
                var owner = new Owner { Id = i, Note = new string('n', 400) };
                for (var j = 0; j < i % 4; j++)
                {
                    var pet = new Pet { Id = (i * 10) + j };
                    if (pet.Id % 2 == 0)
                    {
                        pet.Toys.Add(new Toy { Id = pet.Id });
                    }

                    owner.Pets.Add(pet);
                }

                Owners.Add(owner);

                // A save per 25 owners stays within a distributed store's operations per transaction.
                if (i % 25 == 0)
                {
                    SaveChanges();
                    ChangeTracker.Clear();
                }
            }

            Toys.AddRange(new Toy { Id = 1 }, new Toy { Id = 3 });
            SaveChanges();
            ChangeTracker.Clear();
        }

        public string Dump()
        {
            var text = new StringBuilder();
            text.Append("owners ").AppendJoin(',', Owners.AsNoTracking().Select(o => o.Id).AsEnumerable().Order()).AppendLine();
            foreach (var p in Pets.AsNoTracking().AsEnumerable().OrderBy(p => p.Id))
            {
                text.Append("pet ").Append(p.Id).Append(" owner=").Append(p.OwnerId).AppendLine();
            }

            foreach (var t in Toys.AsNoTracking().AsEnumerable().OrderBy(t => t.Id))
            {
                text.Append("toy ").Append(t.Id).Append(" pet=").AppendLine(t.PetId?.ToString() ?? "null");
            }

            return text.ToString();
        }

        public List<string> Problems()
        {
            var database = (LsmDatabaseWrapper)this.GetService<IDatabase>();
            using var view = database.OpenView();
            return LsmIntegrityVerifier.Verify(view, database.Store.GetMappings(Model, sync: false, register: true));
        }

        private sealed class VariantCacheKeyFactory : IModelCacheKeyFactory
        {
            public object Create(DbContext context, bool designTime) =>
                context is SweepContext c ? (c.Variant, designTime) : (context.GetType(), designTime);
        }
    }

    private static readonly Variant Cascade = new(DeleteBehavior.Cascade, DeleteBehavior.SetNull, PetIndex: true);

    public static TheoryData<string> Selections => ["every third", "two blocks far apart", "all", "one", "without pets", "none"];

    private static IQueryable<Owner> Select(SweepContext context, string selection) => Select(context.Owners, selection);

    private static IQueryable<Owner> Select(IQueryable<Owner> owners, string selection) => selection switch
    {
        "every third" => owners.Where(o => o.Id % 3 == 0),
        // Between the blocks lie 89 owners' pets in the index: more than the sweep steps over before a new cursor.
        "two blocks far apart" => owners.Where(o => o.Id <= 10 || (o.Id >= 100 && o.Id < 110) || o.Id == OwnerCount),
        "all" => owners,
        "one" => owners.Where(o => o.Id == 7),
        "without pets" => owners.Where(o => o.Id % 4 == 0),
        "none" => owners.Where(o => o.Id > OwnerCount),
        _ => throw new ArgumentOutOfRangeException(nameof(selection)),
    };

    [Theory]
    [MemberData(nameof(Selections))]
    public void ExecuteDelete_of_many_owners_cascades_as_SQLite_does(string selection)
    {
        foreach (var inTables in new[] { false, true })
        {
            var (lsm, sqlite) = Run(Cascade, inTables, c => Select(c, selection).ExecuteDelete());
            Assert.Equal(sqlite, lsm);
        }
    }

    [Theory]
    [InlineData("every third")]
    [InlineData("two blocks far apart")]
    [InlineData("all")]
    public void Without_the_foreign_key_indexes_the_dependents_are_found_by_reading_the_tables(string selection)
    {
        var variant = Cascade with { PetIndex = false };
        var (lsm, sqlite) = Run(variant, inTables: true, c => Select(c, selection).ExecuteDelete());
        Assert.Equal(sqlite, lsm);
    }

    [Fact]
    public void Removing_untracked_owners_in_one_SaveChanges_cascades_as_SQLite_does()
    {
        var (lsm, sqlite) = Run(Cascade, inTables: true, c =>
        {
            // Descending: the principals reach the sweep out of key order.
            for (var i = OwnerCount - 3; i > 0; i -= 7)
            {
                c.Owners.Remove(new Owner { Id = i });
            }

            return c.SaveChanges();
        });
        Assert.Equal(sqlite, lsm);
    }

    [Fact]
    public void A_restricted_delete_of_many_owners_is_refused_and_writes_nothing()
    {
        var restricted = new Variant(DeleteBehavior.Restrict, DeleteBehavior.SetNull, PetIndex: true);
        var (lsm, sqlite) = Run(restricted, inTables: true, c => Select(c, "every third").ExecuteDelete());
        Assert.Equal(sqlite, lsm);
        Assert.StartsWith("error", lsm, StringComparison.Ordinal);

        // Owners without pets are not restricted.
        (lsm, sqlite) = Run(restricted, inTables: true, c => Select(c, "without pets").ExecuteDelete());
        Assert.Equal(sqlite, lsm);
        Assert.StartsWith("result 50", lsm, StringComparison.Ordinal);
    }

    [Fact]
    public void The_index_free_variant_really_has_no_index_on_the_foreign_key()
    {
        using var context = SweepContext.Lsm(_temp.Db("model"), Cascade with { PetIndex = false });
        Assert.Empty(context.Model.FindEntityType(typeof(Pet))!.GetIndexes());
        Assert.Empty(context.Model.FindEntityType(typeof(Toy))!.GetIndexes());
    }

    [Theory]
    [InlineData("every third", 4)]
    [InlineData("two blocks far apart", 9)]
    public void The_dependents_of_many_owners_are_found_with_a_few_cursors_not_one_per_owner(string selection, int most)
    {
        // The embedded engine whatever the backend the suite runs on: the count is of its views' scans.
        var factory = new ScanCountingStoreFactory(_temp.Db("counted"));
        SweepContext Open()
        {
            var builder = new DbContextOptionsBuilder<SweepContext>().UseLsm(_temp.Db("counted"));
            var extension = builder.Options.FindExtension<LsmOptionsExtension>()!.WithStoreFactory(factory);
            ((IDbContextOptionsBuilderInfrastructure)builder).AddOrUpdateExtension(extension);
            return new SweepContext(builder.Options, Cascade);
        }

        using (var seed = Open())
        {
            seed.Seed();
        }

        using var context = Open();
        var expected = Select(context.Owners.AsNoTracking().ToList().AsQueryable(), selection).Count();
        Assert.True(expected > 0);
        factory.Scans = 0;

        Assert.Equal(expected, Select(context, selection).ExecuteDelete());

        // The owners' query, a cursor that reads the selected owners' rows (a new one per block far from the last), one sweep
        // of the pets' OwnerId index (the far blocks: a new cursor per block), one of the toys' PetId index for the cascaded
        // pets; a scan per owner and per pet would be over a hundred.
        Assert.InRange(factory.Scans, 1, most);
        Assert.Empty(context.Problems());
    }

    /// <summary>The embedded engine, counting the scans its views open.</summary>
    private sealed class ScanCountingStoreFactory(string path) : ILsmKeyValueStoreFactory
    {
        private readonly EngineKeyValueStoreFactory _engine = new(path, 1L << 20, 1L << 20);
        private int _scans;

        public int Scans
        {
            get => Volatile.Read(ref _scans);
            set => Volatile.Write(ref _scans, value);
        }

        public string StoreKey => _engine.StoreKey;

        public string SharedSettings => _engine.SharedSettings + ", scans counted";

        public ILsmKeyValueStore Open() => new Store(_engine.Open(), this);

        private sealed class Store(ILsmKeyValueStore inner, ScanCountingStoreFactory factory) : ILsmKeyValueStore
        {
            public string Description => inner.Description;

            public LsmStoreLimits Limits => inner.Limits;

            public ILsmReadView OpenView() => new View(inner.OpenView(), factory);

            public long Commit(LsmConditionalBatch batch, bool sync) => inner.Commit(batch, sync);

            public void Dispose() => inner.Dispose();
        }

        private sealed class View(ILsmReadView inner, ScanCountingStoreFactory factory) : ILsmReadView
        {
            public long Version => inner.Version;

            public byte[]? Get(ReadOnlySpan<byte> key) => inner.Get(key);

            public bool TryGet(ReadOnlySpan<byte> key, System.Buffers.IBufferWriter<byte> value) => inner.TryGet(key, value);

            public byte[]?[] GetMany(IReadOnlyList<byte[]> keys) => inner.GetMany(keys);

            public ILsmCursor Scan(byte[] lower, byte[] upper, bool reverse = false, int? limit = null)
            {
                Interlocked.Increment(ref factory._scans);
                return inner.Scan(lower, upper, reverse, limit);
            }

            public void Dispose() => inner.Dispose();
        }
    }

    /// <summary>Runs <paramref name="scenario"/> on EFCore.Lsm and on SQLite from the same seed: its result (or error kind) and every row after.</summary>
    private (string Lsm, string Sqlite) Run(Variant variant, bool inTables, Func<SweepContext, int> scenario)
    {
        var run = Interlocked.Increment(ref _runs);
        var path = _temp.Db("sweep" + run);
        using (var seed = SweepContext.Lsm(path, variant))
        {
            seed.Seed();
        }

        if (inTables)
        {
            // A reopen replays the log into a fresh memtable; another 80 KiB of writes through the 64 KiB write buffer
            // flushes the seeded pets and toys (and older owner versions) into tables.
            using var rewrite = SweepContext.Lsm(path, variant);
            foreach (var owner in rewrite.Owners.ToList())
            {
                owner.Note = new string('m', 400);
                if (owner.Id % 50 == 0)
                {
                    rewrite.SaveChanges();
                }
            }

            rewrite.SaveChanges();
        }

        string lsm;
        using (var context = SweepContext.Lsm(path, variant))
        {
            lsm = RunOne(context, scenario);
            Assert.Empty(context.Problems());
        }

        Assert.True(TestStore.Close(path));
        using (var reopened = SweepContext.Lsm(path, variant))
        {
            Assert.EndsWith(reopened.Dump(), lsm, StringComparison.Ordinal);
            Assert.Empty(reopened.Problems());
        }

        var file = System.IO.Path.Combine(_temp.Path, $"sweep{run}.db");
        using (var seed = SweepContext.Sqlite(file, variant))
        {
            seed.Database.EnsureCreated();
            seed.Seed();
        }

        using var sqlite = SweepContext.Sqlite(file, variant);
        return (lsm, RunOne(sqlite, scenario));
    }

    private static string RunOne(SweepContext context, Func<SweepContext, int> scenario)
    {
        string outcome;
        try
        {
            outcome = "result " + scenario(context);
        }
        catch (Exception e) when (e is DbUpdateException or System.Data.Common.DbException)
        {
            // SQLite's ExecuteDelete lets its own exception through; EFCore.Lsm raises EF's DbUpdateException: one outcome.
            outcome = "error";
        }

        context.ChangeTracker.Clear();
        return outcome + "\n" + context.Dump();
    }
}
