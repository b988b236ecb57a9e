using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Storage;

namespace EFCore.Lsm.Update.Internal;

/// <summary>
/// Fills a new index of an entity type that already has rows (catalog state Building) from those rows, in chunks, so
/// the index can be marked Ready and used by queries. Idempotent: a build cut short by a crash is started again from the
/// first row on the next registration, and entries it already wrote are written again unchanged.
/// </summary>
internal static class LsmIndexBuilder
{
    private const int ChunkRows = 1024;

    /// <summary>
    /// Writes the entries of every row of <paramref name="entity"/> for <paramref name="index"/>. Throws
    /// <see cref="InvalidOperationException"/> naming the index and the values when two rows share a value of a unique
    /// index (the index then stays Building, unused).
    /// </summary>
    public static void Build(ILsmKeyValueStore store, LsmEntityMapping entity, LsmIndexMapping index, bool sync)
    {
        var chunk = Math.Max(1, Math.Min(ChunkRows, (store.Limits.MaxOperations ?? int.MaxValue) / 2));
        var lower = entity.KeyspaceLowerBound;
        while (true)
        {
            var batch = new LsmConditionalBatch();
            byte[]? last = null;
            using (var view = store.OpenView())
            {
                var claimed = new Dictionary<byte[], byte[]>(Storage.Internal.ByteArrayEqualityComparer.Instance);
                using var cursor = view.Scan(lower, entity.KeyspaceUpperBound, limit: chunk);
                while (cursor.MoveNext())
                {
                    var rowKey = cursor.Key.ToArray();
                    var entry = index.EntryOf(rowKey, cursor.Value.ToArray())!;
                    if (entry.Unique)
                    {
                        var owner = claimed.TryGetValue(entry.Key, out var inChunk) ? inChunk : view.Get(entry.Key);
                        if (owner is not null && !owner.AsSpan().SequenceEqual(entry.Value))
                        {
                            var values = entity.ReadProperties(cursor.Value, index.Columns);
                            throw new InvalidOperationException(
                                $"The unique index '{index.Name}' of '{entity.EntityType.DisplayName()}' cannot be built: two rows have "
                                + $"({string.Join(", ", index.Columns.Select(c => c.Property.Name))}) = "
                                + $"({string.Join(", ", values.Select(v => v?.ToString() ?? "null"))}). Make the values unique, then open "
                                + "the database with this model again.");
                        }

                        claimed[entry.Key] = entry.Value;
                    }

                    batch.Put(entry.Key, entry.Value);
                    last = rowKey;
                }
            }

            if (last is null)
            {
                return;
            }

            store.Commit(batch, sync);
            lower = [.. last, 0x00]; // the next key after the last row read
        }
    }

    /// <summary>Deletes every entry of an index the catalog no longer lists, in chunks.</summary>
    public static void DeleteEntries(ILsmKeyValueStore store, CatalogIndex index, bool sync)
    {
        var lower = CatalogKeys.KeyspacePrefix(index.KeyspaceId);
        Storage.Internal.RangeDeleter.Delete(store, lower, KeyEncoding.Internal.KeyRange.AfterParts(lower), sync);
    }
}
