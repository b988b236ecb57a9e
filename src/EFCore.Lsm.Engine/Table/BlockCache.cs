using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace EFCore.Lsm.Engine.Table;

/// <summary>
/// A sharded cache of decoded data blocks keyed by (file number, block offset), bounded in bytes: each block is
/// charged its buffer size plus <see cref="EntryOverhead"/>. Each shard has its own lock, dictionary and list and gets
/// an equal share of the capacity. Eviction is CLOCK over the insertion-ordered list (a hit marks a block; eviction
/// passes a marked block over once), which approximates LRU without writing the list on a hit. Blocks are
/// reference-counted <see cref="CachedBlock"/>s: evicting one only drops the cache's reference, so a reader that
/// obtained it keeps reading valid bytes until it releases its own reference, and the buffer is recycled after that.
/// A hit allocates nothing; an insert allocates one node.
/// <para>
/// Blocks an iterator loads go in at low priority (<see cref="Insert"/>): at the eviction end of the list instead of the
/// front, unmarked. Until a shard is full they simply fill it; once it is full, the next eviction takes the low-priority
/// block inserted last, so a scan larger than the cache replaces only blocks scans brought in that nobody read again,
/// never the blocks point reads (or a second read of a scanned block) keep. That is the bound: a scan can take the
/// cache's free room, and no block read since its last pass of the CLOCK hand. A scan repeated over more data than fits
/// keeps hitting the part that went in first, where plain LRU would evict each block just before it is read again.
/// </para>
/// Thread-safe.
/// </summary>
internal sealed class BlockCache
{
    /// <summary>Bytes charged per entry on top of the block: the node object and its dictionary slot.</summary>
    public const int EntryOverhead = 96;

    /// <summary>Shards are never made smaller than this, so small caches use fewer shards (as RocksDB does).</summary>
    public const long MinShardCapacity = 512 * 1024;

    private readonly Shard[] _shards;
    private readonly int _shardShift;

    /// <param name="capacityBytes">Total byte budget; 0 disables caching (every insert is dropped).</param>
    /// <param name="shardCountLog2">The most shards to use, as a power of two; fewer are used for small capacities.</param>
    public BlockCache(long capacityBytes, int shardCountLog2 = 4)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(shardCountLog2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shardCountLog2, 16);
        var bits = shardCountLog2;
        while (bits > 0 && (capacityBytes >> bits) < MinShardCapacity)
        {
            bits--;
        }

        Capacity = capacityBytes;
        _shards = new Shard[1 << bits];
        var perShard = capacityBytes >> bits;
        for (var i = 0; i < _shards.Length; i++)
        {
            // The first shard takes the remainder so the shard capacities add up to exactly capacityBytes.
            _shards[i] = new Shard(i == 0 ? capacityBytes - (perShard * (_shards.Length - 1)) : perShard);
        }

        _shardShift = 64 - bits;
    }

    public long Capacity { get; }

    public int ShardCount => _shards.Length;

    /// <summary>Bytes charged by the blocks currently cached.</summary>
    public long Usage
    {
        get
        {
            long total = 0;
            foreach (var shard in _shards)
            {
                total += Volatile.Read(ref shard.Usage);
            }

            return total;
        }
    }

    public long Count
    {
        get
        {
            long total = 0;
            foreach (var shard in _shards)
            {
                lock (shard)
                {
                    total += shard.Map.Count;
                }
            }

            return total;
        }
    }

    public long Hits
    {
        get
        {
            long total = 0;
            foreach (var shard in _shards)
            {
                total += Volatile.Read(ref shard.Hits);
            }

            return total;
        }
    }

    public long Misses
    {
        get
        {
            long total = 0;
            foreach (var shard in _shards)
            {
                total += Volatile.Read(ref shard.Misses);
            }

            return total;
        }
    }

    /// <summary>
    /// Looks a block up; on a hit <paramref name="block"/> carries a new reference that the caller must
    /// <see cref="CachedBlock.Release"/> when done reading it.
    /// </summary>
    public bool TryGet(ulong fileNumber, long offset, [NotNullWhen(true)] out CachedBlock? block)
    {
        var key = new BlockKey(fileNumber, offset);
        var shard = ShardFor(key);
        lock (shard)
        {
            if (shard.Map.TryGetValue(key, out var node))
            {
                shard.Hits++;

                // A hit only marks the node; eviction gives a marked node a second chance (CLOCK, an approximation of
                // LRU). Moving it to the front on every hit wrote six links and touched both neighbours, which sit
                // anywhere in memory: on seekrandom that was most of the time spent in the cache.
                node.Referenced = true;

                // The cache's own reference keeps the count above zero while the node is mapped, and eviction takes
                // the same lock, so this reference is never added to a recycled block.
                node.Block.AddReference();
                block = node.Block;
                return true;
            }

            shard.Misses++;
        }

        block = null;
        return false;
    }

    /// <summary>
    /// Caches <paramref name="block"/> (taking a reference of its own; the caller keeps its own), whose contents must
    /// never be modified afterwards. If the key is already cached the existing block is kept (both have the same
    /// contents). A block larger than its shard's capacity is not cached. Charged its buffer size plus
    /// <see cref="EntryOverhead"/>. <paramref name="lowPriority"/> (blocks an iterator loaded): goes in where eviction
    /// looks first (see the class remarks), so a large scan cannot push out the blocks point reads keep.
    /// </summary>
    public void Insert(ulong fileNumber, long offset, CachedBlock block, bool lowPriority = false)
    {
        ArgumentNullException.ThrowIfNull(block);
        var key = new BlockKey(fileNumber, offset);
        var shard = ShardFor(key);
        var charge = (long)block.Footprint + EntryOverhead;
        lock (shard)
        {
            if (charge > shard.Capacity || shard.Map.ContainsKey(key))
            {
                return;
            }

            // Room is made before the new block goes in: blocks given a second chance move to the front ahead of it,
            // and a new block must not be the first one evicted.
            shard.EvictUntilFree(charge);
            block.AddReference();
            var node = new Node(key, block, charge);
            shard.Map.Add(key, node);
            if (lowPriority)
            {
                shard.PushBack(node);
            }
            else
            {
                shard.PushFront(node);
            }

            shard.Usage += charge;
        }
    }

    /// <summary>Drops every cached block of a file (called when the file is deleted, so its blocks stop taking space).</summary>
    public void EraseFile(ulong fileNumber)
    {
        foreach (var shard in _shards)
        {
            lock (shard)
            {
                var node = shard.Head.Next!;
                while (node != shard.Head)
                {
                    var next = node.Next!;
                    if (node.Key.FileNumber == fileNumber)
                    {
                        shard.Remove(node);
                    }

                    node = next;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Shard ShardFor(BlockKey key) => _shardShift == 64 ? _shards[0] : _shards[(int)(key.Hash() >> _shardShift)];

    private readonly struct BlockKey(ulong fileNumber, long offset) : IEquatable<BlockKey>
    {
        public ulong FileNumber { get; } = fileNumber;

        public long Offset { get; } = offset;

        public bool Equals(BlockKey other) => FileNumber == other.FileNumber && Offset == other.Offset;

        public override bool Equals(object? obj) => obj is BlockKey other && Equals(other);

        /// <summary>A 64-bit mix of both parts; the high bits pick the shard, the low bits feed the dictionary.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ulong Hash()
        {
            var h = (FileNumber * 0x9E3779B97F4A7C15UL) ^ ((ulong)Offset * 0xC2B2AE3D27D4EB4FUL);
            h ^= h >> 29;
            h *= 0xBF58476D1CE4E5B9UL;
            return h ^ (h >> 32);
        }

        public override int GetHashCode() => (int)Hash();
    }

    private sealed class Node(BlockKey key, CachedBlock block, long charge)
    {
        public BlockKey Key { get; } = key;

        public CachedBlock Block { get; } = block;

        public long Charge { get; } = charge;

        public Node? Prev { get; set; }

        public Node? Next { get; set; }

        /// <summary>Read since it was inserted or last passed over by eviction.</summary>
        public bool Referenced { get; set; }
    }

    /// <summary>One lock, one dictionary and one circular list (newest after <see cref="Head"/>); used under its own lock.</summary>
    private sealed class Shard
    {
        public readonly Dictionary<BlockKey, Node> Map = new();
        public readonly Node Head = new(default, CachedBlock.Wrap([]), 0);
        public readonly long Capacity;
        public long Usage;
        public long Hits;
        public long Misses;

        public Shard(long capacity)
        {
            Capacity = capacity;
            Head.Prev = Head;
            Head.Next = Head;
        }

        public void PushFront(Node node)
        {
            node.Prev = Head;
            node.Next = Head.Next;
            Head.Next!.Prev = node;
            Head.Next = node;
        }

        /// <summary>Puts a node at the tail, where <see cref="EvictUntilFree"/> looks first.</summary>
        public void PushBack(Node node)
        {
            node.Next = Head;
            node.Prev = Head.Prev;
            Head.Prev!.Next = node;
            Head.Prev = node;
        }

        /// <summary>
        /// Evicts from the tail until <paramref name="charge"/> more bytes fit; a node read since it was last passed over
        /// is moved to the front once instead (second chance), so every node is evicted within two passes of the list.
        /// </summary>
        public void EvictUntilFree(long charge)
        {
            while (Usage + charge > Capacity && Head.Prev != Head)
            {
                var tail = Head.Prev!;
                if (tail.Referenced)
                {
                    tail.Referenced = false;
                    Unlink(tail);
                    PushFront(tail);
                    continue;
                }

                Remove(tail);
            }
        }

        /// <summary>Unmaps a node and drops the cache's reference: its buffer is recycled once no reader holds it.</summary>
        public void Remove(Node node)
        {
            Unlink(node);
            Map.Remove(node.Key);
            Usage -= node.Charge;
            node.Block.Release();
        }

        private static void Unlink(Node node)
        {
            node.Prev!.Next = node.Next;
            node.Next!.Prev = node.Prev;
            node.Prev = null;
            node.Next = null;
        }
    }
}
