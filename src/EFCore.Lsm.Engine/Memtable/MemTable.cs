using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;
using EFCore.Lsm.Engine.Lookup;
using EFCore.Lsm.Engine.Util;

namespace EFCore.Lsm.Engine.Memtable;

/// <summary>
/// The in-memory write buffer: a skiplist of internal keys (<see cref="InternalKey.Compare"/> order) whose nodes live
/// in an <see cref="Arena"/>, so there is no heap object per entry.
/// <para>
/// Node layout (node address = address of its level-0 link; allocations are 8-aligned, so every link is too):
/// <code>
///   [link height-1] ... [link 1] [link 0] [int32 internal key length] [int32 value length] [internal key] [value]
///                                 ^ node
/// </code>
/// Link <c>i</c> sits at <c>node - 8 * i</c>: the search loop reads links without decoding anything, and the key is at a
/// fixed offset from the node. The height is implied by the allocation and never needed after linking.
/// </para>
/// <para>
/// Threading: ONE writer at a time calls <see cref="Add"/> (the database serialises writers). Any number of readers
/// (<see cref="TryGet"/>, iterators, the properties) run concurrently with it and with each other without locks: the
/// writer fills a node's bytes and its own links, then publishes it bottom-up with release writes
/// (<see cref="Volatile.Write(ref long, long)"/>) of the predecessors' links; readers follow links with acquire reads.
/// A reader sees each entry either completely or not at all, and the set it sees only grows.
/// </para>
/// <para>
/// Lifetime: spans returned by <see cref="TryGet"/> and by iterators' <c>Key</c>/<c>Value</c> point into the arena.
/// They stay valid (and unchanged) until the last reference is dropped with <see cref="Unref"/>; a memtable built over a
/// <see cref="SlabPool"/> then recycles its slabs. A memtable without a pool is never recycled.
/// </para>
/// </summary>
internal sealed class MemTable
{
    public const int MaxHeight = 12;

    /// <summary>Each level holds about 1 in 4 of the nodes of the level below (2 random bits per level).</summary>
    private const int BranchingBits = 2;

    private const int LinkSize = 8;

    /// <summary>Nodes a range must hold at a level for <see cref="EstimateCount"/> to measure it there.</summary>
    private const int EstimateSampleNodes = 32;

    /// <summary>The most nodes <see cref="EstimateCount"/> walks at one level (the level above held fewer than 32, so about 4x that).</summary>
    private const int EstimateMaxNodesPerLevel = 512;

    /// <summary>int32 internal key length + int32 value length, right after link 0.</summary>
    private const int HeaderSize = 8;

    private const ulong DefaultSeed = 0x9E3779B97F4A7C15;

    private readonly Arena _arena;
    private readonly long _head;

    // Predecessors found by the writer's search; reused by every Add (single writer).
    private readonly long[] _splice = new long[MaxHeight];

    private int _maxHeight = 1;
    private ulong _rngState;
    private long _entryCount;
    private ulong _firstSequence;
    private ulong _largestSequence;

    public MemTable()
        : this(Arena.DefaultSlabSize, DefaultSeed)
    {
    }

    /// <param name="slabSize">Arena slab size (the database may pick a smaller one for small write buffers; tests do).</param>
    /// <param name="seed">Seed of the tower-height generator (0 picks the default), so tests can vary tree shapes.</param>
    public MemTable(int slabSize, ulong seed = DefaultSeed)
        : this(new Arena(slabSize), seed)
    {
    }

    /// <summary>A memtable whose arena recycles slabs through <paramref name="pool"/> once it is released.</summary>
    public MemTable(SlabPool pool)
        : this(new Arena(pool), DefaultSeed)
    {
    }

    private MemTable(Arena arena, ulong seed)
    {
        _arena = arena;
        _rngState = seed == 0 ? DefaultSeed : seed;

        // The head is a full-height node with an empty key; it is never compared. Its links must start as null.
        var start = _arena.Allocate(MaxHeight * LinkSize + HeaderSize);
        _head = start + (MaxHeight - 1) * LinkSize;
        _arena.GetSpan(start, MaxHeight * LinkSize + HeaderSize).Clear();
    }

    // One reference for the owner (the database's active/immutable list) plus one per published read state.
    private int _refs = 1;

    /// <summary>Adds a reference (a read state that includes this memtable).</summary>
    public void Ref()
    {
        if (Interlocked.Increment(ref _refs) <= 1)
        {
            throw new InvalidOperationException("A released memtable cannot be referenced again.");
        }
    }

    /// <summary>
    /// Drops a reference; the last one returns the arena's slabs to their pool. After that no span obtained from this
    /// memtable may be used, which is why readers copy values out while they hold their read state.
    /// </summary>
    public void Unref()
    {
        var refs = Interlocked.Decrement(ref _refs);
        if (refs == 0)
        {
            _arena.ReleaseSlabs();
        }
        else if (refs < 0)
        {
            throw new InvalidOperationException("A memtable was released more often than it was referenced.");
        }
    }

    /// <summary>Arena bytes consumed by the entries (see <see cref="Arena.MemoryUsage"/>); compare with the write buffer size.</summary>
    public long ApproximateMemoryUsage => _arena.MemoryUsage;

    /// <summary>Bytes of arena slabs held from the runtime (at most one slab more than <see cref="ApproximateMemoryUsage"/>).</summary>
    public long ReservedMemory => _arena.ReservedBytes;

    public long EntryCount => Volatile.Read(ref _entryCount);

    public bool IsEmpty => EntryCount == 0;

    /// <summary>The smallest sequence number added (the first one, since the database adds in sequence order); 0 when empty.</summary>
    public ulong FirstSequence => Volatile.Read(ref _firstSequence);

    /// <summary>
    /// The largest sequence number added; 0 when empty. Updated after the entry is linked, so an entry with this
    /// sequence (and, when adds come in sequence order, every smaller one) is visible to a reader that read this value.
    /// </summary>
    public ulong LargestSequence => Volatile.Read(ref _largestSequence);

    /// <summary>
    /// Adds an entry. One writer at a time. For <see cref="ValueKind.Delete"/> the value is ignored (tombstones store an
    /// empty value). Each (user key, sequence) must be added at most once: the database hands out unique sequences.
    /// </summary>
    public void Add(ulong sequence, ValueKind kind, ReadOnlySpan<byte> userKey, ReadOnlySpan<byte> value)
    {
        if (sequence > InternalKey.MaxSequence)
        {
            throw new ArgumentOutOfRangeException(nameof(sequence), sequence, "Sequence numbers are 56 bits.");
        }

        if (kind is not (ValueKind.Put or ValueKind.Delete))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown value kind.");
        }

        if (kind == ValueKind.Delete)
        {
            value = default;
        }

        var height = RandomHeight();
        var linksSize = height * LinkSize;
        var size = (long)linksSize + HeaderSize + userKey.Length + InternalKey.TrailerSize + value.Length;
        if (size > Arena.MaxAllocation)
        {
            throw new ArgumentException($"Entry of {userKey.Length} key bytes and {value.Length} value bytes is too large.");
        }

        var internalKeyLength = userKey.Length + InternalKey.TrailerSize;

        var start = _arena.Allocate((int)size);
        var node = start + linksSize - LinkSize;

        // Fill header, key and value before the node becomes reachable.
        var body = _arena.GetSpan(node + LinkSize, (int)size - linksSize);
        MemoryMarshal.Write(body, internalKeyLength);
        MemoryMarshal.Write(body[4..], value.Length);
        var trailer = InternalKey.PackTrailer(sequence, kind);
        InternalKey.Write(body[HeaderSize..], userKey, sequence, kind);
        value.CopyTo(body[(HeaderSize + internalKeyLength)..]);

        var splice = _splice;
        var successor = FindGreaterOrEqual(userKey, trailer, splice);
        Debug.Assert(successor == 0 || CompareNode(successor, userKey, trailer) != 0, "duplicate internal key");

        var maxHeight = _maxHeight;
        if (height > maxHeight)
        {
            for (var level = maxHeight; level < height; level++)
            {
                splice[level] = _head;
            }

            // Readers that see the new height before the links find null at the head's new levels and move down.
            Volatile.Write(ref _maxHeight, height);
        }

        for (var level = 0; level < height; level++)
        {
            // The node is private until the release write below, so its own links need no barrier.
            LinkRef(node, level) = NextAt(splice[level], level);
            Volatile.Write(ref LinkRef(splice[level], level), node);
        }

        if (_entryCount == 0 || sequence < _firstSequence)
        {
            Volatile.Write(ref _firstSequence, sequence);
        }

        if (sequence > _largestSequence)
        {
            Volatile.Write(ref _largestSequence, sequence);
        }

        Volatile.Write(ref _entryCount, _entryCount + 1);
    }

    /// <summary>
    /// Finds the newest entry for <paramref name="userKey"/> with sequence &lt;= <paramref name="snapshotSequence"/>.
    /// Returns false when there is none; otherwise its kind and, for a put, its value (empty for a delete).
    /// Allocates nothing. <paramref name="value"/> stays valid while this memtable is alive.
    /// </summary>
    public bool TryGet(ReadOnlySpan<byte> userKey, ulong snapshotSequence, out ValueKind kind, out ReadOnlySpan<byte> value)
    {
        var sequence = Math.Min(snapshotSequence, InternalKey.MaxSequence);
        var node = FindGreaterOrEqual(userKey, InternalKey.PackTrailer(sequence, InternalKey.KindForSeek), default);
        if (node != 0)
        {
            var key = KeyOf(node);
            if (key[..^InternalKey.TrailerSize].SequenceEqual(userKey))
            {
                kind = (ValueKind)key[^InternalKey.TrailerSize];
                value = kind == ValueKind.Put ? ValueOf(node) : default;
                return true;
            }
        }

        kind = default;
        value = default;
        return false;
    }

    /// <summary>How many keys <see cref="MultiGet"/> searches for at once.</summary>
    private const int MultiGetLanes = 8;

    /// <summary>How many keys <see cref="MultiGet"/> searches one after another first, to tell a run of neighbours.</summary>
    private const int MultiGetProbeKeys = 4;

    /// <summary>
    /// From how many entries <see cref="MultiGet"/> interleaves its searches. A smaller list stays in the CPU's caches, where
    /// a search does not wait for memory and the sequential search from the previous key's finger does less work (measured
    /// with the MultiGet micro-benchmark's memtable cases). Settable for tests, which run both searches.
    /// </summary>
    internal long InterleavedMultiGetMinEntries { get; set; } = 65_536;

    /// <summary>
    /// Resolves the open keys of <paramref name="batch"/> that have an entry here at <paramref name="snapshotSequence"/>
    /// (as <see cref="TryGet"/> would). Keys with no entry stay open. Allocates nothing.
    /// <para>
    /// A skiplist search is a chain of dependent loads, one cache miss per node compared once the list outgrows the CPU's
    /// caches, so in a list of <see cref="InterleavedMultiGetMinEntries"/> entries or more (smaller ones use
    /// <see cref="MultiGetSequential"/>) the keys are searched <see cref="MultiGetLanes"/> at a time, interleaved: each lane
    /// takes one step (one comparison) in turn and prefetches the node its next step compares, so the misses of the lanes overlap instead of
    /// following each other. Each search starts from a finger (the nodes before an earlier, smaller key at every level): it
    /// climbs while the finger's successor is still before its key, then descends, so a run of close keys costs a few
    /// comparisons each instead of a descent from the head.
    /// </para>
    /// </summary>
    internal void MultiGet(ref MultiGetBatch batch, ulong snapshotSequence)
    {
        var pending = batch.PendingKeys;
        if (pending.IsEmpty || IsEmpty)
        {
            return;
        }

        if (EntryCount < InterleavedMultiGetMinEntries || pending.Length == 1)
        {
            MultiGetSequential(ref batch, snapshotSequence);
            return;
        }

        var trailer = InternalKey.PackTrailer(Math.Min(snapshotSequence, InternalKey.MaxSequence), InternalKey.KindForSeek);

        // Levels added by a concurrent writer after this point are skipped: a search from the head at a lower level is
        // still exact, only the new towers' shortcuts go unused.
        var height = Volatile.Read(ref _maxHeight);
        var top = height - 1;

        // The shared finger: the nodes before the largest key finished so far, at each level (the head at first). A lane
        // starts from a copy of it; every key a lane starts is larger than every key finished, so the copy is before it.
        Span<long> finger = stackalloc long[MaxHeight];
        finger = finger[..height];
        finger.Fill(_head);

        // The first keys are searched one after another from the finger. When each lies within a few entries of the one
        // before (its search started at level 0 or 1: a run of neighbours, whose nodes the previous search just loaded),
        // the sequential search is cheaper than lanes, and serves the whole batch.
        var resolved = 0;
        var probed = Math.Min(MultiGetProbeKeys, pending.Length);
        var close = 0;
        for (var at = 0; at < pending.Length; at++)
        {
            if (at == probed && close < probed - 1)
            {
                break;
            }

            var group = pending[at];
            var userKey = batch.Key(group);
            var found = FindGreaterOrEqualFrom(finger, userKey, trailer, out var startLevel);
            close += at > 0 && startLevel <= 1 ? 1 : 0;
            if (found != 0)
            {
                var key = KeyOf(found);
                if (key[..^InternalKey.TrailerSize].SequenceEqual(userKey))
                {
                    if ((ValueKind)key[^InternalKey.TrailerSize] == ValueKind.Put)
                    {
                        batch.Found(group, ValueOf(found));
                    }

                    pending[at] = -1;
                    resolved++;
                }
            }

            if (at == pending.Length - 1)
            {
                probed = pending.Length;
            }
        }

        var fingerPosition = probed - 1;

        // Per lane: the position in pending of its key (-1: idle), whether it is still climbing, its level, the node it
        // stands on, a node known not before its key at the level above, the node its next step compares, and its own finger.
        Span<int> position = stackalloc int[MultiGetLanes];
        Span<bool> climbing = stackalloc bool[MultiGetLanes];
        Span<int> level = stackalloc int[MultiGetLanes];
        Span<long> node = stackalloc long[MultiGetLanes];
        Span<long> knownNotLess = stackalloc long[MultiGetLanes];
        Span<long> candidate = stackalloc long[MultiGetLanes];
        Span<long> laneFingers = stackalloc long[MultiGetLanes * MaxHeight];

        var next = probed;
        var active = 0;
        for (var lane = 0; lane < MultiGetLanes; lane++)
        {
            position[lane] = -1;
            if (next < pending.Length)
            {
                position[lane] = next++;
                climbing[lane] = true;
                level[lane] = 0;
                candidate[lane] = StartSearch(finger, laneFingers.Slice(lane * MaxHeight, height));
                active++;
            }
        }

        while (active > 0)
        {
            for (var lane = 0; lane < MultiGetLanes; lane++)
            {
                var pendingAt = position[lane];
                if (pendingAt < 0)
                {
                    continue;
                }

                var laneFinger = laneFingers.Slice(lane * MaxHeight, height);
                var group = pending[pendingAt];
                var userKey = batch.Key(group);
                var compared = candidate[lane];
                var at = level[lane];
                bool down;
                if (climbing[lane])
                {
                    // Climb while the finger's successor at this level is still before the key: the lowest level where it
                    // is not (or the top) is where the descent starts.
                    if (compared == 0 || CompareNode(compared, userKey, trailer) >= 0)
                    {
                        climbing[lane] = false;
                        node[lane] = laneFinger[at];
                        down = true;
                    }
                    else if (at == top)
                    {
                        climbing[lane] = false;
                        node[lane] = compared;
                        knownNotLess[lane] = 0;
                        down = false;
                    }
                    else
                    {
                        level[lane] = at + 1;
                        candidate[lane] = NextAt(laneFinger[at + 1], at + 1);
                        Prefetch(candidate[lane], at + 1);
                        continue;
                    }
                }
                else if (compared != 0 && compared != knownNotLess[lane] && CompareNode(compared, userKey, trailer) < 0)
                {
                    node[lane] = compared;
                    down = false;
                }
                else
                {
                    down = true;
                }

                if (down)
                {
                    // The lane's node is the last before its key at this level, and compared the first not before it.
                    laneFinger[at] = node[lane];
                    if (at > 0)
                    {
                        knownNotLess[lane] = compared;
                        level[lane] = at - 1;
                    }
                    else
                    {
                        // At level 0 the search is over: compared is the first entry at or after (key, snapshot).
                        if (compared != 0)
                        {
                            var key = KeyOf(compared);
                            if (key[..^InternalKey.TrailerSize].SequenceEqual(userKey))
                            {
                                if ((ValueKind)key[^InternalKey.TrailerSize] == ValueKind.Put)
                                {
                                    batch.Found(group, ValueOf(compared));
                                }

                                pending[pendingAt] = -1;
                                resolved++;
                            }
                        }

                        if (pendingAt > fingerPosition)
                        {
                            fingerPosition = pendingAt;
                            laneFinger.CopyTo(finger);
                        }

                        if (next < pending.Length)
                        {
                            position[lane] = next++;
                            climbing[lane] = true;
                            level[lane] = 0;
                            candidate[lane] = StartSearch(finger, laneFinger);
                        }
                        else
                        {
                            position[lane] = -1;
                            active--;
                        }

                        continue;
                    }
                }

                candidate[lane] = NextAt(node[lane], level[lane]);
                Prefetch(candidate[lane], level[lane]);
            }
        }

        if (resolved > 0)
        {
            // Keep the open keys in order: resolved positions were marked -1.
            var kept = new PendingWriter(pending);
            foreach (var group in pending)
            {
                if (group >= 0)
                {
                    kept.Keep(group);
                }
            }

            batch.PendingCount = kept.Count;
        }
    }

    /// <summary>
    /// Starts a lane's search from a copy of the shared finger: returns (and prefetches) the node its first step compares.
    /// </summary>
    private long StartSearch(ReadOnlySpan<long> finger, Span<long> laneFinger)
    {
        finger.CopyTo(laneFinger);
        var first = NextAt(laneFinger[0], 0);
        Prefetch(first);
        return first;
    }

    /// <summary>
    /// <see cref="MultiGet"/> one key after another, in key order with a finger: each search starts from where the previous key's
    /// ended, at the lowest level whose next node is not before the new key, so a run of close keys costs a few
    /// comparisons each instead of a descent from the head. Keys with no entry stay open. Allocates nothing.
    /// </summary>
    private void MultiGetSequential(ref MultiGetBatch batch, ulong snapshotSequence)
    {
        var pending = batch.PendingKeys;
        if (pending.IsEmpty || IsEmpty)
        {
            return;
        }

        var trailer = InternalKey.PackTrailer(Math.Min(snapshotSequence, InternalKey.MaxSequence), InternalKey.KindForSeek);

        // Levels added by a concurrent writer after this point are skipped: a search from the head at a lower level is
        // still exact, only the new towers' shortcuts go unused.
        var height = Volatile.Read(ref _maxHeight);
        Span<long> finger = stackalloc long[MaxHeight];
        finger = finger[..height];
        finger.Fill(_head);

        var kept = new PendingWriter(pending);
        foreach (var group in pending)
        {
            var userKey = batch.Key(group);
            var node = FindGreaterOrEqualFrom(finger, userKey, trailer);
            if (node != 0)
            {
                var key = KeyOf(node);
                if (key[..^InternalKey.TrailerSize].SequenceEqual(userKey))
                {
                    if ((ValueKind)key[^InternalKey.TrailerSize] == ValueKind.Put)
                    {
                        batch.Found(group, ValueOf(node));
                    }

                    continue;
                }
            }

            kept.Keep(group);
        }

        batch.PendingCount = kept.Count;
    }

    /// <summary>
    /// <see cref="FindGreaterOrEqual"/> from a finger: <paramref name="finger"/>[i] is a node of level i before the target
    /// (the head at first, then what the previous, smaller target left there), and is updated to the last node before
    /// this target at each level the search passes. Targets must come in ascending order.
    /// </summary>
    private long FindGreaterOrEqualFrom(Span<long> finger, ReadOnlySpan<byte> userKey, ulong trailer) =>
        FindGreaterOrEqualFrom(finger, userKey, trailer, out _);

    /// <summary>
    /// <see cref="FindGreaterOrEqualFrom(Span{long}, ReadOnlySpan{byte}, ulong)"/>, telling the level the descent started at:
    /// 0 or 1 when the target lies within a few entries of the previous one.
    /// </summary>
    private long FindGreaterOrEqualFrom(Span<long> finger, ReadOnlySpan<byte> userKey, ulong trailer, out int startLevel)
    {
        // Climb while the finger's successor at this level is still before the target: the lowest level where it is
        // not (or the top) is where the search starts, since every finger node is before the target.
        var top = finger.Length - 1;
        var level = 0;
        long knownNotLess = 0;
        while (true)
        {
            var successor = NextAt(finger[level], level);
            if (successor == 0)
            {
                break;
            }

            if (CompareNode(successor, userKey, trailer) >= 0)
            {
                knownNotLess = successor;
                break;
            }

            if (level == top)
            {
                break;
            }

            level++;
        }

        startLevel = level;
        var node = finger[level];
        while (true)
        {
            var next = NextAt(node, level);
            if (next != 0 && next != knownNotLess && CompareNode(next, userKey, trailer) < 0)
            {
                node = next;
                continue;
            }

            finger[level] = node;
            if (level == 0)
            {
                return next;
            }

            knownNotLess = next;
            level--;
        }
    }

    /// <summary>A new cursor over all entries; it sees entries added after its creation too. Moving it allocates nothing.</summary>
    public IInternalIterator NewIterator() => new MemTableIterator(this);

    internal long Head => _head;

    /// <summary>The internal key of <paramref name="node"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ReadOnlySpan<byte> KeyOf(long node)
    {
        ref var header = ref _arena.At(node + LinkSize);
        var keyLength = Unsafe.ReadUnaligned<int>(ref header);
        return MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref header, HeaderSize), keyLength);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ReadOnlySpan<byte> ValueOf(long node)
    {
        ref var header = ref _arena.At(node + LinkSize);
        var keyLength = Unsafe.ReadUnaligned<int>(ref header);
        var valueLength = Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref header, 4));
        return MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref header, HeaderSize + keyLength), valueLength);
    }

    /// <summary>
    /// <see cref="Prefetch(long)"/>, and above level 0 the line of the node's link at <paramref name="level"/> too (it may be
    /// the line before): a search that steps onto the node reads that link next.
    /// </summary>
    private void Prefetch(long node, int level)
    {
        Prefetch(node);
        if (level > 0 && node != 0)
        {
            Prefetch(node - (level * LinkSize));
        }
    }

    /// <summary>A hint to the CPU to start loading <paramref name="node"/>'s first line (its level-0 link and key); 0 is ignored.</summary>
    internal unsafe void Prefetch(long node)
    {
        // Slabs are mostly large arrays, which the GC does not move; were one moved, the stale address would only waste the hint.
        if (node != 0 && Sse.IsSupported)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref _arena.At(node)));
        }
    }

    /// <summary>The level-<paramref name="level"/> successor of <paramref name="node"/> (acquire), or 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal long NextAt(long node, int level) => Volatile.Read(ref LinkRef(node, level));

    /// <summary>The first node whose key is &gt;= (userKey, trailer), or 0. Fills <paramref name="prev"/> (if not empty) with the
    /// last node &lt; target at each level below the current height.</summary>
    internal long FindGreaterOrEqual(ReadOnlySpan<byte> userKey, ulong trailer, Span<long> prev)
    {
        var node = _head;
        var level = Volatile.Read(ref _maxHeight) - 1;

        // A node already found >= target one level up: meeting it again needs no comparison.
        long knownNotLess = 0;
        while (true)
        {
            var next = NextAt(node, level);
            if (next != 0 && next != knownNotLess && CompareNode(next, userKey, trailer) < 0)
            {
                node = next;
                continue;
            }

            if (!prev.IsEmpty)
            {
                prev[level] = node;
            }

            if (level == 0)
            {
                return next;
            }

            knownNotLess = next;
            level--;
        }
    }

    /// <summary>The last node whose key is &lt; (userKey, trailer), or <see cref="Head"/> if there is none.</summary>
    internal long FindLessThan(ReadOnlySpan<byte> userKey, ulong trailer)
    {
        var node = _head;
        var level = Volatile.Read(ref _maxHeight) - 1;
        long knownNotLess = 0;
        while (true)
        {
            var next = NextAt(node, level);
            if (next != 0 && next != knownNotLess && CompareNode(next, userKey, trailer) < 0)
            {
                node = next;
                continue;
            }

            if (level == 0)
            {
                return node;
            }

            knownNotLess = next;
            level--;
        }
    }

    /// <summary>The last node, or <see cref="Head"/> if the list is empty.</summary>
    internal long FindLast()
    {
        var node = _head;
        var level = Volatile.Read(ref _maxHeight) - 1;
        while (true)
        {
            var next = NextAt(node, level);
            if (next != 0)
            {
                node = next;
                continue;
            }

            if (level == 0)
            {
                return node;
            }

            level--;
        }
    }

    /// <summary>
    /// Estimates how many entries have a user key in [<paramref name="start"/>, <paramref name="end"/>) without walking
    /// them. Each node of level L stands for about 4^L nodes of level 0, so the range is measured at the highest level
    /// where it holds at least <see cref="EstimateSampleNodes"/> nodes (that count times 4^L), or counted exactly at level 0
    /// when it is that small. Work is bounded: the descent to <paramref name="start"/> plus a few dozen nodes per level.
    /// The relative error is about 1/sqrt(<see cref="EstimateSampleNodes"/>) plus the nodes at the range's two ends.
    /// </summary>
    internal long EstimateCount(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end)
    {
        var seek = InternalKey.PackTrailer(InternalKey.MaxSequence, InternalKey.KindForSeek);
        var node = _head;
        var level = Volatile.Read(ref _maxHeight) - 1;
        while (true)
        {
            // Advance to the last node before start at this level, then count this level's nodes in the range.
            var next = NextAt(node, level);
            while (next != 0 && CompareNode(next, start, seek) < 0)
            {
                node = next;
                next = NextAt(node, level);
            }

            long count = 0;
            while (next != 0 && count < EstimateMaxNodesPerLevel && CompareNode(next, end, seek) < 0)
            {
                count++;
                next = NextAt(next, level);
            }

            if (count >= EstimateSampleNodes || level == 0)
            {
                return count << (BranchingBits * level);
            }

            level--;
        }
    }

    /// <summary>Compares node's internal key with the internal key (userKey, trailer) without materialising the latter.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int CompareNode(long node, ReadOnlySpan<byte> userKey, ulong trailer)
    {
        var key = KeyOf(node);
        var c = Bytewise.Compare(key[..^InternalKey.TrailerSize], userKey);
        if (c != 0)
        {
            return c;
        }

        var nodeTrailer = BinaryPrimitives.ReadUInt64LittleEndian(key[^InternalKey.TrailerSize..]);
        return nodeTrailer > trailer ? -1 : nodeTrailer < trailer ? 1 : 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref long LinkRef(long node, int level)
        => ref Unsafe.As<byte, long>(ref Unsafe.Subtract(ref _arena.At(node), level * LinkSize));

    private int RandomHeight()
    {
        // xorshift64*: the high bits are the good ones; 2 bits per level, 11 promotions at most.
        _rngState ^= _rngState >> 12;
        _rngState ^= _rngState << 25;
        _rngState ^= _rngState >> 27;
        var bits = (_rngState * 0x2545F4914F6CDD1DUL) >> 32;

        var height = 1;
        while (height < MaxHeight && (bits & ((1UL << BranchingBits) - 1)) == 0)
        {
            height++;
            bits >>= BranchingBits;
        }

        return height;
    }
}
