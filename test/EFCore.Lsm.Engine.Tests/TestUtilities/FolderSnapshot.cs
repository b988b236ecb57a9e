using System.Security.Cryptography;

namespace EFCore.Lsm.Engine.Tests.TestUtilities;

/// <summary>
/// The names and contents (as hashes) of every file in a folder, so a test can prove that a refused open changed,
/// created and deleted nothing.
/// </summary>
internal sealed record FolderSnapshot(SortedDictionary<string, string> Files)
{
    public static FolderSnapshot Of(string folder)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.GetFiles(folder))
        {
            files[Path.GetFileName(path)] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
        }

        return new FolderSnapshot(files);
    }

    /// <summary>Fails with the files that were added, removed or changed since <paramref name="before"/>.</summary>
    public static void AssertUnchanged(FolderSnapshot before, string folder, string context)
    {
        var after = Of(folder).Files;
        var added = after.Keys.Except(before.Files.Keys).ToList();
        var removed = before.Files.Keys.Except(after.Keys).ToList();
        var changed = before.Files.Keys.Intersect(after.Keys).Where(n => before.Files[n] != after[n]).ToList();
        Assert.True(
            added.Count == 0 && removed.Count == 0 && changed.Count == 0,
            $"{context}: added [{string.Join(", ", added)}], removed [{string.Join(", ", removed)}], changed [{string.Join(", ", changed)}]");
    }

    public override string ToString() => string.Join(", ", Files.Keys);
}
