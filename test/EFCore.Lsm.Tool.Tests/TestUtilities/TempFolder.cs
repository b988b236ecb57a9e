using EFCore.Lsm.Engine;

namespace EFCore.Lsm.Tool.Tests.TestUtilities;

/// <summary>A fresh folder under the temp directory, deleted on dispose; <see cref="DbPath"/> is where tests put a database.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "lsm-tool-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string DbPath => System.IO.Path.Combine(Path, "db");

    /// <summary>Opens (creating) the database at <see cref="DbPath"/> with small buffers and no background compaction.</summary>
    public LsmDatabase OpenDatabase() => LsmDatabase.Open(DbPath, new LsmOptions { DisableAutoCompactions = true });

    /// <summary>Every file of the database folder with its bytes, to prove a command changed nothing.</summary>
    public SortedDictionary<string, byte[]> Snapshot()
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(DbPath))
        {
            files[System.IO.Path.GetFileName(file)] = File.ReadAllBytes(file);
        }

        return files;
    }

    public string[] Files(string extension)
        => Directory.GetFiles(DbPath, "*" + extension).OrderBy(f => f, StringComparer.Ordinal).ToArray();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still open in a failed test must not hide that test's own failure.
        }
    }
}
