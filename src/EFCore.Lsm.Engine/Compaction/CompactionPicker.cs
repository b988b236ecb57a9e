using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Manifest;
using Version = EFCore.Lsm.Engine.Manifest.Version;

namespace EFCore.Lsm.Engine.Compaction;

/// <summary>
/// Leveled compaction choice, as LevelDB and RocksDB make it: L0 is scored by file count against its trigger, each
/// deeper level by its bytes against a target that grows tenfold per level; the highest score at or above 1 is compacted.
/// Within a level, files are taken round-robin after the level's compact pointer so the whole key space gets its turn.
/// </summary>
internal static class CompactionPicker
{
    /// <summary>The size target of <paramref name="level"/> (1 and deeper).</summary>
    public static long MaxBytesForLevel(LsmOptions options, int level)
    {
        double bytes = options.MaxBytesForLevelBase;
        for (var l = 1; l < level; l++)
        {
            bytes *= options.MaxBytesForLevelMultiplier;
        }

        return (long)Math.Min(bytes, long.MaxValue / 2);
    }

    /// <summary>Scores every level but the last; a score of 1 or more means the level needs compaction.</summary>
    public static double[] Scores(Version version, LsmOptions options)
    {
        var scores = new double[version.NumLevels - 1];
        scores[0] = version.FileCount(0) / (double)options.Level0CompactionTrigger;
        for (var level = 1; level < scores.Length; level++)
        {
            scores[level] = version.LevelBytes(level) / (double)MaxBytesForLevel(options, level);
        }

        return scores;
    }

    /// <summary>The compaction the version most needs, or null when every level is within its target.</summary>
    public static Compaction? Pick(Version version, LsmOptions options, Func<int, byte[]?> compactPointer)
    {
        var scores = Scores(version, options);
        var best = -1;
        for (var level = 0; level < scores.Length; level++)
        {
            if (scores[level] >= 1 && (best < 0 || scores[level] > scores[best]))
            {
                best = level;
            }
        }

        if (best < 0)
        {
            return null;
        }

        if (best == 0)
        {
            // L0 files overlap each other: take them all, so what stays in L0 is always newer than what went down.
            return Expand(version, 0, version.Files[0], "L0 file count");
        }

        var files = version.Files[best];
        var pointer = compactPointer(best);
        var start = 0;
        if (pointer is not null)
        {
            while (start < files.Length && InternalKey.Compare(files[start].Largest, pointer) <= 0)
            {
                start++;
            }

            if (start == files.Length)
            {
                start = 0; // wrap around
            }
        }

        return Expand(version, best, [files[start]], "level size");
    }

    /// <summary>
    /// A compaction of every file of <paramref name="level"/> that overlaps the user-key range [begin, end]
    /// (null = unbounded), or null when none does.
    /// </summary>
    public static Compaction? PickRange(Version version, int level, byte[]? begin, byte[]? end)
    {
        var inputs = Overlapping(version.Files[level], begin, end);
        if (inputs.Length == 0)
        {
            return null;
        }

        if (level == 0)
        {
            // Every L0 file must go down together: an older overlapping L0 file left behind would shadow newer data.
            inputs = version.Files[0];
        }

        return Expand(version, level, inputs, "manual");
    }

    /// <summary>Files of a level whose user-key range intersects [begin, end] (null = unbounded).</summary>
    public static FileMetadata[] Overlapping(FileMetadata[] files, ReadOnlySpan<byte> begin, ReadOnlySpan<byte> end, bool beginSet, bool endSet)
    {
        var result = new List<FileMetadata>();
        foreach (var file in files)
        {
            var smallest = InternalKey.UserKey(file.Smallest);
            var largest = InternalKey.UserKey(file.Largest);
            if ((beginSet && largest.SequenceCompareTo(begin) < 0) || (endSet && smallest.SequenceCompareTo(end) > 0))
            {
                continue;
            }

            result.Add(file);
        }

        return [.. result];
    }

    private static FileMetadata[] Overlapping(FileMetadata[] files, byte[]? begin, byte[]? end)
        => Overlapping(files, begin, end, begin is not null, end is not null);

    private static Compaction Expand(Version version, int level, FileMetadata[] inputs, string reason)
    {
        if (level == version.NumLevels - 1)
        {
            // The last level has nowhere to go: it is rewritten in place (RocksDB's bottommost compaction).
            return new Compaction(version, level, level, inputs, [], reason);
        }

        var (smallest, largest) = UserKeyRange(inputs);
        var next = Overlapping(version.Files[level + 1], smallest, largest, beginSet: true, endSet: true);
        return new Compaction(version, level, level + 1, inputs, next, reason);
    }

    private static (byte[] Smallest, byte[] Largest) UserKeyRange(FileMetadata[] files)
    {
        var smallest = files[0].Smallest;
        var largest = files[0].Largest;
        foreach (var file in files)
        {
            if (InternalKey.UserKey(file.Smallest).SequenceCompareTo(InternalKey.UserKey(smallest)) < 0)
            {
                smallest = file.Smallest;
            }

            if (InternalKey.UserKey(file.Largest).SequenceCompareTo(InternalKey.UserKey(largest)) > 0)
            {
                largest = file.Largest;
            }
        }

        return (InternalKey.UserKey(smallest).ToArray(), InternalKey.UserKey(largest).ToArray());
    }
}
