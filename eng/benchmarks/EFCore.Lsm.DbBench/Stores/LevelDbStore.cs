using static EFCore.Lsm.DbBench.Stores.LevelDbNative;

namespace EFCore.Lsm.DbBench.Stores;

/// <summary>
/// LevelDB through its C API, opened with the settings in <see cref="StoreOptions"/>, no compression, and reads that verify
/// block checksums (off by default in LevelDB). LevelDB's C API does not expose the L0 triggers or level sizes (they are
/// compile-time constants there), nor batch counts. Settings that still differ: LevelDB reads tables through mmap (for up
/// to 1000 files on 64-bit builds; the C API cannot change it), so its table reads make no read system call and the
/// blocks they touch do not go through its block cache, which then holds almost nothing; the OS page cache is its cache.
/// </summary>
internal sealed unsafe class LevelDbStore : IKeyValueStore
{
    private readonly nint _db;
    private readonly nint _options;
    private readonly nint _cache;
    private readonly nint _filterPolicy;
    private readonly nint _syncWrite;
    private readonly nint _noSyncWrite;
    private readonly nint _read;
    private int _disposed;

    private LevelDbStore(string path, StoreOptions options)
    {
        _options = leveldb_options_create();
        leveldb_options_set_create_if_missing(_options, 1);
        leveldb_options_set_compression(_options, NoCompression);
        leveldb_options_set_write_buffer_size(_options, (nuint)options.WriteBufferSize);
        leveldb_options_set_max_open_files(_options, options.MaxOpenFiles);
        leveldb_options_set_block_size(_options, (nuint)options.BlockSize);
        leveldb_options_set_max_file_size(_options, (nuint)options.TargetFileSize);
        _cache = leveldb_cache_create_lru((nuint)options.BlockCacheSize);
        leveldb_options_set_cache(_options, _cache);
        if (options.BloomBitsPerKey > 0)
        {
            _filterPolicy = leveldb_filterpolicy_create_bloom(options.BloomBitsPerKey);
            leveldb_options_set_filter_policy(_options, _filterPolicy);
        }

        _syncWrite = leveldb_writeoptions_create();
        leveldb_writeoptions_set_sync(_syncWrite, 1);
        _noSyncWrite = leveldb_writeoptions_create();
        _read = leveldb_readoptions_create();

        // LevelDB's reads skip checksum verification by default; every engine here verifies them.
        leveldb_readoptions_set_verify_checksums(_read, 1);

        _db = leveldb_open(_options, path, out var error);
        if (error != 0)
        {
            FreeOptions();
            ThrowIfError(error, $"open of '{path}'");
        }
    }

    public string Name => StoreCatalog.LevelDb;

    public static LevelDbStore Open(string path, StoreOptions options) => new(path, options);

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool sync)
    {
        nint error;
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            leveldb_put(_db, sync ? _syncWrite : _noSyncWrite, k, (nuint)key.Length, v, (nuint)value.Length, out error);
        }

        ThrowIfError(error, "put");
    }

    public void Delete(ReadOnlySpan<byte> key, bool sync)
    {
        nint error;
        fixed (byte* k = key)
        {
            leveldb_delete(_db, sync ? _syncWrite : _noSyncWrite, k, (nuint)key.Length, out error);
        }

        ThrowIfError(error, "delete");
    }

    public int Get(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        nint error;
        byte* value;
        nuint length;
        fixed (byte* k = key)
        {
            value = leveldb_get(_db, _read, k, (nuint)key.Length, out length, out error);
        }

        ThrowIfError(error, "get");
        if (value is null)
        {
            return -1;
        }

        try
        {
            var span = new ReadOnlySpan<byte>(value, checked((int)length));
            span[..Math.Min(span.Length, destination.Length)].CopyTo(destination);
            return span.Length;
        }
        finally
        {
            leveldb_free(value);
        }
    }

    public IKeyValueBatch CreateBatch() => new Batch();

    public void Write(IKeyValueBatch batch, bool sync)
    {
        leveldb_write(_db, sync ? _syncWrite : _noSyncWrite, ((Batch)batch).Handle, out var error);
        ThrowIfError(error, "write");
    }

    public IKeyValueIterator NewIterator() => new Iterator(leveldb_create_iterator(_db, _read));

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            leveldb_close(_db);
            FreeOptions();
        }
    }

    private void FreeOptions()
    {
        leveldb_readoptions_destroy(_read);
        leveldb_writeoptions_destroy(_noSyncWrite);
        leveldb_writeoptions_destroy(_syncWrite);
        leveldb_options_destroy(_options);
        leveldb_cache_destroy(_cache);
        if (_filterPolicy != 0)
        {
            leveldb_filterpolicy_destroy(_filterPolicy);
        }
    }

    private sealed class Batch : IKeyValueBatch
    {
        public nint Handle { get; private set; } = leveldb_writebatch_create();

        // LevelDB's C API has no count; the batch tracks it.
        public int Count { get; private set; }

        public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            fixed (byte* k = key)
            fixed (byte* v = value)
            {
                leveldb_writebatch_put(Handle, k, (nuint)key.Length, v, (nuint)value.Length);
            }

            Count++;
        }

        public void Delete(ReadOnlySpan<byte> key)
        {
            fixed (byte* k = key)
            {
                leveldb_writebatch_delete(Handle, k, (nuint)key.Length);
            }

            Count++;
        }

        public void Clear()
        {
            leveldb_writebatch_clear(Handle);
            Count = 0;
        }

        public void Dispose()
        {
            if (Handle != 0)
            {
                leveldb_writebatch_destroy(Handle);
                Handle = 0;
            }
        }
    }

    private sealed class Iterator(nint handle) : IKeyValueIterator
    {
        private nint _handle = handle;

        public bool Valid => leveldb_iter_valid(_handle) != 0;

        public ReadOnlySpan<byte> Key
        {
            get
            {
                var key = leveldb_iter_key(_handle, out var length);
                return new ReadOnlySpan<byte>(key, checked((int)length));
            }
        }

        public ReadOnlySpan<byte> Value
        {
            get
            {
                var value = leveldb_iter_value(_handle, out var length);
                return new ReadOnlySpan<byte>(value, checked((int)length));
            }
        }

        public void SeekToFirst()
        {
            leveldb_iter_seek_to_first(_handle);
            CheckStatus();
        }

        public void Seek(ReadOnlySpan<byte> key)
        {
            fixed (byte* k = key)
            {
                leveldb_iter_seek(_handle, k, (nuint)key.Length);
            }

            CheckStatus();
        }

        public void Next()
        {
            leveldb_iter_next(_handle);
            CheckStatus();
        }

        public void Dispose()
        {
            if (_handle != 0)
            {
                leveldb_iter_destroy(_handle);
                _handle = 0;
            }
        }

        // An iterator that stops being valid may have hit an error rather than the end.
        private void CheckStatus()
        {
            if (leveldb_iter_valid(_handle) == 0)
            {
                leveldb_iter_get_error(_handle, out var error);
                ThrowIfError(error, "iterator");
            }
        }
    }
}
