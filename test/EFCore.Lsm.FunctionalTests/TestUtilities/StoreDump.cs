using EFCore.Lsm.KeyEncoding.Internal;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.FunctionalTests.TestUtilities;

/// <summary>The stored bytes of a database, keyspace ids aside: what "old or new, never a mix" and "Up then Down restores the bytes" compare.</summary>
public static class StoreDump
{
    /// <summary>One line per row: entity name, primary key bytes (without the keyspace part) and value bytes, in hex.</summary>
    public static List<string> Rows(DbContext context) => Rows(Store(context));

    internal static LsmStore Store(DbContext context) => ((LsmDatabaseWrapper)context.GetService<IDatabase>()).Store;

    internal static List<string> Rows(LsmStore store)
    {
        using var view = store.KeyValueStore.OpenView();
        var catalog = LsmCatalog.Load(view);
        var lines = new List<string>();
        foreach (var entity in catalog.Entities.Values.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var prefix = CatalogKeys.KeyspacePrefix(entity.KeyspaceId);
            using var cursor = view.Scan(prefix, KeyRange.AfterParts(prefix));
            while (cursor.MoveNext())
            {
                lines.Add($"{entity.Name} {Convert.ToHexString(cursor.Key[prefix.Length..])} {Convert.ToHexString(cursor.Value)}");
            }
        }

        return lines;
    }

    /// <summary>The catalog's tables with their live columns and indexes, for comparing schemas.</summary>
    internal static List<string> Schema(LsmStore store)
    {
        using var view = store.KeyValueStore.OpenView();
        var catalog = LsmCatalog.Load(view);
        return
        [
            .. catalog.Entities.Values.OrderBy(e => e.Name, StringComparer.Ordinal).Select(e =>
                $"{e.Name} [{e.DisplayTableName}] ({string.Join(", ", e.Properties.Where(p => !p.Retired).Select(p => p.Name + ":" + p.ProviderType))}) "
                + $"key({string.Join(", ", e.KeyParts.Select(k => e.Properties.First(p => p.Id == k.PropertyId).Name))}) "
                + $"indexes({string.Join(", ", e.Indexes.Select(i => i.Name + (i.Unique ? "!" : "")))})"),
        ];
    }

    /// <summary>Every key of the store (catalog included), for checking that nothing is left behind.</summary>
    internal static int KeyCount(LsmStore store)
    {
        using var view = store.KeyValueStore.OpenView();
        using var cursor = view.Scan([], CatalogKeys.AllKeysUpperBound);
        var count = 0;
        while (cursor.MoveNext())
        {
            count++;
        }

        return count;
    }
}
