using System.Globalization;
using EFCore.Lsm.Engine;
using EFCore.Lsm.Engine.Storage;

namespace EFCore.Lsm.Tool.Storage;

/// <summary>
/// Checks a database folder argument before anything touches it, so that a typo gives "does not exist" rather than a
/// freshly created empty database, and opens databases the way every command that goes through the engine wants them.
/// </summary>
internal static class DatabaseFolder
{
    /// <summary>
    /// Returns the full path of the database folder, or throws <see cref="ToolException"/> when it does not exist, is a
    /// file, or holds no CURRENT file (not a database).
    /// </summary>
    public static string Require(string path)
    {
        var fullPath = RequireFolder(path);
        if (!File.Exists(FileNames.CurrentFile(fullPath)))
        {
            throw new ToolException(ExitCodes.BadInput, $"'{path}' is not an lsm database: it has no CURRENT file.");
        }

        return fullPath;
    }

    /// <summary>
    /// Like <see cref="Require"/>, but a damaged database whose CURRENT is gone still qualifies as long as the folder
    /// holds files named as the engine names them: the dump and verify commands exist to look at broken databases.
    /// </summary>
    public static string RequireForInspection(string path)
    {
        var fullPath = RequireFolder(path);
        foreach (var file in Directory.EnumerateFiles(fullPath))
        {
            if (FileNames.TryParse(Path.GetFileName(file), out var kind, out _) && kind != DbFileKind.Lock)
            {
                return fullPath;
            }
        }

        throw new ToolException(ExitCodes.BadInput, $"'{path}' is not an lsm database: it has no CURRENT, manifest, WAL or table files.");
    }

    /// <summary>
    /// Opens an existing database for reading (<see cref="LsmOptions.ReadOnly"/>): no lock and no write, so it works
    /// beside another process that has the database open, and sees the state as of this moment.
    /// </summary>
    public static LsmDatabase OpenReadOnly(string path)
        => LsmDatabase.Open(Require(path), new LsmOptions { ReadOnly = true });

    /// <summary>
    /// Opens an existing database for writing (never creates one): takes the lock, so a database open elsewhere is
    /// "in use". Background compaction stays off: a tool run is short and should change no more files than it must.
    /// </summary>
    public static LsmDatabase OpenForWriting(string path)
        => LsmDatabase.Open(Require(path), new LsmOptions { CreateIfMissing = false, DisableAutoCompactions = true });

    /// <summary>
    /// Finds a file of the database named by <paramref name="spec"/>: a file number ("7" → <c>000007.sst</c>), a name in
    /// the folder, or a path. Throws <see cref="ToolException"/> naming what was looked for.
    /// </summary>
    public static string ResolveFile(string folder, string spec, DbFileKind kind)
    {
        if (ulong.TryParse(spec, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            var numbered = kind == DbFileKind.Log ? FileNames.LogFile(folder, number) : FileNames.TableFile(folder, number);
            if (File.Exists(numbered))
            {
                return numbered;
            }

            throw new ToolException(ExitCodes.BadInput, $"There is no file '{Path.GetFileName(numbered)}' in '{folder}'.");
        }

        if (File.Exists(spec))
        {
            return Path.GetFullPath(spec);
        }

        var inFolder = Path.Combine(folder, spec);
        if (File.Exists(inFolder))
        {
            return inFolder;
        }

        throw new ToolException(ExitCodes.BadInput, $"There is no file '{spec}' (looked for it as a path and in '{folder}').");
    }

    /// <summary>The files of one kind in the folder, by file number.</summary>
    public static List<(ulong Number, string Path)> ListFiles(string folder, DbFileKind kind)
    {
        var files = new List<(ulong Number, string Path)>();
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            if (FileNames.TryParse(Path.GetFileName(file), out var found, out var number) && found == kind)
            {
                files.Add((number, file));
            }
        }

        files.Sort((a, b) => a.Number.CompareTo(b.Number));
        return files;
    }

    private static string RequireFolder(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ToolException(ExitCodes.BadInput, "No database folder was given.");
        }

        var fullPath = Path.GetFullPath(path);
        if (File.Exists(fullPath))
        {
            throw new ToolException(ExitCodes.BadInput, $"'{path}' is a file, not a database folder.");
        }

        if (!Directory.Exists(fullPath))
        {
            throw new ToolException(ExitCodes.BadInput, $"The database folder '{path}' does not exist.");
        }

        return fullPath;
    }
}
