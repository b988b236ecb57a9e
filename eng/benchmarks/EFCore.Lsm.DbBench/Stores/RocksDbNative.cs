using System.Runtime.InteropServices;

namespace EFCore.Lsm.DbBench.Stores;

/// <summary>The part of RocksDB's C API (rocksdb/c.h) the benchmark uses. Errors come back as malloc'd strings in errptr.</summary>
/// <remarks>
/// The accessors an iterator step calls (Valid, Key, Value) only read fields of the C++ iterator, so they are marked
/// <see cref="SuppressGCTransitionAttribute"/>: without it each pays the managed-to-native transition, about five per
/// readseq step, which handicapped the peers against a managed engine. Calls that may block (Next, Seek, Get: they can
/// read a block from disk) keep the transition, as the attribute requires.
/// </remarks>
internal static unsafe partial class RocksDbNative
{
    private const string Lib = PeerLibrary.RocksDbName;

    public const int NoCompression = 0;

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint rocksdb_open(nint options, string name, out nint errptr);

    [LibraryImport(Lib)]
    public static partial void rocksdb_close(nint db);

    [LibraryImport(Lib)]
    public static partial void rocksdb_put(nint db, nint writeOptions, byte* key, nuint keyLength, byte* value, nuint valueLength, out nint errptr);

    [LibraryImport(Lib)]
    public static partial void rocksdb_delete(nint db, nint writeOptions, byte* key, nuint keyLength, out nint errptr);

    [LibraryImport(Lib)]
    public static partial void rocksdb_write(nint db, nint writeOptions, nint batch, out nint errptr);

    [LibraryImport(Lib)]
    public static partial nint rocksdb_get_pinned(nint db, nint readOptions, byte* key, nuint keyLength, out nint errptr);

    // A field read: no locks, no I/O, no callbacks, so the GC transition is not needed (see the class remarks).
    [SuppressGCTransition]
    [LibraryImport(Lib)]
    public static partial byte* rocksdb_pinnableslice_value(nint slice, out nuint valueLength);

    [LibraryImport(Lib)]
    public static partial void rocksdb_pinnableslice_destroy(nint slice);

    [LibraryImport(Lib)]
    public static partial void rocksdb_free(nint pointer);

    [LibraryImport(Lib)]
    public static partial nint rocksdb_create_iterator(nint db, nint readOptions);

    [LibraryImport(Lib)]
    public static partial void rocksdb_iter_destroy(nint iterator);

    // A field read: no locks, no I/O, no callbacks, so the GC transition is not needed (see the class remarks).
    [SuppressGCTransition]
    [LibraryImport(Lib)]
    public static partial byte rocksdb_iter_valid(nint iterator);

    [LibraryImport(Lib)]
    public static partial void rocksdb_iter_seek_to_first(nint iterator);

    [LibraryImport(Lib)]
    public static partial void rocksdb_iter_seek(nint iterator, byte* key, nuint keyLength);

    [LibraryImport(Lib)]
    public static partial void rocksdb_iter_next(nint iterator);

    // A field read: no locks, no I/O, no callbacks, so the GC transition is not needed (see the class remarks).
    [SuppressGCTransition]
    [LibraryImport(Lib)]
    public static partial byte* rocksdb_iter_key(nint iterator, out nuint keyLength);

    // A field read: no locks, no I/O, no callbacks, so the GC transition is not needed (see the class remarks).
    [SuppressGCTransition]
    [LibraryImport(Lib)]
    public static partial byte* rocksdb_iter_value(nint iterator, out nuint valueLength);

    [LibraryImport(Lib)]
    public static partial void rocksdb_iter_get_error(nint iterator, out nint errptr);

    [LibraryImport(Lib)]
    public static partial nint rocksdb_writebatch_create();

    [LibraryImport(Lib)]
    public static partial void rocksdb_writebatch_destroy(nint batch);

    [LibraryImport(Lib)]
    public static partial void rocksdb_writebatch_clear(nint batch);

    // A field read: no locks, no I/O, no callbacks, so the GC transition is not needed (see the class remarks).
    [SuppressGCTransition]
    [LibraryImport(Lib)]
    public static partial int rocksdb_writebatch_count(nint batch);

    [LibraryImport(Lib)]
    public static partial void rocksdb_writebatch_put(nint batch, byte* key, nuint keyLength, byte* value, nuint valueLength);

    [LibraryImport(Lib)]
    public static partial void rocksdb_writebatch_delete(nint batch, byte* key, nuint keyLength);

    [LibraryImport(Lib)]
    public static partial nint rocksdb_options_create();

    [LibraryImport(Lib)]
    public static partial void rocksdb_options_destroy(nint options);

    [LibraryImport(Lib)]
    public static partial void rocksdb_options_set_create_if_missing(nint options, byte value);

    [LibraryImport(Lib)]
    public static partial void rocksdb_options_set_compression(nint options, int compression);

    [LibraryImport(Lib)]
    public static partial void rocksdb_options_set_bottommost_compression(nint options, int compression);

    [LibraryImport(Lib)]
    public static partial void rocksdb_options_set_write_buffer_size(nint options, nuint size);

    [LibraryImport(Lib)]
    public static partial void rocksdb_options_set_max_write_buffer_number(nint options, int count);

    [LibraryImport(Lib)]
    public static partial void rocksdb_options_set_max_open_files(nint options, int count);

    [LibraryImport(Lib)]
    public static partial void rocksdb_options_set_level0_file_num_compaction_trigger(nint options, int count);

    [LibraryImport(Lib)]
    public static partial void rocksdb_options_set_level0_slowdown_writes_trigger(nint options, int count);

    [LibraryImport(Lib)]
    public static partial void rocksdb_options_set_level0_stop_writes_trigger(nint options, int count);

    [LibraryImport(Lib)]
    public static partial void rocksdb_options_set_target_file_size_base(nint options, ulong size);

    [LibraryImport(Lib)]
    public static partial void rocksdb_options_set_max_bytes_for_level_base(nint options, ulong size);

    [LibraryImport(Lib)]
    public static partial void rocksdb_options_set_block_based_table_factory(nint options, nint tableOptions);

    [LibraryImport(Lib)]
    public static partial nint rocksdb_block_based_options_create();

    [LibraryImport(Lib)]
    public static partial void rocksdb_block_based_options_destroy(nint tableOptions);

    [LibraryImport(Lib)]
    public static partial void rocksdb_block_based_options_set_block_cache(nint tableOptions, nint cache);

    [LibraryImport(Lib)]
    public static partial void rocksdb_block_based_options_set_filter_policy(nint tableOptions, nint filterPolicy);

    [LibraryImport(Lib)]
    public static partial void rocksdb_block_based_options_set_block_size(nint tableOptions, nuint size);

    [LibraryImport(Lib)]
    public static partial nint rocksdb_cache_create_lru(nuint capacity);

    [LibraryImport(Lib)]
    public static partial void rocksdb_cache_destroy(nint cache);

    [LibraryImport(Lib)]
    public static partial nint rocksdb_filterpolicy_create_bloom_full(double bitsPerKey);

    [LibraryImport(Lib)]
    public static partial nint rocksdb_writeoptions_create();

    [LibraryImport(Lib)]
    public static partial void rocksdb_writeoptions_destroy(nint writeOptions);

    [LibraryImport(Lib)]
    public static partial void rocksdb_writeoptions_set_sync(nint writeOptions, byte sync);

    [LibraryImport(Lib)]
    public static partial nint rocksdb_readoptions_create();

    [LibraryImport(Lib)]
    public static partial void rocksdb_readoptions_destroy(nint readOptions);

    [LibraryImport(Lib)]
    public static partial void rocksdb_readoptions_set_verify_checksums(nint readOptions, byte value);

    /// <summary>Throws <see cref="PeerStoreException"/> when the C API reported an error, after freeing its message.</summary>
    public static void ThrowIfError(nint error, string operation)
    {
        if (error == 0)
        {
            return;
        }

        var message = Marshal.PtrToStringUTF8(error) ?? "unknown error";
        rocksdb_free(error);
        throw new PeerStoreException($"RocksDB {operation} failed: {message}");
    }
}
