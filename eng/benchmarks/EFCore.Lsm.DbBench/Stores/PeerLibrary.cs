using System.Reflection;
using System.Runtime.InteropServices;

namespace EFCore.Lsm.DbBench.Stores;

/// <summary>
/// Finds a peer engine's shared library. The P/Invoke declarations name the library "rocksdb" or "leveldb"; this
/// resolver maps those names to the file found here, trying an explicit path first (<c>--rocksdb-library</c>, e.g. a
/// release build without assertions) and then the names Debian's packages install.
/// </summary>
/// <remarks>
/// The runtime binds a library name once per process, so the first successful resolution wins; a run that wants
/// another file for the same engine needs another process (which the default <c>--isolation process</c> gives).
/// </remarks>
internal static class PeerLibrary
{
    public const string RocksDbName = "rocksdb";
    public const string LevelDbName = "leveldb";

    private static readonly string[] RocksDbCandidates =
        ["librocksdb.so", "librocksdb.so.9", "librocksdb.so.8", "librocksdb.so.7.8", "librocksdb.so.7", "librocksdb.so.6", "librocksdb.dylib"];

    private static readonly string[] LevelDbCandidates = ["libleveldb.so", "libleveldb.so.1d", "libleveldb.so.1", "libleveldb.dylib"];

    private static readonly object Gate = new();
    private static readonly Dictionary<string, (nint Handle, string File)> Loaded = [];
    private static bool s_resolverInstalled;

    /// <summary>
    /// Loads the library for <paramref name="name"/> (from <paramref name="explicitPath"/> when given) and returns
    /// where it came from, or null with <paramref name="failure"/> saying what was tried.
    /// </summary>
    public static string? TryLoad(string name, string? explicitPath, out string failure)
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
                if (explicitPath is null || explicitPath == loaded.File)
                {
                    failure = "";
                    return loaded.File;
                }

                failure = NativeLibrary.TryLoad(explicitPath, out _)
                    ? $"'{loaded.File}' is already bound in this process; run with --isolation process to use '{explicitPath}'"
                    : $"'{explicitPath}' could not be loaded";
                return null;
            }

            var candidates = explicitPath is not null ? [explicitPath] : name == RocksDbName ? RocksDbCandidates : LevelDbCandidates;
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
