using EFCore.Lsm.Engine;
using EFCore.Lsm.Infrastructure.Internal;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// The process-wide table of open engines: one <see cref="LsmStore"/> per full path, shared by every context that uses
/// the path and closed when its last lease is released.
/// </summary>
/// <remarks>
/// Leases are taken by <see cref="LsmStoreConnection"/>, a scoped service, so an engine stays open exactly while some
/// <c>DbContext</c> that has used it is alive (a pooled context: while it is rented). Leases are not held by singletons
/// because EF keeps its internal service providers for the life of the process, which would keep every engine open
/// until exit. The cost: a program that uses one context at a time opens the engine for each; keep one context (or any
/// context) alive across the work to keep the engine open.
/// </remarks>
internal sealed class LsmEngineRegistry
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public static LsmEngineRegistry Shared { get; } = new();

    /// <summary>Opens (or shares) the engine at the path of <paramref name="options"/>.</summary>
    public Lease Acquire(LsmOptionsExtension options)
    {
        var path = System.IO.Path.GetFullPath(options.Path);
        lock (_lock)
        {
            if (_entries.TryGetValue(path, out var entry))
            {
                if (entry.WriteBufferSize != options.WriteBufferSize || entry.BlockCacheSize != options.BlockCacheSize)
                {
                    throw new InvalidOperationException(
                        $"The EFCore.Lsm database at '{path}' is already open in this process with WriteBufferSize={entry.WriteBufferSize} "
                        + $"and BlockCacheSize={entry.BlockCacheSize}; a context asked for WriteBufferSize={options.WriteBufferSize} and "
                        + $"BlockCacheSize={options.BlockCacheSize}. All contexts on one path share one engine, so configure them alike.");
                }

                entry.References++;
                return new Lease(this, path, entry.Store);
            }

            // Opening under the lock serialises opens of different paths too; opens are rare and it keeps a second opener
            // of the same path from racing the first. The engine's own LsmException (e.g. the path is locked by another
            // process) names the path and is surfaced as is.
            var engine = LsmDatabase.Open(path, new LsmOptions
            {
                WriteBufferSize = options.WriteBufferSize,
                BlockCacheSize = options.BlockCacheSize,
            });
            LsmStore store;
            try
            {
                store = new LsmStore(path, engine);
            }
            catch
            {
                engine.Dispose();
                throw;
            }

            _entries[path] = new Entry(store, options.WriteBufferSize, options.BlockCacheSize) { References = 1 };
            return new Lease(this, path, store);
        }
    }

    /// <summary>The number of live leases on <paramref name="path"/> (0 when its engine is closed).</summary>
    public int ReferenceCount(string path)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(System.IO.Path.GetFullPath(path), out var entry) ? entry.References : 0;
        }
    }

    private void Release(string path)
    {
        lock (_lock)
        {
            var entry = _entries[path];
            if (--entry.References == 0)
            {
                // Closed under the lock: an Acquire of the same path right after must not find the engine's file lock
                // still held by the instance being closed.
                _entries.Remove(path);
                entry.Store.Dispose();
            }
        }
    }

    private sealed class Entry(LsmStore store, long writeBufferSize, long blockCacheSize)
    {
        public LsmStore Store { get; } = store;

        public long WriteBufferSize { get; } = writeBufferSize;

        public long BlockCacheSize { get; } = blockCacheSize;

        public int References { get; set; }
    }

    /// <summary>One user's reference to a shared store; disposing it releases the reference (once).</summary>
    internal sealed class Lease(LsmEngineRegistry registry, string path, LsmStore store) : IDisposable
    {
        private int _released;

        public LsmStore Store { get; } = store;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                registry.Release(path);
            }
        }
    }
}
