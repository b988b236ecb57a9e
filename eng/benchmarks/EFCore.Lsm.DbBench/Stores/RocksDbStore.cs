using static EFCore.Lsm.DbBench.Stores.RocksDbNative;

namespace EFCore.Lsm.DbBench.Stores;

/// <summary>
/// RocksDB through its C API, opened with the settings in <see cref="StoreOptions"/>, no compression, and reads that verify
/// block checksums. The same class drives the release build and Debian's, whichever library this process bound.
/// </summary>
internal sealed unsafe class RocksDbStore : IKeyValueStore
{
    private readonly nint _db;
    private readonly nint _options;
    private readonly nint _tableOptions;
    private readonly nint _cache;
    private readonly nint _syncWrite;
    private readonly nint _noSyncWrite;
    private readonly nint _read;
    private int _disposed;

    private RocksDbStore(string name, string path, StoreOptions options)
    {
        Name = name;
        _options = rocksdb_options_create();
        rocksdb_options_set_create_if_missing(_options, 1);
        rocksdb_options_set_compression(_options, NoCompression);
        rocksdb_options_set_bottommost_compression(_options, NoCompression);
        rocksdb_options_set_write_buffer_size(_options, (nuint)options.WriteBufferSize);

        // RocksDB counts the active memtable in this number; ours counts only the frozen ones.
        rocksdb_options_set_max_write_buffer_number(_options, options.MaxImmutableMemtables + 1);
        rocksdb_options_set_max_open_files(_options, options.MaxOpenFiles);
        rocksdb_options_set_level0_file_num_compaction_trigger(_options, options.Level0CompactionTrigger);
        rocksdb_options_set_level0_slowdown_writes_trigger(_options, options.Level0SlowdownWritesTrigger);
        rocksdb_options_set_level0_stop_writes_trigger(_options, options.Level0StopWritesTrigger);
        rocksdb_options_set_max_bytes_for_level_base(_options, (ulong)options.MaxBytesForLevelBase);
        rocksdb_options_set_target_file_size_base(_options, (ulong)options.TargetFileSize);

        _tableOptions = rocksdb_block_based_options_create();
        _cache = rocksdb_cache_create_lru((nuint)options.BlockCacheSize);
        rocksdb_block_based_options_set_block_cache(_tableOptions, _cache);
        rocksdb_block_based_options_set_block_size(_tableOptions, (nuint)options.BlockSize);
        if (options.BloomBitsPerKey > 0)
        {
            // The table options take ownership of the policy.
            rocksdb_block_based_options_set_filter_policy(_tableOptions, rocksdb_filterpolicy_create_bloom_full(options.BloomBitsPerKey));
        }

        rocksdb_options_set_block_based_table_factory(_options, _tableOptions);

        _syncWrite = rocksdb_writeoptions_create();
        rocksdb_writeoptions_set_sync(_syncWrite, 1);
        _noSyncWrite = rocksdb_writeoptions_create();
        _read = rocksdb_readoptions_create();

        // RocksDB's default already; stated so that every engine visibly verifies block checksums on reads.
        rocksdb_readoptions_set_verify_checksums(_read, 1);

        _db = rocksdb_open(_options, path, out var error);
        if (error != 0)
        {
            FreeOptions();
            ThrowIfError(error, $"open of '{path}'");
        }
    }

    /// <summary><see cref="StoreCatalog.RocksDb"/> or <see cref="StoreCatalog.RocksDbDebian"/>: which library is bound.</summary>
    public string Name { get; }

    public static RocksDbStore Open(string name, string path, StoreOptions options) => new(name, path, options);

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool sync)
    {
        nint error;
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            rocksdb_put(_db, sync ? _syncWrite : _noSyncWrite, k, (nuint)key.Length, v, (nuint)value.Length, out error);
        }

        ThrowIfError(error, "put");
    }

    public void Delete(ReadOnlySpan<byte> key, bool sync)
    {
        nint error;
        fixed (byte* k = key)
        {
            rocksdb_delete(_db, sync ? _syncWrite : _noSyncWrite, k, (nuint)key.Length, out error);
        }

        ThrowIfError(error, "delete");
    }

    public int Get(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        nint error;
        nint slice;
        fixed (byte* k = key)
        {
            slice = rocksdb_get_pinned(_db, _read, k, (nuint)key.Length, out error);
        }

        ThrowIfError(error, "get");
        if (slice == 0)
        {
            return -1;
        }

        try
        {
            var value = rocksdb_pinnableslice_value(slice, out var length);
            var span = new ReadOnlySpan<byte>(value, checked((int)length));
            span[..Math.Min(span.Length, destination.Length)].CopyTo(destination);
            return span.Length;
        }
        finally
        {
            rocksdb_pinnableslice_destroy(slice);
        }
    }

    public IKeyValueBatch CreateBatch() => new Batch();

    public void Write(IKeyValueBatch batch, bool sync)
    {
        rocksdb_write(_db, sync ? _syncWrite : _noSyncWrite, ((Batch)batch).Handle, out var error);
        ThrowIfError(error, "write");
    }

    public IKeyValueIterator NewIterator() => new Iterator(rocksdb_create_iterator(_db, _read));

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            rocksdb_close(_db);
            FreeOptions();
        }
    }

    private void FreeOptions()
    {
        rocksdb_readoptions_destroy(_read);
        rocksdb_writeoptions_destroy(_noSyncWrite);
        rocksdb_writeoptions_destroy(_syncWrite);
        rocksdb_options_destroy(_options);
        rocksdb_block_based_options_destroy(_tableOptions);
        rocksdb_cache_destroy(_cache);
    }

    private sealed class Batch : IKeyValueBatch
    {
        public nint Handle { get; private set; } = rocksdb_writebatch_create();

        public int Count => rocksdb_writebatch_count(Handle);

        public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            fixed (byte* k = key)
            fixed (byte* v = value)
            {
                rocksdb_writebatch_put(Handle, k, (nuint)key.Length, v, (nuint)value.Length);
            }
        }

        public void Delete(ReadOnlySpan<byte> key)
        {
            fixed (byte* k = key)
            {
                rocksdb_writebatch_delete(Handle, k, (nuint)key.Length);
            }
        }

        public void Clear() => rocksdb_writebatch_clear(Handle);

        public void Dispose()
        {
            if (Handle != 0)
            {
                rocksdb_writebatch_destroy(Handle);
                Handle = 0;
            }
        }
    }

    private sealed class Iterator(nint handle) : IKeyValueIterator
    {
        private nint _handle = handle;

        public bool Valid => rocksdb_iter_valid(_handle) != 0;

        public ReadOnlySpan<byte> Key
        {
            get
            {
                var key = rocksdb_iter_key(_handle, out var length);
                return new ReadOnlySpan<byte>(key, checked((int)length));
            }
        }

        public ReadOnlySpan<byte> Value
        {
            get
            {
                var value = rocksdb_iter_value(_handle, out var length);
                return new ReadOnlySpan<byte>(value, checked((int)length));
            }
        }

        public void SeekToFirst()
        {
            rocksdb_iter_seek_to_first(_handle);
            CheckStatus();
        }

        public void Seek(ReadOnlySpan<byte> key)
        {
            fixed (byte* k = key)
            {
                rocksdb_iter_seek(_handle, k, (nuint)key.Length);
            }

            CheckStatus();
        }

        public void Next()
        {
            rocksdb_iter_next(_handle);
            CheckStatus();
        }

        public void Dispose()
        {
            if (_handle != 0)
            {
                rocksdb_iter_destroy(_handle);
                _handle = 0;
            }
        }

        // An iterator that stops being valid may have hit an error rather than the end.
        private void CheckStatus()
        {
            if (rocksdb_iter_valid(_handle) == 0)
            {
                rocksdb_iter_get_error(_handle, out var error);
                ThrowIfError(error, "iterator");
            }
        }
    }
}
