namespace EFCore.Lsm.Storage.Internal;

/// <summary>Deletes every key of a range in chunks, each chunk one commit, so a crash part-way leaves a prefix deleted.</summary>
internal static class RangeDeleter
{
    private const int Chunk = 4096;

    public static void Delete(ILsmKeyValueStore store, byte[] lower, byte[] upper, bool sync)
    {
        var chunk = Math.Min(Chunk, store.Limits.MaxOperations ?? Chunk);
        var from = lower;

        // One batch for every chunk (the store copies what it commits): a migration deletes a whole old keyspace this way, and a
        // batch per chunk would leave its grown operation list behind as garbage each time.
        var batch = new LsmConditionalBatch();
        while (true)
        {
            // One chunk per view: a store may bound how long a view lives, and each chunk's deletes are committed before
            // the next chunk is read. The next chunk starts just after the last key deleted, not at the range's start: a scan
            // from the start would pass over every tombstone the earlier chunks wrote, which makes deleting n keys cost n²/chunk.
            // The callers delete ranges nothing writes while they go (garbage keyspaces, an index the catalog dropped, the whole
            // database in EnsureDeleted); a write behind the cursor would survive, as one after the last chunk always could.
            batch.Clear();
            byte[]? last = null;
            using (var view = store.OpenView())
            using (var cursor = view.Scan(from, upper, limit: chunk))
            {
                while (cursor.MoveNext())
                {
                    last = cursor.Key.ToArray();
                    batch.Delete(last);
                }
            }

            if (last is null)
            {
                return;
            }

            store.Commit(batch, sync);
            from = [.. last, 0];
        }
    }
}
