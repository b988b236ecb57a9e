using EFCore.Lsm.Engine.Commit;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;
using EFCore.Lsm.Engine.Manifest;

namespace EFCore.Lsm.Engine;

public sealed partial class LsmDatabase
{
    /// <summary>
    /// Checks the conditions of a commit group's batches, in queue order, and marks each batch whose condition fails
    /// with <see cref="LsmConditionFailedException"/> (it is then left out of the group's WAL record). Runs on the write
    /// leader before the record is written, so the state it reads is exactly the state the record is applied to: what
    /// is committed (nothing else can commit meanwhile) plus the accepted batches of the group before each member.
    /// </summary>
    private void CheckConditions(List<PendingWrite> group)
    {
        var state = AcquireReadState();
        try
        {
            GroupOverlay? overlay = null;
            for (var m = 0; m < group.Count; m++)
            {
                var batch = group[m].Batch!;
                if (batch.ConditionCount > 0)
                {
                    var index = 0;
                    foreach (var condition in batch.GetConditions())
                    {
                        if (!Holds(state, condition, overlay, out var decidedByGroup))
                        {
                            Interlocked.Increment(ref _statistics.ConditionFailures);
                            if (decidedByGroup)
                            {
                                Interlocked.Increment(ref _statistics.ConditionFailuresWithinGroup);
                            }

                            group[m].Error = new LsmConditionFailedException(index, condition.Kind, condition.Key.ToArray());
                            break;
                        }

                        index++;
                    }
                }

                if (group[m].Error is null && m < group.Count - 1)
                {
                    // Later members see this batch's writes as if committed (they will be, in the same record, before them).
                    (overlay ??= new GroupOverlay()).Add(batch);
                }
            }
        }
        finally
        {
            state.Unref();
        }
    }

    /// <summary>
    /// Whether <paramref name="condition"/> holds; <paramref name="decidedByGroup"/> tells that an earlier batch of the
    /// same group (not the committed state) decided it.
    /// </summary>
    private bool Holds(ReadState state, WriteCondition condition, GroupOverlay? overlay, out bool decidedByGroup)
    {
        var key = condition.Key;
        decidedByGroup = true;
        switch (condition.Kind)
        {
            case WriteConditionKind.Absent when overlay?.TryGetKind(key) is { } kind:
                return kind == ValueKind.Delete;
            case WriteConditionKind.Present when overlay?.TryGetKind(key) is { } kind:
                return kind == ValueKind.Put;
            case WriteConditionKind.UnchangedSince when overlay?.TryGetKind(key) is not null:
                return false;
            case WriteConditionKind.RangeUnchangedSince when overlay?.AnyInRange(key, condition.Upper) == true:
                return false;
        }

        decidedByGroup = false;
        return condition.Kind switch
        {
            WriteConditionKind.Absent => !IsLive(state, key),
            WriteConditionKind.Present => IsLive(state, key),
            WriteConditionKind.UnchangedSince => !ChangedSince(state, key, upper: default, point: true, condition.Sequence),
            WriteConditionKind.RangeUnchangedSince => !ChangedSince(state, key, condition.Upper, point: false, condition.Sequence),
            _ => throw new InvalidOperationException($"Unknown write condition kind {condition.Kind}."),
        };
    }

    /// <summary>Whether the newest version of <paramref name="key"/> in <paramref name="state"/> is a live value.</summary>
    private bool IsLive(ReadState state, ReadOnlySpan<byte> key)
    {
        const ulong latest = InternalKey.MaxSequence;
        if (state.Mem.TryGet(key, latest, out var kind, out _))
        {
            return kind == ValueKind.Put;
        }

        foreach (var imm in state.Immutables)
        {
            if (imm.TryGet(key, latest, out kind, out _))
            {
                return kind == ValueKind.Put;
            }
        }

        if (state.Version.TryGet(_tableCache, key, latest, out kind, out _, out var pin))
        {
            pin?.Release();
            return kind == ValueKind.Put;
        }

        return false;
    }

    /// <summary>
    /// Whether any entry (put or delete) newer than <paramref name="sequence"/> exists for <paramref name="lower"/> (when
    /// <paramref name="point"/>) or for any key in [<paramref name="lower"/>, <paramref name="upper"/>). Only the memtables
    /// and tables whose largest sequence is newer than <paramref name="sequence"/> can hold one, so a check against a
    /// recent snapshot reads little more than the memtables.
    /// </summary>
    private bool ChangedSince(ReadState state, ReadOnlySpan<byte> lower, ReadOnlySpan<byte> upper, bool point, ulong sequence)
    {
        if (sequence >= LastSequence)
        {
            return false;
        }

        var seek = new byte[lower.Length + InternalKey.TrailerSize];
        InternalKey.Write(seek, lower, InternalKey.MaxSequence, InternalKey.KindForSeek);
        if (state.Mem.LargestSequence > sequence && HasNewerEntry(state.Mem.NewIterator(), seek, lower, upper, point, sequence))
        {
            return true;
        }

        foreach (var imm in state.Immutables)
        {
            if (imm.LargestSequence > sequence && HasNewerEntry(imm.NewIterator(), seek, lower, upper, point, sequence))
            {
                return true;
            }
        }

        foreach (var files in state.Version.Files)
        {
            foreach (var file in files)
            {
                if (file.LargestSequence <= sequence || !Overlaps(file, lower, upper, point))
                {
                    continue;
                }

                if (point)
                {
                    using var lease = _tableCache.Acquire(file.Number, file.Size);
                    if (!lease.Reader.MayContain(lower))
                    {
                        continue;
                    }
                }

                if (HasNewerEntry(_tableCache.NewIterator(file.Number, file.Size, fillCache: true), seek, lower, upper, point, sequence))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool HasNewerEntry(
        IInternalIterator iterator, byte[] seek, ReadOnlySpan<byte> lower, ReadOnlySpan<byte> upper, bool point, ulong sequence)
    {
        using (iterator)
        {
            for (iterator.Seek(seek); iterator.Valid; iterator.Next())
            {
                var userKey = InternalKey.UserKey(iterator.Key);
                if (point ? !userKey.SequenceEqual(lower) : userKey.SequenceCompareTo(upper) >= 0)
                {
                    return false;
                }

                if (InternalKey.Sequence(iterator.Key) > sequence)
                {
                    return true;
                }
            }

            return false;
        }
    }

    private static bool Overlaps(FileMetadata file, ReadOnlySpan<byte> lower, ReadOnlySpan<byte> upper, bool point)
    {
        var smallest = InternalKey.UserKey(file.Smallest);
        var largest = InternalKey.UserKey(file.Largest);
        return point
            ? smallest.SequenceCompareTo(lower) <= 0 && largest.SequenceCompareTo(lower) >= 0
            : largest.SequenceCompareTo(lower) >= 0 && smallest.SequenceCompareTo(upper) < 0;
    }

    /// <summary>The keys written by a commit group's accepted batches so far, with the kind of each key's last write.</summary>
    private sealed class GroupOverlay
    {
        private readonly Dictionary<byte[], ValueKind> _keys = new(ByteArrayEqualityComparer.Instance);

        public void Add(WriteBatch batch)
        {
            var entries = batch.GetEnumerator();
            while (entries.MoveNext())
            {
                _keys[entries.Current.Key.ToArray()] = entries.Current.Kind;
            }
        }

        public ValueKind? TryGetKind(ReadOnlySpan<byte> key) =>
            _keys.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(key, out var kind) ? kind : null;

        public bool AnyInRange(ReadOnlySpan<byte> lower, ReadOnlySpan<byte> upper)
        {
            foreach (var key in _keys.Keys)
            {
                if (key.AsSpan().SequenceCompareTo(lower) >= 0 && key.AsSpan().SequenceCompareTo(upper) < 0)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Content equality for byte-array keys, with span lookups (no copy to probe).</summary>
    private sealed class ByteArrayEqualityComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly ByteArrayEqualityComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x is null ? y is null : y is not null && x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = new HashCode();
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
