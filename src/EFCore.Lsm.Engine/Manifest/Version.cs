using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;
using EFCore.Lsm.Engine.Lookup;
using EFCore.Lsm.Engine.Table;
using EFCore.Lsm.Engine.Util;

namespace EFCore.Lsm.Engine.Manifest;

/// <summary>
/// An immutable list of the live SST files per level, as of one point in the manifest. L0 files may overlap and are
/// kept newest first (by largest sequence); files of L1 and deeper do not overlap and are kept in key order.
/// Readers pin a version with <see cref="TryRef"/>/<see cref="Unref"/> so its files are not deleted under them.
/// </summary>
internal sealed class Version
{
    private readonly VersionSet _owner;
    private int _refs;

    public Version(VersionSet owner, FileMetadata[][] files)
    {
        _owner = owner;
        Files = files;
        _smallestKeys = files.Select(level => level.Select(f => f.Smallest).ToArray()).ToArray();
        _largestKeys = files.Select(level => level.Select(f => f.Largest).ToArray()).ToArray();
    }

    // Per level, the files' key bounds as the level iterator wants them (built once, not per iterator).
    private readonly byte[][][] _smallestKeys;
    private readonly byte[][][] _largestKeys;

    /// <summary>Files per level; <c>Files[0]</c> newest first, deeper levels ordered by smallest key.</summary>
    public FileMetadata[][] Files { get; }

    public int NumLevels => Files.Length;

    public int FileCount(int level) => Files[level].Length;

    public long LevelBytes(int level)
    {
        long total = 0;
        foreach (var f in Files[level])
        {
            total += f.Size;
        }

        return total;
    }

    /// <summary>Adds a reference unless the version was already retired (refs reached zero); then the caller retries.</summary>
    public bool TryRef() => Util.RefCount.TryIncrement(ref _refs);

    /// <summary>Used by the version set when it installs this version (the "current" reference).</summary>
    public void RefInitial() => Volatile.Write(ref _refs, 1);

    public void Unref()
    {
        if (Interlocked.Decrement(ref _refs) == 0)
        {
            _owner.OnVersionReleased(this);
        }
    }

    /// <summary>
    /// Looks a user key up in the SSTs at <paramref name="sequence"/>: L0 newest first, then at most one file per deeper
    /// level. Returns true when some file holds a visible entry (its kind says value or tombstone). The value points
    /// into <paramref name="pin"/>'s block: release it once the value is copied.
    /// </summary>
    public bool TryGet(
        TableCache tables, ReadOnlySpan<byte> userKey, ulong sequence, out ValueKind kind, out ReadOnlySpan<byte> value, out CachedBlock? pin)
    {
        foreach (var file in Files[0])
        {
            if (ContainsUserKey(file, userKey)
                && tables.TryGet(file.Number, file.Size, userKey, sequence, out kind, out value, out pin))
            {
                return true;
            }
        }

        for (var level = 1; level < Files.Length; level++)
        {
            var files = Files[level];
            var index = FindFile(files, userKey);
            if (index < files.Length
                && InternalKey.UserKey(files[index].Smallest).SequenceCompareTo(userKey) <= 0
                && tables.TryGet(files[index].Number, files[index].Size, userKey, sequence, out kind, out value, out pin))
            {
                return true;
            }
        }

        kind = default;
        value = default;
        pin = null;
        return false;
    }

    /// <summary>
    /// Resolves the open keys of <paramref name="batch"/> in the SSTs at <paramref name="sequence"/>, in the order
    /// <see cref="TryGet"/> consults them (L0 newest first, then each deeper level) so the first visible entry wins as it
    /// does there. Each table is asked once, with the run of open keys inside its key range, under one lease; in a sorted
    /// level the file position only moves forward as keys ascend.
    /// </summary>
    public void MultiGet(TableCache tables, ref MultiGetBatch batch, ulong sequence)
    {
        foreach (var file in Files[0])
        {
            var pending = batch.PendingKeys;
            if (pending.IsEmpty)
            {
                return;
            }

            var lo = FirstAtOrAfter(ref batch, pending, InternalKey.UserKey(file.Smallest), orEqual: true);
            var hi = FirstAtOrAfter(ref batch, pending, InternalKey.UserKey(file.Largest), orEqual: false);
            if (lo == hi)
            {
                continue;
            }

            int kept;
            using (var lease = tables.Acquire(file.Number, file.Size))
            {
                kept = lease.Reader.MultiGet(ref batch, pending[lo..hi], sequence);
            }

            pending[hi..].CopyTo(pending[(lo + kept)..]);
            batch.PendingCount -= hi - lo - kept;
        }

        for (var level = 1; level < Files.Length; level++)
        {
            var files = Files[level];
            var pending = batch.PendingKeys;
            if (pending.IsEmpty)
            {
                return;
            }

            if (files.Length == 0)
            {
                continue;
            }

            var writer = new PendingWriter(pending);
            var fileIndex = 0;
            var r = 0;
            while (r < pending.Length)
            {
                var key = batch.Key(pending[r]);
                fileIndex += FindFile(files.AsSpan(fileIndex), key);
                if (fileIndex == files.Length)
                {
                    writer.Keep(pending[r..]);
                    break;
                }

                var file = files[fileIndex];
                if (InternalKey.UserKey(file.Smallest).SequenceCompareTo(key) > 0)
                {
                    writer.Keep(pending[r]);
                    r++;
                    continue;
                }

                var end = r + FirstAtOrAfter(ref batch, pending[(r + 1)..], InternalKey.UserKey(file.Largest), orEqual: false) + 1;
                int kept;
                using (var lease = tables.Acquire(file.Number, file.Size))
                {
                    kept = lease.Reader.MultiGet(ref batch, pending[r..end], sequence);
                }

                writer.Keep(pending.Slice(r, kept));
                r = end;
            }

            batch.PendingCount = writer.Count;
        }
    }

    /// <summary>
    /// Position in <paramref name="groups"/> (ascending keys) of the first key &gt;= <paramref name="bound"/>
    /// (<paramref name="orEqual"/>) or &gt; it.
    /// </summary>
    private static int FirstAtOrAfter(ref MultiGetBatch batch, ReadOnlySpan<int> groups, ReadOnlySpan<byte> bound, bool orEqual)
    {
        int lo = 0, hi = groups.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = Bytewise.Compare(batch.Key(groups[mid]), bound);
            if (c < 0 || (c == 0 && !orEqual))
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>Adds one iterator per L0 file and one concatenating iterator per non-empty deeper level.</summary>
    public void AddIterators(List<IInternalIterator> iterators, TableCache tables, bool fillCache)
    {
        foreach (var file in Files[0])
        {
            iterators.Add(tables.NewIterator(file.Number, file.Size, fillCache));
        }

        for (var level = 1; level < Files.Length; level++)
        {
            var files = Files[level];
            if (files.Length == 0)
            {
                continue;
            }

            iterators.Add(new LevelIterator(
                _smallestKeys[level],
                _largestKeys[level],
                (i, previous) => tables.NewIterator(files[i].Number, files[i].Size, fillCache, previous)));
        }
    }

    /// <summary>Index of the first file of a sorted level whose largest user key is &gt;= <paramref name="userKey"/>.</summary>
    public static int FindFile(ReadOnlySpan<FileMetadata> files, ReadOnlySpan<byte> userKey)
    {
        int lo = 0, hi = files.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (InternalKey.UserKey(files[mid].Largest).SequenceCompareTo(userKey) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static bool ContainsUserKey(FileMetadata file, ReadOnlySpan<byte> userKey)
        => InternalKey.UserKey(file.Smallest).SequenceCompareTo(userKey) <= 0
           && InternalKey.UserKey(file.Largest).SequenceCompareTo(userKey) >= 0;
}
