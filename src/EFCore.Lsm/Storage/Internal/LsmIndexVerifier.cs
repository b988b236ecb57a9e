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
            VerifyIndex(
                view,
                index.Name,
                (entity.KeyspaceLowerBound, entity.KeyspaceUpperBound),
                (index.KeyspaceLowerBound, index.KeyspaceUpperBound),
                (rowKey, row) => index.EntryOf(rowKey, row)!,
                problems);
        }

        return problems;
    }

    /// <summary>
    /// Compares the entries in <paramref name="entries"/> with the ones <paramref name="entryOf"/> gives each row in
    /// <paramref name="rows"/>, adding a line per disagreement to <paramref name="problems"/>; returns the number of rows
    /// and entries read.
    /// </summary>
    public static (long Rows, long Entries) VerifyIndex(
        ILsmReadView view,
        string name,
        (byte[] Lower, byte[] Upper) rows,
        (byte[] Lower, byte[] Upper) entries,
        Func<byte[], byte[], IndexEntry> entryOf,
        List<string> problems)
    {
        var expected = new Dictionary<byte[], byte[]>(ByteArrayEqualityComparer.Instance);
        using (var cursor = view.Scan(rows.Lower, rows.Upper))
        {
            while (cursor.MoveNext())
            {
                var entry = entryOf(cursor.Key.ToArray(), cursor.Value.ToArray());
                if (!expected.TryAdd(entry.Key, entry.Value))
                {
                    problems.Add($"{name}: two rows share the unique entry 0x{Convert.ToHexString(entry.Key)}");
                }
            }
        }

        // Rows without their entry are counted by the entries that match a row, not by all entries found: a stray entry
        // must not hide a missing one.
        var found = 0;
        var matched = 0;
        using (var cursor = view.Scan(entries.Lower, entries.Upper))
        {
            while (cursor.MoveNext())
            {
                found++;
                if (!expected.TryGetValue(cursor.Key.ToArray(), out var value))
                {
                    problems.Add($"{name}: entry 0x{Convert.ToHexString(cursor.Key)} matches no row");
                    continue;
                }

                matched++;
                if (!value.AsSpan().SequenceEqual(cursor.Value))
                {
                    problems.Add($"{name}: entry 0x{Convert.ToHexString(cursor.Key)} names another row");
                }
            }
        }

        if (matched < expected.Count)
        {
            problems.Add($"{name}: {expected.Count - matched} rows have no entry ({found} entries for {expected.Count} rows)");
        }

        return (expected.Count, found);
    }
}
