namespace EFCore.Lsm.Engine.Storage;

internal static class FileSystemExtensions
{
    /// <summary>
    /// Deletes <paramref name="path"/> if it exists, swallowing I/O errors: used for files that are already unreferenced
    /// (a partial output, an obsolete table), which the next obsolete-file sweep removes if this attempt fails.
    /// </summary>
    public static void TryDeleteFile(this IFileSystem fs, string path)
    {
        try
        {
            if (fs.FileExists(path))
            {
                fs.DeleteFile(path);
            }
        }
        catch (Exception e) when (e is IOException or LsmException)
        {
            // Harmless: an unreferenced file is removed by a later sweep or on the next open.
        }
    }
}
