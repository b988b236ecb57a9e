using EFCore.Lsm.Storage.Internal;

namespace EFCore.Lsm.Storage;

/// <summary>
/// The process's open EFCore.Lsm stores. A database opened by a context stays open after the context is disposed, so
/// short-lived contexts (one per web request) do not reopen and recover it each time; it closes at process exit. Close
/// it yourself before another process, a copy or a delete needs the folder.
/// </summary>
public static class LsmStorePool
{
    /// <summary>
    /// Closes the database in <paramref name="path"/> if no context uses it (true); otherwise it closes as soon as the last
    /// context using it is disposed (false).
    /// </summary>
    public static bool Close(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return LsmStorePoolEntries.Shared.Close(StoreKey(path));
    }

    /// <summary>Closes every database no context uses; the others close as their last context is disposed.</summary>
    public static void CloseAll() => LsmStorePoolEntries.Shared.CloseAll();

    /// <summary>Whether the database in <paramref name="path"/> is open in this process (used or idle).</summary>
    public static bool IsOpen(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return LsmStorePoolEntries.Shared.IsOpen(StoreKey(path));
    }

    // An embedded database is pooled under its full path; another backend under its own key (given as is).
    private static string StoreKey(string pathOrKey) =>
        LsmStorePoolEntries.Shared.IsOpen(pathOrKey) ? pathOrKey : Path.GetFullPath(pathOrKey);
}
