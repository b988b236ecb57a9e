using EFCore.Lsm.Engine.Manifest;
using EFCore.Lsm.Engine.Storage;

namespace EFCore.Lsm.Tool.Inspection;

/// <summary>
/// The state recorded by CURRENT and the manifest it names, read without opening the database: the engine's
/// <see cref="VersionSet.Recover"/> only reads, whereas <c>LsmDatabase.Open</c> writes a new manifest and WAL.
/// </summary>
internal sealed class DatabaseManifest
{
    private DatabaseManifest(string manifestName, ulong logNumber, ulong lastSequence, ulong nextFileNumber, FileMetadata[][] levels)
    {
        ManifestName = manifestName;
        LogNumber = logNumber;
        LastSequence = lastSequence;
        NextFileNumber = nextFileNumber;
        Levels = levels;
    }

    /// <summary>The manifest CURRENT names, e.g. <c>MANIFEST-000004</c>.</summary>
    public string ManifestName { get; }

    /// <summary>WALs numbered from this on hold writes not yet in tables; older ones are obsolete.</summary>
    public ulong LogNumber { get; }

    public ulong LastSequence { get; }

    public ulong NextFileNumber { get; }

    /// <summary>Live tables per level (L0 newest first, deeper levels in key order).</summary>
    public FileMetadata[][] Levels { get; }

    public IEnumerable<(int Level, FileMetadata File)> LiveTables()
    {
        for (var level = 0; level < Levels.Length; level++)
        {
            foreach (var file in Levels[level])
            {
                yield return (level, file);
            }
        }
    }

    /// <summary>Reads CURRENT and the manifest; damage raises <see cref="Engine.LsmCorruptionException"/>.</summary>
    public static DatabaseManifest Read(string dbPath)
    {
        var fs = LocalFileSystem.Instance;
        var manifestName = CurrentFile.Read(fs, dbPath);
        using var versions = new VersionSet(fs, dbPath);
        versions.Recover();
        return new DatabaseManifest(
            manifestName, versions.LogNumber, versions.LastSequence, versions.NextFileNumber, versions.Current.Files);
    }
}
