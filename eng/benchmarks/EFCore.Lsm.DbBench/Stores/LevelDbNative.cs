using System.Runtime.InteropServices;

namespace EFCore.Lsm.DbBench.Stores;

/// <summary>The part of LevelDB's C API (leveldb/c.h) the benchmark uses. Errors come back as malloc'd strings in errptr.</summary>
/// <remarks>
/// As in <see cref="RocksDbNative"/>, the iterator's trivial accessors (Valid, Key, Value) skip the GC transition; calls
/// that may block keep it.
/// </remarks>
internal static unsafe partial class LevelDbNative
{
    private const string Lib = PeerLibrary.LevelDbName;

    public const int NoCompression = 0;

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint leveldb_open(nint options, string name, out nint errptr);

    [LibraryImport(Lib)]
    public static partial void leveldb_close(nint db);

    [LibraryImport(Lib)]
    public static partial void leveldb_put(nint db, nint writeOptions, byte* key, nuint keyLength, byte* value, nuint valueLength, out nint errptr);

    [LibraryImport(Lib)]
    public static partial void leveldb_delete(nint db, nint writeOptions, byte* key, nuint keyLength, out nint errptr);

    [LibraryImport(Lib)]
    public static partial void leveldb_write(nint db, nint writeOptions, nint batch, out nint errptr);

    /// <summary>Returns null when absent, else a malloc'd copy of the value to free with <see cref="leveldb_free"/>.</summary>
    [LibraryImport(Lib)]
    public static partial byte* leveldb_get(nint db, nint readOptions, byte* key, nuint keyLength, out nuint valueLength, out nint errptr);

    [LibraryImport(Lib)]
    public static partial void leveldb_free(void* pointer);

    [LibraryImport(Lib)]
    public static partial int leveldb_major_version();

    [LibraryImport(Lib)]
    public static partial int leveldb_minor_version();

    [LibraryImport(Lib)]
    public static partial nint leveldb_create_iterator(nint db, nint readOptions);

    [LibraryImport(Lib)]
    public static partial void leveldb_iter_destroy(nint iterator);

    // A field read: no locks, no I/O, no callbacks, so the GC transition is not needed (see the class remarks).
    [SuppressGCTransition]
    [LibraryImport(Lib)]
    public static partial byte leveldb_iter_valid(nint iterator);

    [LibraryImport(Lib)]
    public static partial void leveldb_iter_seek_to_first(nint iterator);

    [LibraryImport(Lib)]
    public static partial void leveldb_iter_seek(nint iterator, byte* key, nuint keyLength);

    [LibraryImport(Lib)]
    public static partial void leveldb_iter_next(nint iterator);

    // A field read: no locks, no I/O, no callbacks, so the GC transition is not needed (see the class remarks).
    [SuppressGCTransition]
    [LibraryImport(Lib)]
    public static partial byte* leveldb_iter_key(nint iterator, out nuint keyLength);

    // A field read: no locks, no I/O, no callbacks, so the GC transition is not needed (see the class remarks).
    [SuppressGCTransition]
    [LibraryImport(Lib)]
    public static partial byte* leveldb_iter_value(nint iterator, out nuint valueLength);

    [LibraryImport(Lib)]
    public static partial void leveldb_iter_get_error(nint iterator, out nint errptr);

    [LibraryImport(Lib)]
    public static partial nint leveldb_writebatch_create();

    [LibraryImport(Lib)]
    public static partial void leveldb_writebatch_destroy(nint batch);

    [LibraryImport(Lib)]
    public static partial void leveldb_writebatch_clear(nint batch);

    [LibraryImport(Lib)]
    public static partial void leveldb_writebatch_put(nint batch, byte* key, nuint keyLength, byte* value, nuint valueLength);

    [LibraryImport(Lib)]
    public static partial void leveldb_writebatch_delete(nint batch, byte* key, nuint keyLength);

    [LibraryImport(Lib)]
    public static partial nint leveldb_options_create();

    [LibraryImport(Lib)]
    public static partial void leveldb_options_destroy(nint options);

    [LibraryImport(Lib)]
    public static partial void leveldb_options_set_create_if_missing(nint options, byte value);

    [LibraryImport(Lib)]
    public static partial void leveldb_options_set_compression(nint options, int compression);

    [LibraryImport(Lib)]
    public static partial void leveldb_options_set_write_buffer_size(nint options, nuint size);

    [LibraryImport(Lib)]
    public static partial void leveldb_options_set_max_open_files(nint options, int count);

    [LibraryImport(Lib)]
    public static partial void leveldb_options_set_cache(nint options, nint cache);

    [LibraryImport(Lib)]
    public static partial void leveldb_options_set_filter_policy(nint options, nint filterPolicy);

    [LibraryImport(Lib)]
    public static partial void leveldb_options_set_block_size(nint options, nuint size);

    [LibraryImport(Lib)]
    public static partial void leveldb_options_set_max_file_size(nint options, nuint size);

    [LibraryImport(Lib)]
    public static partial nint leveldb_cache_create_lru(nuint capacity);

    [LibraryImport(Lib)]
    public static partial void leveldb_cache_destroy(nint cache);

    [LibraryImport(Lib)]
    public static partial nint leveldb_filterpolicy_create_bloom(int bitsPerKey);

    [LibraryImport(Lib)]
    public static partial void leveldb_filterpolicy_destroy(nint filterPolicy);

    [LibraryImport(Lib)]
    public static partial nint leveldb_writeoptions_create();

    [LibraryImport(Lib)]
    public static partial void leveldb_writeoptions_destroy(nint writeOptions);

    [LibraryImport(Lib)]
    public static partial void leveldb_writeoptions_set_sync(nint writeOptions, byte sync);

    [LibraryImport(Lib)]
    public static partial nint leveldb_readoptions_create();

    [LibraryImport(Lib)]
    public static partial void leveldb_readoptions_destroy(nint readOptions);

    [LibraryImport(Lib)]
    public static partial void leveldb_readoptions_set_verify_checksums(nint readOptions, byte value);

    /// <summary>Throws <see cref="PeerStoreException"/> when the C API reported an error, after freeing its message.</summary>
    public static void ThrowIfError(nint error, string operation)
    {
        if (error == 0)
        {
            return;
        }

        var message = Marshal.PtrToStringUTF8(error) ?? "unknown error";
        leveldb_free((void*)error);
        throw new PeerStoreException($"LevelDB {operation} failed: {message}");
    }
}
