using System.Globalization;
using EFCore.Lsm.Engine;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// Opens the embedded engine in a folder (<c>UseLsm(path)</c>); contexts on the same full path share one engine. A
/// read-only opener gets a pool entry of its own, never the writable engine (which would let its writes through, or make a
/// later writable opener find the folder held by a read-only engine), and that entry closes when its last context goes: a
/// read-only engine sees the folder as of its open, so an idle one kept for later contexts would serve them stale data.
/// </summary>
internal sealed class EngineKeyValueStoreFactory(string path, long writeBufferSize, long blockCacheSize, bool readOnly = false)
    : ILsmKeyValueStoreFactory
{
    /// <summary>The suffix of a read-only store's pool key (after the folder's full path).</summary>
    public const string ReadOnlyKeySuffix = "|read-only";

    public string FolderPath { get; } = Path.GetFullPath(path);

    public bool ReadOnly => readOnly;

    public string StoreKey => readOnly ? FolderPath + ReadOnlyKeySuffix : FolderPath;

    public string SharedSettings { get; } = string.Create(
        CultureInfo.InvariantCulture, $"WriteBufferSize={writeBufferSize}, BlockCacheSize={blockCacheSize}");

    public ILsmKeyValueStore Open() =>
        new EngineKeyValueStore(LsmDatabase.Open(FolderPath, new LsmOptions
        {
            ReadOnly = readOnly,
            WriteBufferSize = writeBufferSize,
            BlockCacheSize = blockCacheSize,
        }));

    /// <summary>
    /// Whether an idle open store still serves the folder: when the folder was deleted (or replaced) under an engine kept
    /// open by the pool, a new context must open the folder afresh rather than write into unlinked files.
    /// </summary>
    public bool StillServes() => File.Exists(Path.Combine(FolderPath, "CURRENT"));
}
