using System.Reflection;
using System.Runtime.InteropServices;

namespace EFCore.Lsm.DbBench.Stores;

/// <summary>
/// Finds a peer engine's shared library. The P/Invoke declarations name the library "rocksdb" or "leveldb"; this
/// resolver maps those names to the file chosen per engine: for <c>rocksdb</c> the release build restored from the RocksDB
/// NuGet package (or <c>--rocksdb-library</c>), for <c>rocksdb-debian</c> and <c>leveldb</c> the names Debian's packages
/// install (or <c>--leveldb-library</c>).
/// </summary>
/// <remarks>
/// The runtime binds a library name once per process, so the first successful resolution wins; a run that wants
/// another file for the same engine needs another process (which the default <c>--isolation process</c> gives).
/// </remarks>
internal static class PeerLibrary
{
    public const string RocksDbName = "rocksdb";
    public const string LevelDbName = "leveldb";

    /// <summary>The release build of librocksdb that the RocksDB NuGet package restores beside the harness.</summary>
    public static string PackagedRocksDb => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "librocksdb.so");

    /// <summary>The names Debian's librocksdb-dev installs (RocksDB 7.8.3, built with assertions on).</summary>
    public static IReadOnlyList<string> DebianRocksDb { get; } =
        ["librocksdb.so.7.8", "librocksdb.so.7", "librocksdb.so", "librocksdb.so.9", "librocksdb.so.8", "librocksdb.so.6"];

    public static IReadOnlyList<string> DebianLevelDb { get; } = ["libleveldb.so.1d", "libleveldb.so.1", "libleveldb.so", "libleveldb.dylib"];

    private static readonly object Gate = new();
    private static readonly Dictionary<string, (nint Handle, string File)> Loaded = [];
    private static bool s_resolverInstalled;

    /// <summary>
    /// Loads the first of <paramref name="candidates"/> that loads as the library the P/Invoke name <paramref name="name"/>
    /// binds to, and returns which file it was, or null with <paramref name="failure"/> saying what was tried.
    /// </summary>
    public static string? TryLoad(string name, IReadOnlyList<string> candidates, out string failure)
    {
        lock (Gate)
        {
            if (!s_resolverInstalled)
            {
                NativeLibrary.SetDllImportResolver(typeof(PeerLibrary).Assembly, Resolve);
                s_resolverInstalled = true;
            }

            if (Loaded.TryGetValue(name, out var loaded))
            {
                if (candidates.Contains(loaded.File))
                {
                    failure = "";
                    return loaded.File;
                }

                failure = $"'{loaded.File}' is already bound to '{name}' in this process; run with --isolation process to use " +
                    string.Join(" or ", candidates);
                return null;
            }

            foreach (var candidate in candidates)
            {
                if (NativeLibrary.TryLoad(candidate, out var handle))
                {
                    Loaded[name] = (handle, candidate);
                    failure = "";
                    return candidate;
                }
            }

            failure = $"none of {string.Join(", ", candidates)} could be loaded";
            return null;
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        lock (Gate)
        {
            return Loaded.TryGetValue(libraryName, out var loaded) ? loaded.Handle : 0;
        }
    }
}

/// <summary>A peer engine reported an error through its C API.</summary>
internal sealed class PeerStoreException(string message) : Exception(message);
