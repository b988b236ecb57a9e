namespace EFCore.Lsm.Specification.Tests.TestUtilities;

/// <summary>A fresh directory under the system temp folder, removed on dispose (with the stores open in it).</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "efcore-lsm-spec-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    private readonly List<string> _databases = [];

    public string Db(string name = "db")
    {
        var path = System.IO.Path.Combine(Path, name);
        _databases.Add(path);
        return path;
    }

    public void Dispose()
    {
        foreach (var database in _databases)
        {
            EFCore.Lsm.Storage.LsmStorePool.Close(database);
        }

        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A failed test may still hold an engine open; the OS temp cleaner gets the rest.
        }
    }
}
