namespace EFCore.Lsm.Storage.Internal;

/// <summary>Deletes every key of a range in chunks, each chunk one commit, so a crash part-way leaves a prefix deleted.</summary>
internal static class RangeDeleter
{
    private const int Chunk = 4096;

    public static void Delete(ILsmKeyValueStore store, byte[] lower, byte[] upper, bool sync)
    {
        var chunk = Math.Min(Chunk, store.Limits.MaxOperations ?? Chunk);
        while (true)
        {
            // One chunk per view: a store may bound how long a view lives, and each chunk's deletes are committed before
            // the next chunk is read.
            var batch = new LsmConditionalBatch();
            using (var view = store.OpenView())
            using (var cursor = view.Scan(lower, upper, limit: chunk))
            {
                while (cursor.MoveNext())
                {
                    batch.Delete(cursor.Key.ToArray());
                }
            }

            if (batch.Operations.Count == 0)
            {
                return;
            }

            store.Commit(batch, sync);
        }
    }
}
