using EFCore.Lsm.Engine;

namespace EFCore.Lsm.DbBench.Stores;

/// <summary>The engines the harness knows, whether each can run here, and how to open one.</summary>
internal static class StoreCatalog
{
    public const string Ours = "ours";
    public const string RocksDb = "rocksdb";
    public const string LevelDb = "leveldb";

    public static IReadOnlyList<string> All { get; } = [Ours, RocksDb, LevelDb];

    public static bool IsPeer(string engine) => engine != Ours;

    /// <summary>
    /// Whether <paramref name="engine"/> can run in this process; for a peer this loads its shared library.
    /// <paramref name="detail"/> names the library (or engine assembly) used, or says why it is unavailable.
    /// </summary>
    public static bool TryPrepare(string engine, BenchOptions options, out string detail)
    {
        switch (engine)
        {
            case Ours:
                detail = $"EFCore.Lsm.Engine {typeof(LsmDatabase).Assembly.GetName().Version}";
                return true;
            case RocksDb:
                return TryLoadPeer(PeerLibrary.RocksDbName, options.RocksDbLibrary, out detail);
            case LevelDb:
                if (!TryLoadPeer(PeerLibrary.LevelDbName, options.LevelDbLibrary, out detail))
                {
                    return false;
                }

                detail += $" (LevelDB {LevelDbNative.leveldb_major_version()}.{LevelDbNative.leveldb_minor_version()})";
                return true;
            default:
                throw new BenchArgumentException($"Unknown engine '{engine}'; known engines: {string.Join(", ", All)}.");
        }
    }

    public static IKeyValueStore Open(string engine, string path, StoreOptions options) => engine switch
    {
        Ours => LsmStore.Open(path, options),
        RocksDb => RocksDbStore.Open(path, options),
        LevelDb => LevelDbStore.Open(path, options),
        _ => throw new BenchArgumentException($"Unknown engine '{engine}'; known engines: {string.Join(", ", All)}."),
    };

    private static bool TryLoadPeer(string name, string? explicitPath, out string detail)
    {
        var file = PeerLibrary.TryLoad(name, explicitPath, out var failure);
        if (file is null)
        {
            detail = $"not installed ({failure}); run eng/benchmarks/install-peers.sh";
            return false;
        }

        detail = file;
        return true;
    }
}
