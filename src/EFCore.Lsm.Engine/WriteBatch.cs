using System.Buffers.Binary;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Util;

namespace EFCore.Lsm.Engine;

/// <summary>
/// A group of puts and deletes applied atomically: after a crash either all of them are visible or none. Entries apply
/// in the order they were added, so a later entry for the same key wins.
/// <para>
/// The batch is kept in its on-disk form, the payload of one WAL record (docs/log_format.md, "Batch payload"): an 8-byte
/// little-endian starting sequence number, a 4-byte little-endian entry count, then per entry a kind byte, a varint32 key
/// length and the key, and for a put a varint32 value length and the value. Entry <c>i</c> gets sequence
/// <c>start + i</c>.
/// </para>
/// <para>
/// A batch may also carry conditions (<see cref="RequireAbsent"/>, <see cref="RequirePresent"/>,
/// <see cref="RequireUnchangedSince"/>, <see cref="RequireRangeUnchangedSince"/>): the commit path checks them against the
/// latest committed state, in commit order, immediately before the batch is logged, so "check, then write" is atomic
/// without any lock held by the caller. When one fails, nothing of the batch is written and <see cref="LsmDatabase.Write"/>
/// throws <see cref="LsmConditionFailedException"/>. Conditions are not part of the WAL record.
/// </para>
/// <para>Not thread-safe. The database copies nothing: do not change a batch while a write that uses it is running.</para>
/// </summary>
public sealed class WriteBatch
{
    /// <summary>Largest key accepted (1 MiB): keys are compared often and copied into index blocks and memtables.</summary>
    public const int MaxKeySize = 1 << 20;

    /// <summary>Largest value accepted (64 MiB).</summary>
    public const int MaxValueSize = 64 << 20;

    internal const int HeaderSize = 12;

    private const int CountOffset = 8;
    private const int InitialCapacity = 64;

    private byte[] _rep;
    private int _length;
    private int _count;

    // Conditions, encoded back to back: kind byte, sequence (8 bytes LE), varint32 key length + key, and for a range an
    // upper-bound length + bytes. Kept apart from _rep, which is exactly the WAL payload.
    private byte[]? _conditions;
    private int _conditionsLength;
    private int _conditionCount;

    /// <summary>Creates an empty batch; reuse it with <see cref="Clear"/>.</summary>
    public WriteBatch()
    {
        _rep = new byte[InitialCapacity];
        _length = HeaderSize;
    }

    private WriteBatch(byte[] rep, int length, int count)
    {
        _rep = rep;
        _length = length;
        _count = count;
    }

    /// <summary>Number of puts and deletes in the batch.</summary>
    public int Count => _count;

    /// <summary>
    /// After a <see cref="LsmDatabase.Write"/> of the batch returned: the sequence number of its last entry (a snapshot at
    /// or after it sees the whole batch); for a batch of conditions only, the last sequence committed when they were
    /// checked. 0 before the batch was written and after <see cref="Clear"/>.
    /// </summary>
    public ulong CommittedSequence { get; internal set; }

    /// <summary>Number of conditions the commit path checks before writing the batch.</summary>
    public int ConditionCount => _conditionCount;

    /// <summary>Bytes of the encoded batch (the size of its WAL record payload).</summary>
    public long ApproximateSize => _length;

    /// <summary>The sequence number of the first entry; the write path assigns it just before logging.</summary>
    internal ulong Sequence
    {
        get => BinaryPrimitives.ReadUInt64LittleEndian(_rep);
        set => BinaryPrimitives.WriteUInt64LittleEndian(_rep, value);
    }

    /// <summary>The encoded batch, exactly the WAL record payload. Valid until the batch is next changed.</summary>
    internal ReadOnlySpan<byte> Contents => _rep.AsSpan(0, _length);

    /// <summary>Adds or replaces <paramref name="key"/> with <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException">The key exceeds <see cref="MaxKeySize"/> or the value <see cref="MaxValueSize"/>.</exception>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        CheckKey(key);
        if (value.Length > MaxValueSize)
        {
            throw new ArgumentException(
                $"The value is {value.Length} bytes; the largest value allowed is {MaxValueSize} bytes (WriteBatch.MaxValueSize).",
                nameof(value));
        }

        var size = 1L + Varint.Length((uint)key.Length) + key.Length + Varint.Length((uint)value.Length) + value.Length;
        var span = Reserve(size);
        span[0] = (byte)ValueKind.Put;
        var p = 1 + Varint.Write(span[1..], (uint)key.Length);
        key.CopyTo(span[p..]);
        p += key.Length;
        p += Varint.Write(span[p..], (uint)value.Length);
        value.CopyTo(span[p..]);
        SetCount(_count + 1);
    }

    /// <summary>Removes <paramref name="key"/> (writes a tombstone; deleting a missing key is not an error).</summary>
    /// <exception cref="ArgumentException">The key exceeds <see cref="MaxKeySize"/>.</exception>
    public void Delete(ReadOnlySpan<byte> key)
    {
        CheckKey(key);
        var size = 1L + Varint.Length((uint)key.Length) + key.Length;
        var span = Reserve(size);
        span[0] = (byte)ValueKind.Delete;
        var p = 1 + Varint.Write(span[1..], (uint)key.Length);
        key.CopyTo(span[p..]);
        SetCount(_count + 1);
    }

    /// <summary>
    /// Commits the batch only if no live value of <paramref name="key"/> exists at commit time (it was never written, or
    /// its newest version is a delete). For inserts that must not overwrite.
    /// </summary>
    public void RequireAbsent(ReadOnlySpan<byte> key) => AddCondition(WriteConditionKind.Absent, key, default, 0);

    /// <summary>Commits the batch only if <paramref name="key"/> has a live value at commit time.</summary>
    public void RequirePresent(ReadOnlySpan<byte> key) => AddCondition(WriteConditionKind.Present, key, default, 0);

    /// <summary>
    /// Commits the batch only if no write (put or delete) of <paramref name="key"/> has committed after sequence
    /// <paramref name="sequence"/> (a <see cref="Snapshot.Sequence"/>): optimistic concurrency on one key. Hold the
    /// snapshot until the write returns: it is what keeps compaction from dropping the newer versions this check looks for.
    /// </summary>
    public void RequireUnchangedSince(ReadOnlySpan<byte> key, ulong sequence)
        => AddCondition(WriteConditionKind.UnchangedSince, key, default, sequence);

    /// <summary>
    /// Commits the batch only if no write of any key in [<paramref name="lower"/>, <paramref name="upper"/>) has committed
    /// after <paramref name="sequence"/>: no key in the range was added, changed or deleted (phantom protection for a
    /// range read at that snapshot). The check visits the range's entries newer than the snapshot in the memtables and in
    /// the tables written since, so keep such ranges small. Hold the snapshot as for <see cref="RequireUnchangedSince"/>.
    /// </summary>
    public void RequireRangeUnchangedSince(ReadOnlySpan<byte> lower, ReadOnlySpan<byte> upper, ulong sequence)
    {
        CheckKey(upper);
        if (lower.SequenceCompareTo(upper) >= 0)
        {
            throw new ArgumentException("The range's lower bound must sort before its upper bound.", nameof(upper));
        }

        AddCondition(WriteConditionKind.RangeUnchangedSince, lower, upper, sequence);
    }

    /// <summary>Removes every entry and condition (and resets the sequence), keeping the buffers for reuse.</summary>
    public void Clear()
    {
        _rep.AsSpan(0, HeaderSize).Clear();
        _length = HeaderSize;
        _count = 0;
        _conditionsLength = 0;
        _conditionCount = 0;
        CommittedSequence = 0;
    }

    /// <summary>Appends the entries of <paramref name="other"/> after this batch's (group commit merges followers this way).</summary>
    internal void Append(WriteBatch other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var entriesLength = other._length - HeaderSize;
        var otherCount = other._count;
        var span = Reserve(entriesLength);

        // Read other._rep only after Reserve: when other == this the array may just have been replaced.
        other._rep.AsSpan(HeaderSize, entriesLength).CopyTo(span);
        SetCount(_count + otherCount);
    }

    /// <summary>Walks the entries in order without allocating.</summary>
    internal Enumerator GetEnumerator() => new(Contents[HeaderSize..]);

    /// <summary>Walks the conditions in the order they were added, without allocating.</summary>
    internal ConditionEnumerator GetConditions() => new(_conditions.AsSpan(0, _conditionsLength));

    /// <summary>
    /// Copies a batch read from a WAL record after checking that it is well formed: a header, exactly <c>count</c>
    /// well-formed entries and nothing after them. Throws <see cref="LsmCorruptionException"/> naming
    /// <paramref name="fileName"/> and <paramref name="offset"/> (the WAL record's offset) otherwise.
    /// </summary>
    internal static WriteBatch FromContents(ReadOnlySpan<byte> contents, string fileName, long offset)
    {
        var count = Validate(contents, fileName, offset);
        var rep = new byte[Math.Max(contents.Length, InitialCapacity)];
        contents.CopyTo(rep);
        return new WriteBatch(rep, contents.Length, count);
    }

    /// <summary>
    /// Checks an encoded batch as <see cref="FromContents"/> does and returns its entry count, so recovery can walk a WAL
    /// record in place with <see cref="Enumerate"/> instead of copying it.
    /// </summary>
    internal static int Validate(ReadOnlySpan<byte> contents, string fileName, long offset)
    {
        if (contents.Length < HeaderSize)
        {
            throw new LsmCorruptionException(
                fileName, offset, $"write batch of {contents.Length} bytes is shorter than its {HeaderSize}-byte header");
        }

        var declared = BinaryPrimitives.ReadUInt32LittleEndian(contents[CountOffset..]);
        var p = HeaderSize;
        var found = 0L;
        while (p < contents.Length)
        {
            var kind = contents[p];
            if (kind > (byte)ValueKind.Put)
            {
                throw new LsmCorruptionException(fileName, offset, $"write batch entry {found} at byte {p} has unknown kind {kind}");
            }

            p++;
            p = SkipSlice(contents, p, MaxKeySize, "key", found, fileName, offset);
            if (kind == (byte)ValueKind.Put)
            {
                p = SkipSlice(contents, p, MaxValueSize, "value", found, fileName, offset);
            }

            found++;
        }

        if (found != declared)
        {
            throw new LsmCorruptionException(fileName, offset, $"write batch header says {declared} entries but it holds {found}");
        }

        return (int)found;
    }

    /// <summary>Walks the entries of an encoded batch that has passed <see cref="Validate"/> (or came from a batch).</summary>
    internal static Enumerator Enumerate(ReadOnlySpan<byte> validatedContents) => new(validatedContents[HeaderSize..]);

    /// <summary>The starting sequence number stored in an encoded batch's header.</summary>
    internal static ulong ReadSequence(ReadOnlySpan<byte> contents) => BinaryPrimitives.ReadUInt64LittleEndian(contents);

    /// <summary>The entry count stored in an encoded batch's header.</summary>
    internal static int ReadCount(ReadOnlySpan<byte> contents) => (int)BinaryPrimitives.ReadUInt32LittleEndian(contents[CountOffset..]);

    private static int SkipSlice(ReadOnlySpan<byte> contents, int p, int max, string what, long entry, string fileName, long offset)
    {
        var n = Varint.TryRead32(contents[p..], out var length);
        if (n == 0)
        {
            throw new LsmCorruptionException(fileName, offset, $"write batch entry {entry} has a malformed {what} length at byte {p}");
        }

        p += n;
        if (length > max || length > contents.Length - p)
        {
            throw new LsmCorruptionException(
                fileName,
                offset,
                $"write batch entry {entry} has a {what} length of {length} at byte {p - n}, beyond the record or the {max}-byte limit");
        }

        return p + (int)length;
    }

    private static void CheckKey(ReadOnlySpan<byte> key)
    {
        if (key.Length > MaxKeySize)
        {
            throw new ArgumentException(
                $"The key is {key.Length} bytes; the largest key allowed is {MaxKeySize} bytes (WriteBatch.MaxKeySize).",
                nameof(key));
        }
    }

    private void AddCondition(WriteConditionKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> upper, ulong sequence)
    {
        CheckKey(key);
        var size = 1 + 8 + Varint.Length((uint)key.Length) + key.Length
            + (kind == WriteConditionKind.RangeUnchangedSince ? Varint.Length((uint)upper.Length) + upper.Length : 0);
        var needed = _conditionsLength + size;
        if (_conditions is null || needed > _conditions.Length)
        {
            var grown = new byte[Math.Max(needed, Math.Max(InitialCapacity, (_conditions?.Length ?? 0) * 2))];
            _conditions?.AsSpan(0, _conditionsLength).CopyTo(grown);
            _conditions = grown;
        }

        var span = _conditions.AsSpan(_conditionsLength, size);
        span[0] = (byte)kind;
        BinaryPrimitives.WriteUInt64LittleEndian(span[1..], sequence);
        var p = 9 + Varint.Write(span[9..], (uint)key.Length);
        key.CopyTo(span[p..]);
        p += key.Length;
        if (kind == WriteConditionKind.RangeUnchangedSince)
        {
            p += Varint.Write(span[p..], (uint)upper.Length);
            upper.CopyTo(span[p..]);
        }

        _conditionsLength = needed;
        _conditionCount++;
    }

    private void SetCount(int count)
    {
        _count = count;
        BinaryPrimitives.WriteUInt32LittleEndian(_rep.AsSpan(CountOffset), (uint)count);
    }

    /// <summary>Grows the buffer (doubling) so <paramref name="size"/> more bytes fit, and returns them.</summary>
    private Span<byte> Reserve(long size)
    {
        var needed = _length + size;
        if (needed > _rep.Length)
        {
            if (needed > Array.MaxLength)
            {
                throw new InvalidOperationException(
                    $"The write batch would grow to {needed} bytes, beyond the {Array.MaxLength}-byte maximum; "
                    + "write it as several batches.");
            }

            var grown = new byte[Math.Min(Math.Max(needed, _rep.Length * 2L), Array.MaxLength)];
            _rep.AsSpan(0, _length).CopyTo(grown);
            _rep = grown;
        }

        var span = _rep.AsSpan(_length, (int)size);
        _length = (int)needed;
        return span;
    }

    /// <summary>Allocation-free cursor over batch entries.</summary>
    internal ref struct Enumerator
    {
        private ReadOnlySpan<byte> _remaining;
        private BatchEntry _current;

        internal Enumerator(ReadOnlySpan<byte> entries)
        {
            _remaining = entries;
            _current = default;
        }

        public readonly BatchEntry Current => _current;

        /// <summary>Lets <c>foreach</c> walk the result of <see cref="Enumerate"/> directly.</summary>
        public readonly Enumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_remaining.IsEmpty)
            {
                return false;
            }

            var input = _remaining;
            var kind = (ValueKind)input[0];
            var key = ReadSlice(ref input, 1);
            var value = kind == ValueKind.Put ? ReadSlice(ref input, 0) : default;
            _remaining = input;
            _current = new BatchEntry(kind, key, value);
            return true;
        }

        private static ReadOnlySpan<byte> ReadSlice(scoped ref ReadOnlySpan<byte> input, int skip)
        {
            var n = Varint.TryRead32(input[skip..], out var length);
            if (n == 0)
            {
                throw new InvalidOperationException("Malformed write batch: enumerate only validated contents.");
            }

            var start = skip + n;
            var slice = input.Slice(start, (int)length);
            input = input[(start + (int)length)..];
            return slice;
        }
    }
}

/// <summary>Allocation-free cursor over a batch's conditions.</summary>
internal ref struct ConditionEnumerator
{
    private ReadOnlySpan<byte> _remaining;

    internal ConditionEnumerator(ReadOnlySpan<byte> conditions)
    {
        _remaining = conditions;
        Current = default;
    }

    public WriteCondition Current { get; private set; }

    public readonly ConditionEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_remaining.IsEmpty)
        {
            return false;
        }

        var kind = (WriteConditionKind)_remaining[0];
        var sequence = BinaryPrimitives.ReadUInt64LittleEndian(_remaining[1..]);
        var p = 9 + Varint.TryRead32(_remaining[9..], out var keyLength);
        var key = _remaining.Slice(p, (int)keyLength);
        p += (int)keyLength;
        ReadOnlySpan<byte> upper = default;
        if (kind == WriteConditionKind.RangeUnchangedSince)
        {
            p += Varint.TryRead32(_remaining[p..], out var upperLength);
            upper = _remaining.Slice(p, (int)upperLength);
            p += (int)upperLength;
        }

        _remaining = _remaining[p..];
        Current = new WriteCondition(kind, key, upper, sequence);
        return true;
    }
}

/// <summary>One condition of a <see cref="WriteBatch"/>; the spans point into the batch.</summary>
internal readonly ref struct WriteCondition(WriteConditionKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> upper, ulong sequence)
{
    public WriteConditionKind Kind { get; } = kind;

    /// <summary>The key, or the range's inclusive lower bound.</summary>
    public ReadOnlySpan<byte> Key { get; } = key;

    /// <summary>The range's exclusive upper bound (<see cref="WriteConditionKind.RangeUnchangedSince"/> only).</summary>
    public ReadOnlySpan<byte> Upper { get; } = upper;

    /// <summary>The snapshot sequence of the "unchanged since" kinds.</summary>
    public ulong Sequence { get; } = sequence;
}

/// <summary>One entry of a <see cref="WriteBatch"/>; the spans point into the batch (or WAL record) being walked.</summary>
internal readonly ref struct BatchEntry
{
    public BatchEntry(ValueKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        Kind = kind;
        Key = key;
        Value = value;
    }

    public ValueKind Kind { get; }

    public ReadOnlySpan<byte> Key { get; }

    /// <summary>The value of a put; empty for a delete.</summary>
    public ReadOnlySpan<byte> Value { get; }
}
