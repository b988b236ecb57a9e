namespace EFCore.Lsm.FunctionalTests.TestUtilities;

/// <summary>A fresh directory under the system temp folder, removed on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "efcore-lsm-ft-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>A database directory inside this one.</summary>
    public string Db(string name = "db") => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        // Stores stay open in the pool after their contexts go; close the ones in this folder before deleting it.
        TestStore.Backend.Release(Path);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A test that failed may still hold an engine open; the OS temp cleaner gets the rest.
        }
    }
}
