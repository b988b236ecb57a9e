using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using static EFCore.Lsm.FunctionalTests.Indexes.IndexMaintenanceTests;

namespace EFCore.Lsm.FunctionalTests.Indexes;

/// <summary>
/// The operators' verifier: from the catalog alone (a database folder, no EF model) and with the application's model, it
/// finds every entry that names no row and every row without its entry, and reports a maintained database as consistent.
/// </summary>
public sealed class DatabaseVerifierTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static void Seed(string path, int count)
    {
        using var context = IndexContext.Create(path);
        for (var i = 0; i < count; i++)
        {
            context.Add(new Member { Id = i, Email = $"m{i}@x", City = i % 4 == 0 ? null : "City" + (i % 3), Score = i, Nickname = i % 2 == 0 ? null : "n" + i });
        }

        context.SaveChanges();

        // Updates and deletes too, so the entries checked are the maintained ones, not only the first ones written.
        foreach (var member in context.Members.Where(m => m.Id < 10).ToList())
        {
            member.City = "Moved";
            member.Email = "new" + member.Email;
        }

        context.RemoveRange(context.Members.Where(m => m.Id >= count - 5).ToList());
        context.SaveChanges();
    }

    [Fact]
    public void A_maintained_database_is_consistent_from_the_catalog_and_from_the_model()
    {
        var path = _temp.Db();
        Seed(path, 40);
        using (var context = IndexContext.Create(path))
        {
            var withModel = LsmDatabaseVerifier.Verify(context);
            Assert.True(withModel.IsConsistent, string.Join("\n", withModel.Problems));
        }

        Assert.True(LsmStorePool.Close(path));
        var result = LsmDatabaseVerifier.VerifyIndexes(path);
        Assert.True(result.IsConsistent, string.Join("\n", result.Problems));
        Assert.Empty(result.Skipped);

        // Three indexes (Email, City+Score, Nickname) over 35 rows: each row read and each entry found once per index.
        Assert.Equal(3 * 35, result.Rows);
        Assert.Equal(3 * 35, result.Entries);
    }

    [Fact]
    public void A_missing_entry_and_a_stray_entry_are_reported_by_both_verifiers()
    {
        var path = _temp.Db();
        Seed(path, 20);
        string strayHex;
        using (var context = IndexContext.Create(path))
        {
            var database = (LsmDatabaseWrapper)context.GetService<IDatabase>();
            var mapping = database.GetMapping(context.Model.FindEntityType(typeof(Member))!);
            var index = mapping.Indexes.Single(i => i.Name == "IX_Members_City_Score");
            byte[] first;
            IndexEntry stray;
            using (var view = database.OpenView())
            using (var cursor = view.Scan(index.KeyspaceLowerBound, index.KeyspaceUpperBound))
            {
                Assert.True(cursor.MoveNext());
                first = cursor.Key.ToArray();
            }

            // Damage the index behind the provider's back: one entry gone, one entry for a row that does not exist.
            stray = index.EntryOf(mapping.EncodeKey([99]), ["Nowhere", 7]);
            var batch = new LsmConditionalBatch();
            batch.Delete(first);
            batch.Put(stray.Key, stray.Value);
            database.Store.KeyValueStore.Commit(batch, sync: false);
            strayHex = Convert.ToHexString(stray.Key);

            var withModel = LsmDatabaseVerifier.Verify(context);
            Assert.False(withModel.IsConsistent);
            Assert.Contains(withModel.Problems, p => p.StartsWith("IX_Members_City_Score:", StringComparison.Ordinal) && p.Contains("matches no row", StringComparison.Ordinal));
            Assert.Contains(withModel.Problems, p => p.StartsWith("IX_Members_City_Score:", StringComparison.Ordinal) && p.Contains("rows have no entry", StringComparison.Ordinal));
        }

        Assert.True(LsmStorePool.Close(path));
        var result = LsmDatabaseVerifier.VerifyIndexes(path);
        Assert.False(result.IsConsistent);
        Assert.Equal(2, result.Problems.Count);
        Assert.Contains(result.Problems, p => p.EndsWith($"IX_Members_City_Score: entry 0x{strayHex} matches no row", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p.EndsWith("IX_Members_City_Score: 1 rows have no entry (15 entries for 15 rows)", StringComparison.Ordinal));
    }
}
