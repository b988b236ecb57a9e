using System.Text;
using EFCore.Lsm.Engine.Storage;

namespace EFCore.Lsm.Engine.Manifest;

/// <summary>What an <c>IDENTITY</c> file says about its folder.</summary>
internal enum IdentityStatus
{
    /// <summary>There is no IDENTITY file (a new folder, or a database created before the marker existed).</summary>
    Missing,

    /// <summary>The file marks an EFCore.Lsm database.</summary>
    Ours,

    /// <summary>The file exists but is not ours (RocksDB writes an IDENTITY holding a bare UUID).</summary>
    Foreign,
}

/// <summary>
/// The <c>IDENTITY</c> file marks a folder as an EFCore.Lsm database (docs/manifest_format.md, "IDENTITY"): the ASCII
/// line <c>EFCore.Lsm database</c>, then <c>id</c> and a random 128-bit id in 32 lowercase hex digits, each line ending in
/// a line feed. It is written once, when the database is created (or first opened for writing by an engine that writes
/// it), atomically, so it is whole or absent. Its purpose is refusal: a folder whose files are named like ours but
/// that has no marker and no manifest of ours is someone else's, and is never written to or deleted from.
/// </summary>
internal static class IdentityFile
{
    public const string Magic = "EFCore.Lsm database";

    // Far more than the two lines we write; bounds what a foreign file makes us read.
    private const int MaxContentLength = 4096;

    /// <summary>
    /// Writes IDENTITY with a fresh id through <c>NNNNNN.dbtmp</c> (numbered <paramref name="tempNumber"/>): write, fsync,
    /// rename. The caller fsyncs the folder (creation does so when it switches CURRENT).
    /// </summary>
    public static void Write(IFileSystem fileSystem, string dbPath, ulong tempNumber)
    {
        var content = Encoding.ASCII.GetBytes($"{Magic}\nid {Guid.NewGuid():N}\n");
        var tempPath = FileNames.TempFile(dbPath, tempNumber);
        try
        {
            using (var file = fileSystem.CreateFile(tempPath))
            {
                file.Append(content);
                file.Sync();
            }

            fileSystem.RenameFile(tempPath, FileNames.IdentityFile(dbPath));
        }
        catch
        {
            fileSystem.TryDeleteFile(tempPath);
            throw;
        }
    }

    /// <summary>Reads IDENTITY; for <see cref="IdentityStatus.Ours"/>, <paramref name="id"/> is its id line's value.</summary>
    public static IdentityStatus Read(IFileSystem fileSystem, string dbPath, out string? id)
    {
        id = null;
        var path = FileNames.IdentityFile(dbPath);
        if (!fileSystem.FileExists(path))
        {
            return IdentityStatus.Missing;
        }

        var buffer = new byte[MaxContentLength];
        int length;
        using (var file = fileSystem.OpenRandomAccess(path))
        {
            length = file.Read(0, buffer);
        }

        var text = Encoding.ASCII.GetString(buffer, 0, length);
        if (!text.StartsWith(Magic + "\n", StringComparison.Ordinal))
        {
            return IdentityStatus.Foreign;
        }

        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("id ", StringComparison.Ordinal))
            {
                id = line[3..];
            }
        }

        return IdentityStatus.Ours;
    }
}
