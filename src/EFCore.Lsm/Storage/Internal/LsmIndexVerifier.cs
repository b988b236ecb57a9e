using EFCore.Lsm.Metadata.Internal;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// Checks, at one view, that the secondary indexes of an entity type agree with its rows: every row has exactly the
/// entries its values give, and every entry in an index keyspace is one of those (no entry for a missing row or for old
/// values). What the tests, and an operator's verify command, use to prove index maintenance.
/// </summary>
internal static class LsmIndexVerifier
{
    /// <summary>The disagreements found (empty when the indexes are consistent), each naming the index and the entry.</summary>
    public static List<string> Verify(ILsmReadView view, LsmEntityMapping entity)
    {
        var problems = new List<string>();
        foreach (var index in entity.Indexes)
        {
            var expected = new Dictionary<byte[], byte[]>(ByteArrayEqualityComparer.Instance);
            using (var rows = view.Scan(entity.KeyspaceLowerBound, entity.KeyspaceUpperBound))
            {
                while (rows.MoveNext())
                {
                    var entry = index.EntryOf(rows.Key, rows.Value.ToArray())!;
                    if (!expected.TryAdd(entry.Key, entry.Value))
                    {
                        problems.Add($"{index.Name}: two rows share the unique entry 0x{Convert.ToHexString(entry.Key)}");
                    }
                }
            }

            var found = 0;
            using (var entries = view.Scan(index.KeyspaceLowerBound, index.KeyspaceUpperBound))
            {
                while (entries.MoveNext())
                {
                    found++;
                    if (!expected.TryGetValue(entries.Key.ToArray(), out var value))
                    {
                        problems.Add($"{index.Name}: entry 0x{Convert.ToHexString(entries.Key)} matches no row");
                    }
                    else if (!value.AsSpan().SequenceEqual(entries.Value))
                    {
                        problems.Add($"{index.Name}: entry 0x{Convert.ToHexString(entries.Key)} names another row");
                    }
                }
            }

            if (found < expected.Count)
            {
                problems.Add($"{index.Name}: {expected.Count - found} rows have no entry ({found} entries for {expected.Count} rows)");
            }
        }

        return problems;
    }
}
