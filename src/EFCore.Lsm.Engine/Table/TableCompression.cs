namespace EFCore.Lsm.Engine;

/// <summary>How a table's data blocks are compressed. Written to the properties block; values never change meaning.</summary>
public enum TableCompression
{
    /// <summary>Blocks stored as they are.</summary>
    None = 0,

    /// <summary>LZ4 (fast; the default for all but the bottommost level, as in RocksDB).</summary>
    Lz4 = 1,

    /// <summary>Zstandard (smaller, slower; RocksDB's usual choice for the bottommost level).</summary>
    Zstd = 2,
}
