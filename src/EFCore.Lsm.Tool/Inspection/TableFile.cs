using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Table;

namespace EFCore.Lsm.Tool.Inspection;

/// <summary>Opens one SST for reading, outside any database (no block cache, no table cache, no lock).</summary>
internal static class TableFile
{
    public static TableReader Open(string path)
    {
        var name = Path.GetFileName(path);
        var number = FileNames.TryParse(name, out var kind, out var parsed) && kind == DbFileKind.Table ? parsed : 0;
        var file = LocalFileSystem.Instance.OpenRandomAccess(path);
        try
        {
            return TableReader.Open(file, name, number, cache: null);
        }
        catch
        {
            // On failure the caller of TableReader.Open still owns the file.
            file.Dispose();
            throw;
        }
    }
}
