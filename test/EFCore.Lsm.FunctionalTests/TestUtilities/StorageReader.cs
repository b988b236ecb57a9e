using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.FunctionalTests.TestUtilities;

/// <summary>Reads rows back through the provider's storage seam, bypassing the query pipeline.</summary>
public static class StorageReader
{
    /// <summary>
    /// The stored row of <typeparamref name="TEntity"/> with key <paramref name="key"/>, as property name → value; null when absent.
    /// </summary>
    public static Dictionary<string, object?>? Row<TEntity>(DbContext context, params object?[] key)
    {
        var database = (LsmDatabaseWrapper)context.GetService<IDatabase>();
        var entityType = context.Model.FindEntityType(typeof(TEntity))!;
        var mapping = database.GetMapping(entityType);
        using var view = database.OpenView();
        var value = view.Get(mapping.EncodeKey(key));
        return value is null ? null : ToDictionary(mapping, value);
    }

    /// <summary>Every stored row of <typeparamref name="TEntity"/>, in key order, read at one view.</summary>
    public static List<Dictionary<string, object?>> Scan<TEntity>(DbContext context)
    {
        var database = (LsmDatabaseWrapper)context.GetService<IDatabase>();
        var mapping = database.GetMapping(context.Model.FindEntityType(typeof(TEntity))!);
        using var view = database.OpenView();
        using var cursor = view.Scan(mapping.KeyspaceLowerBound, mapping.KeyspaceUpperBound);
        var rows = new List<Dictionary<string, object?>>();
        while (cursor.MoveNext())
        {
            rows.Add(ToDictionary(mapping, cursor.Value.ToArray()));
        }

        return rows;
    }

    private static Dictionary<string, object?> ToDictionary(LsmEntityMapping mapping, byte[] value)
    {
        var values = mapping.DecodeRow(value);
        return mapping.EntityType.GetProperties().ToDictionary(p => p.Name, p => values[p.GetIndex()]);
    }
}
