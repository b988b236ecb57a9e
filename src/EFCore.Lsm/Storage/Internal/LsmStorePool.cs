namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// The process-wide pool of open stores: one <see cref="LsmStore"/> per store key (the full path of an embedded database),
/// shared by every context that uses it, and kept open while the process runs, as SQLite keeps pooled connections. A
/// context takes a lease while it lives; when the last lease goes the store stays open, idle, so the next context does
/// not pay for a recovery. Idle stores close on <see cref="LsmStorePool.Close"/>/<see cref="LsmStorePool.CloseAll"/>
/// (EFCore.Lsm.Storage), when the EF service provider that opened them is disposed, and at process exit.
/// </summary>
internal sealed class LsmStorePoolEntries
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    private LsmStorePoolEntries() => AppDomain.CurrentDomain.ProcessExit += (_, _) => CloseAll(force: true);

    public static LsmStorePoolEntries Shared { get; } = new();

    /// <summary>Opens (or shares) the store <paramref name="factory"/> names.</summary>
    public Lease Acquire(ILsmKeyValueStoreFactory factory)
    {
        var key = factory.StoreKey;
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var entry))
            {
                if (entry.References == 0 && factory is EngineKeyValueStoreFactory engine && !engine.StillServes())
                {
                    // The folder went away (or was replaced) while the engine sat idle: its files are no longer the folder's.
                    _entries.Remove(key);
                    entry.Store.Dispose();
                }
                else
                {
                    if (!string.Equals(entry.SharedSettings, factory.SharedSettings, StringComparison.Ordinal))
                    {
                        throw new InvalidOperationException(
                            $"The {entry.Store.KeyValueStore.Description} is already open in this process with {entry.SharedSettings}; a context "
                            + $"asked for {factory.SharedSettings}. All contexts on one database share one open store, so configure them alike "
                            + "(or close it first with LsmStorePool.Close).");
                    }

                    entry.References++;
                    entry.CloseWhenIdle = CloseWhenIdle(factory);
                    return new Lease(this, key, entry.Store);
                }
            }

            // Opening under the lock serialises opens of different stores too; opens are rare and it keeps a second opener
            // of the same store from racing the first. The store's own typed errors (a folder locked by another process, a
            // damaged file) name it and surface as they are.
            var kv = factory.Open();
            LsmStore store;
            try
            {
                store = new LsmStore(kv, recordsDrift: factory is not EngineKeyValueStoreFactory { ReadOnly: true });
            }
            catch
            {
                kv.Dispose();
                throw;
            }

            _entries[key] = new Entry(store, factory.SharedSettings) { References = 1, CloseWhenIdle = CloseWhenIdle(factory) };
            return new Lease(this, key, store);
        }
    }

    // A read-only engine reads the folder as of its open; kept idle it would serve later contexts stale data.
    private static bool CloseWhenIdle(ILsmKeyValueStoreFactory factory) => factory is EngineKeyValueStoreFactory { ReadOnly: true };

    /// <summary>The number of live leases on the store with <paramref name="key"/> (0 when idle or closed).</summary>
    public int ReferenceCount(string key)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(key, out var entry) ? entry.References : 0;
        }
    }

    /// <summary>Whether the store with <paramref name="key"/> is open (leased or idle).</summary>
    public bool IsOpen(string key)
    {
        lock (_lock)
        {
            return _entries.ContainsKey(key);
        }
    }

    /// <summary>
    /// Closes the store with <paramref name="key"/> if no context holds it, and returns true; otherwise it closes when the
    /// last context releases it, and this returns false.
    /// </summary>
    public bool Close(string key)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                return true;
            }

            if (entry.References > 0)
            {
                entry.CloseWhenIdle = true;
                return false;
            }

            _entries.Remove(key);
            entry.Store.Dispose();
            return true;
        }
    }

    /// <summary>
    /// Closes the idle stores whose key is a path inside <paramref name="folder"/> (the rest as their last lease goes), so the
    /// folder can be deleted or handed to another process.
    /// </summary>
    public void CloseUnder(string folder)
    {
        var prefix = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)) + Path.DirectorySeparatorChar;
        List<string> keys;
        lock (_lock)
        {
            keys = [.. _entries.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))];
        }

        foreach (var key in keys)
        {
            Close(key);
        }
    }

    /// <summary>Closes every idle store (every store when <paramref name="force"/>, at process exit); the rest close when released.</summary>
    public void CloseAll(bool force = false)
    {
        lock (_lock)
        {
            foreach (var (key, entry) in _entries.ToList())
            {
                if (entry.References == 0 || force)
                {
                    _entries.Remove(key);
                    try
                    {
                        entry.Store.Dispose();
                    }
                    catch (Exception) when (force)
                    {
                        // At process exit a store that cannot close cleanly recovers from its log on the next open.
                    }
                }
                else
                {
                    entry.CloseWhenIdle = true;
                }
            }
        }
    }

    private void Release(string key)
    {
        lock (_lock)
        {
            var entry = _entries[key];
            if (--entry.References == 0 && entry.CloseWhenIdle)
            {
                // Closed under the lock: an Acquire of the same store right after must not find the file lock still held.
                _entries.Remove(key);
                entry.Store.Dispose();
            }
        }
    }

    private sealed class Entry(LsmStore store, string sharedSettings)
    {
        public LsmStore Store { get; } = store;

        public string SharedSettings { get; } = sharedSettings;

        public int References { get; set; }

        public bool CloseWhenIdle { get; set; }
    }

    /// <summary>One user's reference to a shared store; disposing it releases the reference (once).</summary>
    internal sealed class Lease(LsmStorePoolEntries pool, string key, LsmStore store) : IDisposable
    {
        private int _released;

        public LsmStore Store { get; } = store;

        public string Key { get; } = key;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                pool.Release(Key);
            }
        }
    }
}
