namespace EFCore.Lsm.Engine.Table;

/// <summary>How <see cref="TableBuilder"/> lays out a table. Readers need none of these: everything is in the file.</summary>
internal sealed class TableOptions
{
    /// <summary>Target size of a data block's contents; a block is cut once it reaches this size (default 4 KiB).</summary>
    public int BlockSize { get; set; } = 4096;

    /// <summary>Entries between restart points in data blocks (default 16). Index blocks always use 1.</summary>
    public int RestartInterval { get; set; } = 16;

    /// <summary>Bloom filter bits per distinct user key; 0 writes no filter (default 10, about 1% false positives).</summary>
    public int BloomBitsPerKey { get; set; } = 10;

    /// <summary>How data blocks are compressed (default none; the database passes its level's choice).</summary>
    public TableCompression Compression { get; set; }

    /// <summary>Compression of tables written to the bottommost level by compaction (RocksDB's bottommost_compression).</summary>
    public TableCompression BottommostCompression { get; set; }

    /// <summary>Zstandard level when Zstd is used (default 3, zstd's own default).</summary>
    public int ZstdLevel { get; set; } = 3;

    public static TableOptions From(LsmOptions options) => new()
    {
        BlockSize = options.BlockSize,
        RestartInterval = options.BlockRestartInterval,
        BloomBitsPerKey = options.BloomBitsPerKey,
        Compression = options.Compression,
        BottommostCompression = options.BottommostCompression ?? options.Compression,
        ZstdLevel = options.ZstdLevel,
    };

    /// <summary>These options with <paramref name="compression"/> for every block (a compaction's output level picks it).</summary>
    public TableOptions WithCompression(TableCompression compression) => compression == Compression
        ? this
        : new TableOptions
        {
            BlockSize = BlockSize,
            RestartInterval = RestartInterval,
            BloomBitsPerKey = BloomBitsPerKey,
            Compression = compression,
            BottommostCompression = BottommostCompression,
            ZstdLevel = ZstdLevel,
        };

    internal void Validate()
    {
        if (BlockSize < 1)
        {
            throw new ArgumentException("TableOptions.BlockSize must be positive.");
        }

        if (RestartInterval < 1)
        {
            throw new ArgumentException("TableOptions.RestartInterval must be at least 1.");
        }

        if (BloomBitsPerKey is < 0 or > 64)
        {
            throw new ArgumentException("TableOptions.BloomBitsPerKey must be between 0 and 64.");
        }

        if (!Enum.IsDefined(Compression) || !Enum.IsDefined(BottommostCompression))
        {
            throw new ArgumentException($"TableOptions.Compression must be None, Lz4 or Zstd, not {Compression}/{BottommostCompression}.");
        }

        if (ZstdLevel is < 1 or > 22)
        {
            throw new ArgumentException("TableOptions.ZstdLevel must be between 1 and 22.");
        }
    }
}
