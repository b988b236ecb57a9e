using System.Text;
using EFCore.Lsm.Engine.Storage;

namespace EFCore.Lsm.Engine.Manifest;

/// <summary>
/// The <c>CURRENT</c> file names the live manifest: the ASCII text <c>MANIFEST-NNNNNN</c> and a newline
/// (docs/manifest_format.md, "CURRENT"). It is replaced atomically, so after a crash it names the old or the new manifest,
/// never a mix or nothing.
/// </summary>
internal static class CurrentFile
{
    // Far longer than any valid content ("MANIFEST-" + 20 digits + "\n"); bounds what a damaged file makes us read.
    private const int MaxContentLength = 64;

    /// <summary>
    /// Points CURRENT at <c>MANIFEST-<paramref name="manifestNumber"/></c>: writes <c>NNNNNN.dbtmp</c> (numbered
    /// <paramref name="tempNumber"/>), fsyncs it, renames it over CURRENT and fsyncs the folder. The caller must have synced
    /// the manifest itself first; the folder sync also makes the new manifest's directory entry durable.
    /// </summary>
    public static void Write(IFileSystem fileSystem, string dbPath, ulong manifestNumber, ulong tempNumber)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        ArgumentNullException.ThrowIfNull(dbPath);
        var content = Encoding.ASCII.GetBytes(FileNames.ManifestName(manifestNumber) + "\n");
        var tempPath = FileNames.TempFile(dbPath, tempNumber);
        var renamed = false;
        try
        {
            using (var file = fileSystem.CreateFile(tempPath))
            {
                file.Append(content);
                file.Sync();
            }

            fileSystem.RenameFile(tempPath, FileNames.CurrentFile(dbPath));
            renamed = true;
            fileSystem.SyncDirectory(dbPath);
        }
        catch when (!renamed)
        {
            fileSystem.TryDeleteFile(tempPath);
            throw;
        }
    }

    /// <summary>Returns the manifest file name (not path) that CURRENT names.</summary>
    public static string Read(IFileSystem fileSystem, string dbPath) => Read(fileSystem, dbPath, out _);

    /// <summary>Returns the manifest file name (not path) that CURRENT names, and its number.</summary>
    public static string Read(IFileSystem fileSystem, string dbPath, out ulong manifestNumber)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        ArgumentNullException.ThrowIfNull(dbPath);
        var path = FileNames.CurrentFile(dbPath);
        if (!fileSystem.FileExists(path))
        {
            throw new LsmCorruptionException(FileNames.Current, 0, "the CURRENT file is missing");
        }

        Span<byte> buffer = stackalloc byte[MaxContentLength + 1];
        int length;
        using (var file = fileSystem.OpenRandomAccess(path))
        {
            length = 0;
            while (length < buffer.Length)
            {
                var n = file.Read(length, buffer[length..]);
                if (n <= 0)
                {
                    break;
                }

                length += n;
            }
        }

        var content = buffer[..length];
        if (content.IsEmpty)
        {
            throw new LsmCorruptionException(FileNames.Current, 0, "CURRENT is empty");
        }

        if (length > MaxContentLength)
        {
            throw new LsmCorruptionException(FileNames.Current, 0, $"CURRENT is longer than {MaxContentLength} bytes");
        }

        if (content[^1] != (byte)'\n')
        {
            throw new LsmCorruptionException(FileNames.Current, 0, "CURRENT does not end with a newline");
        }

        var name = content[..^1];
        foreach (var b in name)
        {
            if (b is < 0x21 or > 0x7E)
            {
                throw new LsmCorruptionException(FileNames.Current, 0, "CURRENT holds bytes that are not a file name");
            }
        }

        var text = Encoding.ASCII.GetString(name);
        if (!FileNames.TryParse(text, out var kind, out manifestNumber) || kind != DbFileKind.Manifest)
        {
            throw new LsmCorruptionException(FileNames.Current, 0, $"CURRENT names '{text}', which is not a manifest file");
        }

        return text;
    }
}
