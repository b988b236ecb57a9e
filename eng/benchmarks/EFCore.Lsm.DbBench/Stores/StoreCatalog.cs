using EFCore.Lsm.Engine;

namespace EFCore.Lsm.DbBench.Stores;

/// <summary>The engines the harness knows, whether each can run here, and how to open one.</summary>
internal static class StoreCatalog
{
    public const string Ours = "ours";

    /// <summary>Ours with block compression: LZ4 for upper levels, Zstd for the bottommost (not a peer: a row of its own).</summary>
    public const string OursCompressed = "ours-compressed";

    /// <summary>RocksDB, the release build of librocksdb from the RocksDB NuGet package (or --rocksdb-library).</summary>
    public const string RocksDb = "rocksdb";

    /// <summary>RocksDB 7.8.3 as Debian builds it (assertions on): a second, labelled row.</summary>
    public const string RocksDbDebian = "rocksdb-debian";

    public const string LevelDb = "leveldb";

    /// <summary>ZoneTree, an LSM engine in C#, through its own API.</summary>
    public const string ZoneTree = "zonetree";

    public static IReadOnlyList<string> All { get; } = [Ours, OursCompressed, RocksDb, RocksDbDebian, LevelDb, ZoneTree];

    public static bool IsPeer(string engine) => engine is not (Ours or OursCompressed);

    /// <summary>
    /// Whether <paramref name="engine"/> can run in this process; for a native peer this loads its shared library.
    /// <paramref name="detail"/> names the library (or engine assembly) used, or says why it is unavailable.
    /// </summary>
    public static bool TryPrepare(string engine, BenchOptions options, out string detail)
    {
        switch (engine)
        {
            case Ours:
                detail = $"EFCore.Lsm.Engine {typeof(LsmDatabase).Assembly.GetName().Version}, no compression";
                return true;
            case OursCompressed:
                detail = $"EFCore.Lsm.Engine {typeof(LsmDatabase).Assembly.GetName().Version}, LZ4 blocks, Zstd (level 3) in the bottommost level";
                return true;
            case RocksDb:
                if (!TryLoadPeer(PeerLibrary.RocksDbName, options.RocksDbLibrary is { } rocks ? [rocks] : [PeerLibrary.PackagedRocksDb],
                        "restore the harness project (the RocksDB package brings it)", out detail))
                {
                    return false;
                }

                detail += options.RocksDbLibrary is null ? " (release build from the RocksDB 11.12.0.7641 NuGet package)" : "";
                return true;
            case RocksDbDebian:
                if (!TryLoadPeer(PeerLibrary.RocksDbName, PeerLibrary.DebianRocksDb, "run eng/benchmarks/install-peers.sh", out detail))
                {
                    return false;
                }

                detail += " (Debian's RocksDB 7.8.3, built with assertions on)";
                return true;
            case LevelDb:
                if (!TryLoadPeer(PeerLibrary.LevelDbName, options.LevelDbLibrary is { } level ? [level] : PeerLibrary.DebianLevelDb,
                        "run eng/benchmarks/install-peers.sh", out detail))
                {
                    return false;
                }

                detail += $" (LevelDB {LevelDbNative.leveldb_major_version()}.{LevelDbNative.leveldb_minor_version()}, " +
                    "reads verify checksums; tables are read through mmap, which the C API cannot turn off)";
                return true;
            case ZoneTree:
                detail = $"ZoneTree {typeof(global::ZoneTree.ZoneTreeFactory<int, int>).Assembly.GetName().Version} (managed, through its own API)";
                return true;
            default:
                throw new BenchArgumentException($"Unknown engine '{engine}'; known engines: {string.Join(", ", All)}.");
        }
    }

    public static IKeyValueStore Open(string engine, string path, StoreOptions options) => engine switch
    {
        Ours => LsmStore.Open(path, options),
        OursCompressed => LsmStore.Open(path, options, compressed: true),
        RocksDb or RocksDbDebian => RocksDbStore.Open(engine, path, options),
        LevelDb => LevelDbStore.Open(path, options),
        ZoneTree => ZoneTreeStore.Open(path, options),
        _ => throw new BenchArgumentException($"Unknown engine '{engine}'; known engines: {string.Join(", ", All)}."),
    };

    private static bool TryLoadPeer(string name, IReadOnlyList<string> candidates, string hint, out string detail)
    {
        var file = PeerLibrary.TryLoad(name, candidates, out var failure);
        if (file is null)
        {
            detail = $"not available ({failure}); {hint}";
            return false;
        }

        detail = file;
        return true;
    }
}
