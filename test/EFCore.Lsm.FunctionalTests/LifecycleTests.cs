using EFCore.Lsm.Engine;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace EFCore.Lsm.FunctionalTests;

public sealed class LifecycleTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static LsmStore StoreOf(DbContext context) => ((LsmDatabaseWrapper)context.GetService<IDatabase>()).Store;

    private static int Leases(string path) => LsmStorePoolEntries.Shared.ReferenceCount(Path.GetFullPath(path));

    [Fact]
    public void Contexts_on_one_path_share_one_store_which_stays_open_until_closed()
    {
        var path = _temp.Db();
        var first = TestContext.Create(path);
        var second = TestContext.Create(path);
        Assert.Same(StoreOf(first), StoreOf(second));
        Assert.Equal(2, Leases(path));

        first.Dispose();
        Assert.Equal(1, Leases(path));
        second.Add(new Tag { Id = "still open" });
        second.SaveChanges();
        var store = StoreOf(second);
        var key = ((LsmDatabaseWrapper)second.GetService<IDatabase>()).GetMapping(second.Model.FindEntityType(typeof(Tag))!)
            .EncodeKey(["still open"]);

        second.Dispose();
        Assert.Equal(0, Leases(path));

        // Idle, not closed: the next context reuses the open store instead of recovering it again.
        Assert.True(LsmStorePool.IsOpen(path));
        using (var third = TestContext.Create(path))
        {
            Assert.Same(store, StoreOf(third));
        }

        // Closed for real: the engine's lock is free, so the engine itself can open the path.
        Assert.True(LsmStorePool.Close(path));
        Assert.False(LsmStorePool.IsOpen(path));
        using (var engine = LsmDatabase.Open(path))
        {
            Assert.NotNull(engine.Get(key));
        }

        using var fourth = TestContext.Create(path);
        Assert.NotSame(store, StoreOf(fourth));
        Assert.Equal("still open", StorageReader.Row<Tag>(fourth, "still open")!["Id"]);
    }

    [Fact]
    public void Closing_a_store_in_use_closes_it_when_its_last_context_goes()
    {
        var path = _temp.Db();
        var context = TestContext.Create(path);
        context.Add(new Tag { Id = "a" });
        context.SaveChanges();

        Assert.False(LsmStorePool.Close(path));
        Assert.True(LsmStorePool.IsOpen(path));
        context.Add(new Tag { Id = "b" });
        context.SaveChanges(); // still usable while its context lives

        context.Dispose();
        Assert.False(LsmStorePool.IsOpen(path));
        using var engine = LsmDatabase.Open(path);
    }

    [Fact]
    public void A_folder_deleted_under_an_idle_store_is_opened_afresh()
    {
        var path = _temp.Db();
        using (var context = TestContext.Create(path))
        {
            context.Add(new Tag { Id = "old" });
            context.SaveChanges();
        }

        Directory.Delete(path, recursive: true);
        using (var context = TestContext.Create(path))
        {
            context.Add(new Tag { Id = "new" });
            context.SaveChanges();
        }

        Assert.True(LsmStorePool.Close(path));
        using var check = TestContext.Create(path);
        Assert.Equal(["new"], StorageReader.Scan<Tag>(check).Select(r => (string)r["Id"]!));
    }

    [Fact]
    public void Disposing_an_internal_service_provider_closes_the_idle_stores_it_opened()
    {
        var path = _temp.Db();
        var internalServices = new ServiceCollection().AddEntityFrameworkLsm().BuildServiceProvider();
        var options = new DbContextOptionsBuilder<TestContext>().UseLsm(path).UseInternalServiceProvider(internalServices).Options;
        using (var context = new TestContext(options))
        {
            context.Add(new Tag { Id = "x" });
            context.SaveChanges();
        }

        Assert.True(LsmStorePool.IsOpen(path));
        internalServices.Dispose();
        Assert.False(LsmStorePool.IsOpen(path));
    }

    [Fact]
    public void A_context_that_never_touches_the_database_takes_no_lease()
    {
        var path = _temp.Db();
        using (var context = TestContext.Create(path))
        {
            _ = context.Model;
        }

        Assert.Equal(0, Leases(path));
        Assert.False(Directory.Exists(path));
    }

    [Fact]
    public void A_path_locked_by_another_engine_surfaces_the_engines_error_naming_the_path()
    {
        var path = _temp.Db();
        using var holder = LsmDatabase.Open(path);
        using var context = TestContext.Create(path);
        context.Add(new Tag { Id = "x" });
        var e = Assert.Throws<LsmException>(() => context.SaveChanges());
        Assert.Contains(Path.GetFullPath(path), e.Message);
        Assert.Equal(0, Leases(path));
    }

    [Fact]
    public void Different_engine_settings_on_an_open_path_are_refused()
    {
        var path = _temp.Db();
        using var first = TestContext.Create(path);
        _ = StoreOf(first);
        using var second = TestContext.Create(path, o => o.UseLsm(path, lsm => lsm.WriteBufferSize(1 << 20)));
        var e = Assert.Throws<InvalidOperationException>(() => StoreOf(second));
        Assert.Contains("WriteBufferSize", e.Message);
    }

    [Fact]
    public void AddDbContext_registers_a_working_context()
    {
        var path = _temp.Db();
        var services = new ServiceCollection().AddDbContext<TestContext>(o => o.UseLsm(path)).BuildServiceProvider();
        using (var scope = services.CreateScope())
        {
            var context = scope.ServiceProvider.GetRequiredService<TestContext>();
            context.Add(new Tag { Id = "di" });
            context.SaveChanges();
            Assert.Equal(1, Leases(path));
        }

        Assert.Equal(0, Leases(path));
        services.Dispose();
    }

    [Fact]
    public void AddDbContextPool_contexts_hold_the_engine_while_rented()
    {
        var path = _temp.Db();
        var services = new ServiceCollection().AddDbContextPool<TestContext>(o => o.UseLsm(path)).BuildServiceProvider();
        TestContext? instance = null;
        for (var i = 0; i < 3; i++)
        {
            using var scope = services.CreateScope();
            var context = scope.ServiceProvider.GetRequiredService<TestContext>();
            context.Add(new Tag { Id = "pooled" + i });
            context.SaveChanges();
            Assert.Equal(1, Leases(path));
            instance ??= context;
            Assert.Same(instance, context);
        }

        // Returned to the pool, the context holds no lease; the store stays open for the next one.
        Assert.Equal(0, Leases(path));
        services.Dispose();

        using var check = TestContext.Create(path);
        Assert.Equal(3, StorageReader.Scan<Tag>(check).Count);
    }

    [Fact]
    public void AddDbContextFactory_creates_working_contexts()
    {
        var path = _temp.Db();
        using var services = new ServiceCollection()
            .AddDbContextFactory<TestContext>(o => o.UseLsm(path, lsm => lsm.SyncWrites(false)))
            .BuildServiceProvider();
        var factory = services.GetRequiredService<IDbContextFactory<TestContext>>();
        using (var context = factory.CreateDbContext())
        {
            context.Add(new Tag { Id = "factory" });
            context.SaveChanges();
        }

        Assert.Equal(0, Leases(path));
        using var again = factory.CreateDbContext();
        Assert.NotNull(StorageReader.Row<Tag>(again, "factory"));
    }

    [Fact]
    public void Provider_name_and_options_are_reported()
    {
        using var context = TestContext.Create(_temp.Db(), o => o.UseLsm(_temp.Db(), lsm => lsm.SyncWrites(false).BlockCacheSize(0)));
        Assert.Equal(LsmStorageNames.ProviderName, context.Database.ProviderName);
        var extension = context.GetService<IDbContextOptions>().FindExtension<Infrastructure.Internal.LsmOptionsExtension>()!;
        Assert.False(extension.SyncWrites);
        Assert.Equal(0, extension.BlockCacheSize);
    }

    [Fact]
    public async Task EnsureCreated_and_EnsureDeleted_report_and_change_existence()
    {
        var path = _temp.Db();
        using (var context = TestContext.Create(path))
        {
            Assert.True(context.Database.EnsureCreated());
            Assert.False(context.Database.EnsureCreated());
            context.Add(new Tag { Id = "t" });
            context.SaveChanges();
        }

        using (var context = TestContext.Create(path))
        {
            Assert.False(await context.Database.EnsureCreatedAsync());
            Assert.True(context.Database.EnsureDeleted());
            Assert.Null(StorageReader.Row<Tag>(context, "t"));
            Assert.False(await context.Database.EnsureDeletedAsync());
        }

        Assert.True(LsmStorePool.Close(path));
        using (var engine = LsmDatabase.Open(path))
        using (var iterator = engine.NewIterator())
        {
            iterator.SeekToFirst();
            Assert.False(iterator.Valid);
        }

        using (var context = TestContext.Create(path))
        {
            Assert.True(await context.Database.EnsureCreatedAsync());
            Assert.True(context.Database.CanConnect());
        }
    }

    [Fact]
    public void HasData_and_UseSeeding_run_on_creation_and_the_generator_skips_seeded_keys()
    {
        var path = _temp.Db();
        var seededWith = new List<bool>();
        var options = new DbContextOptionsBuilder<SeededContext>()
            .UseLsm(path)
            .UseSeeding((context, created) =>
            {
                seededWith.Add(created);
                if (StorageReader.Row<Tag>(context, "seeded") is null)
                {
                    context.Add(new Tag { Id = "seeded" });
                    context.SaveChanges();
                }
            })
            .Options;
        using (var context = new SeededContext(options))
        {
            Assert.True(context.Database.EnsureCreated());
            Assert.Equal(["Ada", "Grace"], StorageReader.Scan<Customer>(context).Select(r => (string)r["Name"]!));
            Assert.NotNull(StorageReader.Row<Tag>(context, "seeded"));

            var added = new Customer { Name = "new" };
            context.Add(added);
            context.SaveChanges();
            Assert.True(added.Id > 100, $"generated {added.Id} must pass the seeded key 100");
        }

        using (var context = new SeededContext(options))
        {
            Assert.False(context.Database.EnsureCreated());
        }

        Assert.Equal([true, false], seededWith);
    }

    [Fact]
    public async Task UseAsyncSeeding_runs_from_EnsureCreatedAsync_and_sync_without_a_sync_seeder_throws()
    {
        var options = new DbContextOptionsBuilder<TestContext>()
            .UseLsm(_temp.Db())
            .UseAsyncSeeding(async (context, created, ct) =>
            {
                context.Add(new Tag { Id = "async" + created });
                await context.SaveChangesAsync(ct);
            })
            .Options;
        using var context = new TestContext(options);
        Assert.True(await context.Database.EnsureCreatedAsync());
        Assert.NotNull(StorageReader.Row<Tag>(context, "asyncTrue"));
        Assert.Throws<InvalidOperationException>(() => context.Database.EnsureCreated());
    }

    [Fact]
    public void Integer_keys_are_never_reused_across_reopen()
    {
        var path = _temp.Db();
        var seen = new HashSet<int>();
        for (var round = 0; round < 4; round++)
        {
            using var context = TestContext.Create(path);
            for (var i = 0; i < 10; i++)
            {
                var customer = new Customer { Name = "c" };
                context.Add(customer);
                Assert.True(customer.Id > 0);
                Assert.True(seen.Add(customer.Id), $"key {customer.Id} reused in round {round}");
            }

            // Round 2 hands values out but never saves them: they become gaps, not reused values.
            if (round != 2)
            {
                context.SaveChanges();
            }
        }

        using var check = TestContext.Create(path);
        Assert.Equal(30, StorageReader.Scan<Customer>(check).Count);
    }

    [Fact]
    public void A_key_type_without_an_order_preserving_encoding_fails_model_validation()
    {
        using var context = new BadKeyContext(new DbContextOptionsBuilder<BadKeyContext>().UseLsm(_temp.Db()).Options);
        var e = Assert.Throws<InvalidOperationException>(() => context.Model);
        Assert.Contains("BadKey.Id", e.Message);
        Assert.Contains("order-preserving", e.Message);
    }

    public sealed class SeededContext(DbContextOptions<SeededContext> options) : DbContext(options)
    {
        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            modelBuilder.Entity<Tag>();
            modelBuilder.Entity<Customer>().HasData(
                new Customer { Id = 100, Name = "Grace", Balance = 1m, Version = 1 },
                new Customer { Id = 3, Name = "Ada", Balance = 2m, Version = 1 });
        }
    }

    public readonly record struct Point(int X, int Y);

    public sealed class BadKey
    {
        public Point Id { get; set; }
    }

    public sealed class BadKeyContext(DbContextOptions<BadKeyContext> options) : DbContext(options)
    {
        protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.Entity<BadKey>().HasKey(b => b.Id);
    }
}
