using System.Globalization;

namespace EFCore.Lsm.Engine.Storage;

/// <summary>The kinds of files in a database folder, named as LevelDB names them so people and tools recognise them.</summary>
internal enum DbFileKind
{
    Log,
    Table,
    Manifest,
    Current,
    Lock,
    Temp,
    Identity,
}

/// <summary>
/// File naming: <c>NNNNNN.log</c> (WAL), <c>NNNNNN.sst</c>, <c>MANIFEST-NNNNNN</c>, <c>CURRENT</c>, <c>LOCK</c>,
/// <c>IDENTITY</c> (marks the folder as an EFCore.Lsm database, docs/manifest_format.md), <c>NNNNNN.dbtmp</c> (a file
/// being written before an atomic rename). Numbers come from one counter in the manifest.
/// </summary>
internal static class FileNames
{
    public const string Current = "CURRENT";
    public const string Lock = "LOCK";
    public const string Identity = "IDENTITY";

    public static string LogFile(string directory, ulong number) => Path.Combine(directory, Number(number) + ".log");

    public static string TableFile(string directory, ulong number) => Path.Combine(directory, Number(number) + ".sst");

    public static string ManifestFile(string directory, ulong number) => Path.Combine(directory, ManifestName(number));

    public static string ManifestName(ulong number) => "MANIFEST-" + Number(number);

    public static string TempFile(string directory, ulong number) => Path.Combine(directory, Number(number) + ".dbtmp");

    public static string CurrentFile(string directory) => Path.Combine(directory, Current);

    public static string LockFile(string directory) => Path.Combine(directory, Lock);

    public static string IdentityFile(string directory) => Path.Combine(directory, Identity);

    /// <summary>
    /// Names that LevelDB and RocksDB give files we never create (their info log, options file and LevelDB's table
    /// suffix): a folder holding one is another engine's database, whatever else it holds.
    /// </summary>
    public static bool IsForeignDatabaseFile(string name)
        => name == "LOG"
           || name.StartsWith("LOG.old", StringComparison.Ordinal)
           || name.StartsWith("OPTIONS-", StringComparison.Ordinal)
           || name.EndsWith(".ldb", StringComparison.Ordinal);

    /// <summary>Recognises a file name of the database folder; false for files that are not ours.</summary>
    public static bool TryParse(string name, out DbFileKind kind, out ulong number)
    {
        number = 0;
        kind = default;
        switch (name)
        {
            case Current:
                kind = DbFileKind.Current;
                return true;
            case Lock:
                kind = DbFileKind.Lock;
                return true;
            case Identity:
                kind = DbFileKind.Identity;
                return true;
        }

        if (name.StartsWith("MANIFEST-", StringComparison.Ordinal))
        {
            kind = DbFileKind.Manifest;
            return ulong.TryParse(name.AsSpan("MANIFEST-".Length), NumberStyles.None, CultureInfo.InvariantCulture, out number);
        }

        var dot = name.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || !ulong.TryParse(name.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out number))
        {
            return false;
        }

        switch (name[(dot + 1)..])
        {
            case "log":
                kind = DbFileKind.Log;
                return true;
            case "sst":
                kind = DbFileKind.Table;
                return true;
            case "dbtmp":
                kind = DbFileKind.Temp;
                return true;
            default:
                return false;
        }
    }

    private static string Number(ulong number) => number.ToString("D6", CultureInfo.InvariantCulture);
}
