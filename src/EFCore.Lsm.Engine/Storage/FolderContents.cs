using EFCore.Lsm.Engine.Manifest;

namespace EFCore.Lsm.Engine.Storage;

/// <summary>What opening may do with a folder, as <see cref="FolderContents.Classify"/> decides it.</summary>
internal enum FolderKind
{
    /// <summary>No data was ever recorded here (no files of ours, or only what an interrupted creation leaves): create.</summary>
    Empty,

    /// <summary>CURRENT is present: recover the database it names.</summary>
    Database,
}

/// <summary>
/// One listing of a database folder, sorted by what each file is: ours by kind (docs/manifest_format.md, "The folder"),
/// another engine's, or unrelated. Opening classifies the folder from it before it writes anything, so that a folder
/// that is not a whole database of ours is refused untouched (RocksDB's rule: "no CURRENT" means a new database only
/// when the folder holds no database files at all).
/// </summary>
internal sealed class FolderContents
{
    private FolderContents(string path)
    {
        Path = path;
    }

    public string Path { get; }

    public bool HasCurrent { get; private set; }

    public IdentityStatus Identity { get; private set; }

    public SortedDictionary<ulong, long> Logs { get; } = [];

    public SortedSet<ulong> Tables { get; } = [];

    public SortedSet<ulong> Manifests { get; } = [];

    /// <summary>Files only another engine creates (LevelDB's and RocksDB's LOG, OPTIONS-*, *.ldb).</summary>
    public List<string> ForeignFiles { get; } = [];

    public static FolderContents Read(IFileSystem fs, string path)
    {
        var contents = new FolderContents(path);
        foreach (var name in fs.ListFiles(path))
        {
            if (FileNames.IsForeignDatabaseFile(name))
            {
                contents.ForeignFiles.Add(name);
                continue;
            }

            if (!FileNames.TryParse(name, out var kind, out var number))
            {
                continue;
            }

            switch (kind)
            {
                case DbFileKind.Current:
                    contents.HasCurrent = true;
                    break;
                case DbFileKind.Log:
                    contents.Logs[number] = fs.GetFileSize(System.IO.Path.Combine(path, name));
                    break;
                case DbFileKind.Table:
                    contents.Tables.Add(number);
                    break;
                case DbFileKind.Manifest:
                    contents.Manifests.Add(number);
                    break;
            }
        }

        contents.Identity = IdentityFile.Read(fs, path, out _);
        return contents;
    }

    /// <summary>
    /// Decides whether the folder may be opened. Throws <see cref="LsmNotADatabaseException"/> for another engine's
    /// database or an IDENTITY that is not ours, and <see cref="LsmMissingFileException"/> (naming CURRENT) for a folder
    /// that holds data of a database whose CURRENT is gone. Reads, never writes.
    /// </summary>
    public FolderKind Classify(IFileSystem fs)
    {
        if (Identity == IdentityStatus.Foreign)
        {
            throw new LsmNotADatabaseException(Path, "its IDENTITY file is not an EFCore.Lsm marker (a RocksDB database?)");
        }

        if (Identity == IdentityStatus.Missing && ForeignFiles.Count > 0)
        {
            throw new LsmNotADatabaseException(
                Path, $"it holds {string.Join(", ", ForeignFiles)}, which LevelDB and RocksDB create and we never do");
        }

        if (HasCurrent)
        {
            return FolderKind.Database;
        }

        if (RecordsNoData(fs))
        {
            return FolderKind.Empty;
        }

        if (Identity == IdentityStatus.Missing && !Manifests.Any(number => VersionSet.IsOurs(fs, Path, FileNames.ManifestName(number))))
        {
            throw new LsmNotADatabaseException(
                Path, $"it has no CURRENT and no IDENTITY, but holds {DescribeOurKinds()} named like database files");
        }

        throw new LsmMissingFileException(
            FileNames.Current,
            $"the folder '{Path}' is an EFCore.Lsm database and holds {DescribeOurKinds()}, but no CURRENT names "
            + "its live manifest; it was not opened, so nothing was changed (restore CURRENT from a backup, or the folder)");
    }

    /// <summary>
    /// True when no file here can hold data: no table, every WAL empty, and every manifest either torn before its first
    /// edit or recording no table and last sequence 0. Creating a database over such a folder loses nothing.
    /// </summary>
    private bool RecordsNoData(IFileSystem fs)
    {
        if (Tables.Count > 0 || Logs.Values.Any(size => size > 0))
        {
            return false;
        }

        foreach (var number in Manifests)
        {
            if (!VersionSet.RecordsNoData(fs, Path, FileNames.ManifestName(number)))
            {
                return false;
            }
        }

        return true;
    }

    private string DescribeOurKinds()
    {
        var parts = new List<string>();
        if (Tables.Count > 0)
        {
            parts.Add(Plural(Tables.Count, "table"));
        }

        if (Logs.Count > 0)
        {
            parts.Add(Plural(Logs.Count, "WAL"));
        }

        parts.AddRange(Manifests.Select(FileNames.ManifestName));
        return parts.Count switch
        {
            0 => "no data files",
            1 => parts[0],
            _ => string.Join(", ", parts[..^1]) + " and " + parts[^1],
        };

        static string Plural(int count, string noun) => $"{count} {noun}{(count == 1 ? "" : "s")}";
    }
}
