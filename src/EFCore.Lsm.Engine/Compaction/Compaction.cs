using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Manifest;
using Version = EFCore.Lsm.Engine.Manifest.Version;

namespace EFCore.Lsm.Engine.Compaction;

/// <summary>
/// One unit of compaction work: files of <see cref="Level"/> merged with the overlapping files of the next level into
/// new files of the next level. Built by <see cref="CompactionPicker"/> against one <see cref="Version"/>.
/// </summary>
internal sealed class Compaction
{
    public Compaction(Version version, int level, int outputLevel, FileMetadata[] inputs, FileMetadata[] nextLevelInputs, string reason)
    {
        Version = version;
        Level = level;
        OutputLevel = outputLevel;
        Inputs = inputs;
        NextLevelInputs = nextLevelInputs;
        Reason = reason;
    }

    /// <summary>The version the inputs were chosen from (pinned by the caller while the compaction runs).</summary>
    public Version Version { get; }

    public int Level { get; }

    /// <summary>The next level, or <see cref="Level"/> itself when the last level is rewritten in place.</summary>
    public int OutputLevel { get; }

    public FileMetadata[] Inputs { get; }

    public FileMetadata[] NextLevelInputs { get; }

    /// <summary>Why it was picked ("L0 file count", "level size", "manual"), for logs and stats.</summary>
    public string Reason { get; }

    public IEnumerable<FileMetadata> AllInputs => Inputs.Concat(NextLevelInputs);

    public long InputBytes => AllInputs.Sum(f => f.Size);

    /// <summary>
    /// Files with nothing to merge against below, and no user key in two of them, move down by a manifest edit alone,
    /// without being rewritten: a sequential load's L0 files (each its own key range) go down this way, as LevelDB
    /// places such flushes directly.
    /// </summary>
    public bool IsTrivialMove => NextLevelInputs.Length == 0 && OutputLevel > Level && InputsAreDisjoint();

    private bool InputsAreDisjoint()
    {
        if (Inputs.Length == 1)
        {
            return true;
        }

        var sorted = Inputs.OrderBy(f => f.Smallest, InternalKeyComparer.Instance).ToArray();
        for (var i = 1; i < sorted.Length; i++)
        {
            if (InternalKey.UserKey(sorted[i - 1].Largest).SequenceCompareTo(InternalKey.UserKey(sorted[i].Smallest)) >= 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether no level below the output level holds any file: the output is the tree's bottommost data.</summary>
    public bool IsBottommostOutput
    {
        get
        {
            for (var level = OutputLevel + 1; level < Version.NumLevels; level++)
            {
                if (Version.Files[level].Length > 0)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>
    /// Whether no level below the output holds <paramref name="userKey"/>: then a tombstone for it hides nothing
    /// and can be dropped (once no snapshot needs it).
    /// </summary>
    public bool IsBottommostForKey(ReadOnlySpan<byte> userKey)
    {
        for (var level = OutputLevel + 1; level < Version.NumLevels; level++)
        {
            var files = Version.Files[level];
            var index = Version.FindFile(files, userKey);
            if (index < files.Length && InternalKey.UserKey(files[index].Smallest).SequenceCompareTo(userKey) <= 0)
            {
                return false;
            }
        }

        return true;
    }
}
