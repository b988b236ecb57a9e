using EFCore.Lsm.Engine;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Reliability;

/// <summary>
/// Provider-level reliability: concurrent contexts racing on the same rows never lose an update (every conflict surfaces
/// as <see cref="DbUpdateConcurrencyException"/>), and bad inputs get a clear error and leave the database as it was.
/// </summary>
public sealed class ProviderReliabilityTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Concurrent_contexts_with_concurrency_tokens_never_lose_an_update()
    {
        const int accounts = 3;
        const int workers = 6;
        const int incrementsPerWorker = 60;
        using (var setup = TestContext.Create(_temp.Db()))
        {
            setup.AddRange(Enumerable.Range(1, accounts).Select(i => new Customer { Id = i, Name = "acct" + i }));
            setup.SaveChanges();
        }

        var successes = new int[accounts + 1];
        var conflicts = 0;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, worker =>
        {
            var random = new Random(worker);
            for (var done = 0; done < incrementsPerWorker;)
            {
                var id = 1 + random.Next(accounts);
                using var context = TestContext.Create(_temp.Db());
                var customer = context.Customers.Single(c => c.Id == id);
                customer.Balance += 1;
                customer.Version += 1; // the [ConcurrencyCheck] token: a stale read must not overwrite a newer save
                try
                {
                    context.SaveChanges();
                    Interlocked.Increment(ref successes[id]);
                    done++;
                }
                catch (DbUpdateConcurrencyException e)
                {
                    Assert.Single(e.Entries);
                    Interlocked.Increment(ref conflicts);
                }
            }
        });

        using var check = TestContext.Create(_temp.Db());
        foreach (var customer in check.Customers.AsNoTracking().ToList())
        {
            // Every successful save added exactly one; a lost update would leave the balance short of the count.
            Assert.Equal(successes[customer.Id], (int)customer.Balance);
            Assert.Equal(successes[customer.Id], customer.Version);
        }

        Assert.Equal(workers * incrementsPerWorker, successes.Sum());
        output.WriteLine($"{successes.Sum()} saves, {conflicts} conflicts surfaced as DbUpdateConcurrencyException");
    }

    [Fact]
    public void Bad_inputs_get_a_clear_error_and_leave_the_database_as_it_was()
    {
        using (var setup = TestContext.Create(_temp.Db()))
        {
            setup.Add(new Customer { Id = 1, Name = "kept" });
            setup.Add(new Tag { Id = "kept" });
            setup.SaveChanges();
        }

        // Each bad save is tried together with a good row, which must not be written either.
        (string Case, Action<TestContext> Add, string Names)[] cases =
        [
            ("null key", c => c.Add(new Tag { Id = null! }), "Tag"),
            ("oversized key", c => c.Add(new Tag { Id = new string('k', 10_000) }), "Tag"),
            ("lone surrogate in a key", c => c.Add(new Tag { Id = "bad\ud800" }), "Tag"),
            ("lone surrogate in a value", c => c.Add(new Customer { Id = 50, Name = "bad\udc00" }), "Customer"),
            ("duplicate key", c => c.Add(new Customer { Id = 1, Name = "again" }), "Customer"),
        ];
        foreach (var (name, add, entity) in cases)
        {
            using var context = TestContext.Create(_temp.Db());
            context.Add(new Customer { Id = 99, Name = "must not be written" });
            // EF refuses some of these when the entity is attached (a null key), the provider the rest at SaveChanges.
            var error = Assert.ThrowsAny<Exception>(() =>
            {
                add(context);
                context.SaveChanges();
            });
            Assert.True(error is DbUpdateException or InvalidOperationException, $"{name}: {error.GetType().Name}: {error.Message}");
            Assert.True(error.ToString().Contains(entity, StringComparison.Ordinal), $"{name}: the error does not name {entity}: {error.Message}");
        }

        using (var check = TestContext.Create(_temp.Db()))
        {
            Assert.Equal(["kept"], check.Customers.AsNoTracking().Select(c => c.Name).ToList());
            Assert.Equal(["kept"], check.Tags.AsNoTracking().Select(t => t.Id).ToList());
        }
    }

    [Fact]
    public void A_row_over_the_stores_value_limit_is_a_DbUpdateException_naming_the_entity_and_its_largest_property()
    {
        // Regression: the engine's ArgumentException (WriteBatch.MaxValueSize) used to escape from SaveChanges raw.
        using var context = TestContext.Create(_temp.Db());
        context.Add(new Customer { Id = 7, Name = "small" });
        context.Add(new AllTypes { Id = 1, String = "x", Bytes = new byte[Engine.WriteBatch.MaxValueSize + 1] });
        var error = Assert.Throws<DbUpdateException>(() => context.SaveChanges());
        Assert.Contains("'AllTypes'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'Bytes'", error.Message, StringComparison.Ordinal);
        Assert.Contains(Engine.WriteBatch.MaxValueSize.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.Single(error.Entries);
        context.ChangeTracker.Clear();
        Assert.Empty(context.Customers.AsNoTracking().ToList()); // the good row of the same save was not written either
    }

    [Fact]
    public void Unusable_paths_get_a_clear_error()
    {
        // A path that is a file, not a folder.
        var file = Path.Combine(_temp.Path, "a-file");
        File.WriteAllText(file, "not a database");
        using (var context = TestContext.Create(file))
        {
            var error = Assert.ThrowsAny<Exception>(() => context.Database.EnsureCreated());
            Assert.Contains(file, error.ToString(), StringComparison.Ordinal);
        }

        Assert.Equal("not a database", File.ReadAllText(file));

        // A folder that cannot be created (read-only file system; root ignores permission bits, /proc does not).
        using (var context = TestContext.Create("/proc/efcore-lsm-cannot-exist/db"))
        {
            var error = Assert.ThrowsAny<Exception>(() => context.Database.EnsureCreated());
            Assert.Contains("/proc/efcore-lsm-cannot-exist/db", error.ToString(), StringComparison.Ordinal);
        }

        // A path in use by an opener that is not this provider's registry (another process behaves the same: the LOCK).
        var path = _temp.Db("held");
        using (LsmDatabase.Open(path))
        using (var context = TestContext.Create(path))
        {
            var error = Assert.ThrowsAny<LsmException>(() => context.Database.EnsureCreated());
            Assert.Contains("open elsewhere", error.Message, StringComparison.Ordinal);
        }
    }
}
