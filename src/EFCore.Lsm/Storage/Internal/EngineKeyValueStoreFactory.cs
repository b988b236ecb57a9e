using System.Globalization;
using EFCore.Lsm.Engine;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>Opens the embedded engine in a folder (<c>UseLsm(path)</c>); contexts on the same full path share one engine.</summary>
internal sealed class EngineKeyValueStoreFactory(string path, long writeBufferSize, long blockCacheSize) : ILsmKeyValueStoreFactory
{
    public string StoreKey { get; } = Path.GetFullPath(path);

    public string SharedSettings { get; } = string.Create(
        CultureInfo.InvariantCulture, $"WriteBufferSize={writeBufferSize}, BlockCacheSize={blockCacheSize}");

    public ILsmKeyValueStore Open() =>
        new EngineKeyValueStore(LsmDatabase.Open(StoreKey, new LsmOptions
        {
            WriteBufferSize = writeBufferSize,
            BlockCacheSize = blockCacheSize,
        }));

    /// <summary>
    /// Whether an idle open store still serves the folder: when the folder was deleted (or replaced) under an engine kept
    /// open by the pool, a new context must open the folder afresh rather than write into unlinked files.
    /// </summary>
    public static bool StillServes(string storeKey) => File.Exists(Path.Combine(storeKey, "CURRENT"));
}
