using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.FunctionalTests;

/// <summary><c>UseLsm(path, o =&gt; o.ReadOnly())</c>: reads work, every write is refused naming read-only.</summary>
public sealed class ReadOnlyTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static LsmStore StoreOf(DbContext context) => ((LsmDatabaseWrapper)context.GetService<IDatabase>()).Store;

    private static void AssertRefusedAsReadOnly(Action write)
    {
        var error = Record.Exception(write);
        Assert.NotNull(error);
        var messages = new List<string>();
        for (var e = error; e is not null; e = e.InnerException)
        {
            messages.Add($"{e.GetType().Name}: {e.Message}");
        }

        Assert.True(messages.Any(m => m.Contains("read-only", StringComparison.Ordinal)), string.Join(" <- ", messages));
    }

    [Fact]
    public void A_read_only_context_reads_beside_a_writable_one_of_the_same_folder_and_refuses_every_write()
    {
        var path = _temp.Db();
        using var writer = TestContext.Create(path);
        writer.Add(new Tag { Id = "written", Note = "before" });
        writer.Add(new Customer { Name = "Ada", Balance = 10 });
        writer.SaveChanges();

        using (var reader = TestContext.Create(path, b => b.UseLsm(path, o => o.ReadOnly())))
        {
            // Its own pool entry: sharing the writable engine would let writes through.
            Assert.NotSame(StoreOf(writer), StoreOf(reader));
            Assert.Equal("before", reader.Tags.AsNoTracking().Single(t => t.Id == "written").Note);
            Assert.Equal("Ada", reader.Customers.AsNoTracking().Single().Name);

            reader.Add(new Tag { Id = "new" });
            AssertRefusedAsReadOnly(() => reader.SaveChanges());
            reader.ChangeTracker.Clear();

            // A generated key needs a key-generator block reservation, which is a write too.
            AssertRefusedAsReadOnly(() =>
            {
                reader.Add(new Customer { Name = "Grace" });
                reader.SaveChanges();
            });
            reader.ChangeTracker.Clear();

            var row = reader.Tags.Single(t => t.Id == "written");
            row.Note = "changed";
            AssertRefusedAsReadOnly(() => reader.SaveChanges());
        }

        // A read-only engine sees the folder as of its open, so its pool entry closes with its last context.
        Assert.False(LsmStorePoolEntries.Shared.IsOpen(Path.GetFullPath(path) + EngineKeyValueStoreFactory.ReadOnlyKeySuffix));

        // Nothing the reader tried reached the database; the writer goes on writing.
        writer.Add(new Tag { Id = "after" });
        writer.SaveChanges();
        using var check = TestContext.Create(path, b => b.UseLsm(path, o => o.ReadOnly()));
        Assert.Equal(["after", "written"], check.Tags.AsNoTracking().Select(t => t.Id).AsEnumerable().Order(StringComparer.Ordinal).ToArray());
        Assert.Equal("before", check.Tags.AsNoTracking().Single(t => t.Id == "written").Note);
        Assert.Single(check.Customers.AsNoTracking());
    }

    [Fact]
    public void A_read_only_context_on_a_folder_that_is_not_a_database_is_refused_and_creates_nothing()
    {
        var path = _temp.Db();
        using var reader = TestContext.Create(path, b => b.UseLsm(path, o => o.ReadOnly()));
        Assert.ThrowsAny<Exception>(() => reader.Tags.AsNoTracking().ToList());
        Assert.False(File.Exists(Path.Combine(path, "CURRENT")));
    }
}
