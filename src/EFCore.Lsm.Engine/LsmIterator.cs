using System.Buffers;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;
using EFCore.Lsm.Engine.Util;

namespace EFCore.Lsm.Engine;

/// <summary>
/// A cursor over the user-visible contents of the database at one snapshot, in ascending bytewise key order, within
/// optional bounds (lower inclusive, upper exclusive). For each user key only its newest version at the snapshot counts,
/// and a key whose newest version is a deletion is not shown.
/// <para>
/// <see cref="Key"/> and <see cref="Value"/> are valid until the next positioning call or <see cref="Dispose"/>; copy
/// them to keep them. An iterator is not thread-safe: use it from one thread at a time. Dispose it: it pins the files,
/// memtables and snapshot it reads.
/// </para>
/// </summary>
public sealed class LsmIterator : IDisposable
{
    // Values larger than this are not kept in the reusable value buffer once smaller values follow, so one huge value
    // does not pin a huge buffer for the iterator's lifetime.
    private const int LargeValueBufferSize = 1 << 20;

    /// <summary>
    /// Entries of one user key skipped in a row before a scan reseeks over the rest of them instead of stepping
    /// (RocksDB's max_sequential_skip_in_iterations): a hot key with thousands of versions then costs one seek, not
    /// thousands of steps, while the common case of a few versions never pays for a seek.
    /// </summary>
    internal const int DefaultMaxSequentialSkip = 16;

    private readonly IInternalIterator _input;
    private readonly ulong _sequence;
    private readonly byte[]? _lowerBound;
    private readonly byte[]? _upperBound;
    private readonly IDisposable? _resources;
    private readonly int _maxSequentialSkip;

    // Forward: _input is positioned at the newest visible entry of the current key, and Key/Value read from it.
    // Reverse: _input is positioned before every entry of the current key, which lives in _savedKey/_savedValue.
    private bool _reverse;
    private bool _valid;
    private bool _disposed;

    // The current key while moving backward, the key being skipped while moving forward.
    private byte[] _savedKey = [];
    private int _savedKeyLength;
    private byte[] _savedValue = [];
    private int _savedValueLength;

    // The user key of the run of skipped entries a scan is counting.
    private byte[] _runKey = [];
    private int _runKeyLength;

    // The previous reseek target of the running scan.
    private byte[] _lastTarget = [];
    private int _lastTargetLength;

    // Scratch for building internal seek keys.
    private byte[] _seekKey = [];

    internal LsmIterator(
        IInternalIterator input,
        ulong sequence,
        byte[]? lowerBound,
        byte[]? upperBound,
        IDisposable? resources,
        int maxSequentialSkip = DefaultMaxSequentialSkip)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequentialSkip, 1);
        _maxSequentialSkip = maxSequentialSkip;
        _input = input;
        _sequence = Math.Min(sequence, InternalKey.MaxSequence);
        _lowerBound = lowerBound;
        _upperBound = upperBound;
        _resources = resources;
    }

    /// <summary>Whether the iterator is positioned on an entry.</summary>
    public bool Valid
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _valid;
        }
    }

    /// <summary>The current user key; valid until the next positioning call.</summary>
    public ReadOnlySpan<byte> Key
    {
        get
        {
            ThrowIfNotValid();
            return _reverse ? _savedKey.AsSpan(0, _savedKeyLength) : InternalKey.UserKey(_input.Key);
        }
    }

    /// <summary>The current value; valid until the next positioning call.</summary>
    public ReadOnlySpan<byte> Value
    {
        get
        {
            ThrowIfNotValid();
            return _reverse ? _savedValue.AsSpan(0, _savedValueLength) : _input.Value;
        }
    }

    /// <summary>Positions at the first key (at or after the lower bound).</summary>
    public void SeekToFirst()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_lowerBound is not null)
        {
            SeekForward(_lowerBound);
            return;
        }

        _valid = false;
        _reverse = false;
        _input.SeekToFirst();
        FindNextUserEntry(skipping: false);
    }

    /// <summary>Positions at the last key (before the upper bound).</summary>
    public void SeekToLast()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _valid = false;
        _reverse = true;
        if (_upperBound is not null)
        {
            PositionBeforeUpperBound();
        }
        else
        {
            _input.SeekToLast();
        }

        FindPrevUserEntry();
    }

    /// <summary>Positions at the first key &gt;= <paramref name="key"/> (and within the bounds).</summary>
    public void Seek(ReadOnlySpan<byte> key)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_lowerBound is not null && key.SequenceCompareTo(_lowerBound) < 0)
        {
            key = _lowerBound;
        }

        SeekForward(key);
    }

    /// <summary>Positions at the last key &lt;= <paramref name="key"/> (and within the bounds).</summary>
    public void SeekForPrev(ReadOnlySpan<byte> key)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _valid = false;
        _reverse = true;
        if (_upperBound is not null && key.SequenceCompareTo(_upperBound) >= 0)
        {
            PositionBeforeUpperBound();
        }
        else
        {
            // (key, 0, Delete) has the smallest trailer, so it is the last internal key of this user key: the last
            // entry <= it is the oldest version of the last user key <= key.
            _input.SeekForPrev(BuildSeekKey(key, 0, ValueKind.Delete));
        }

        FindPrevUserEntry();
    }

    /// <summary>Moves to the next key. Throws if not <see cref="Valid"/>.</summary>
    public void Next()
    {
        ThrowIfNotValid();
        if (_reverse)
        {
            // _input sits just before the current key's entries and _savedKey holds the key: step into those entries
            // and let the skipping scan pass over them.
            _reverse = false;
            _valid = false;
            if (_input.Valid)
            {
                _input.Next();
            }
            else
            {
                _input.SeekToFirst();
            }
        }
        else
        {
            // _input sits on the current key's visible entry: remember the key so its older versions are skipped.
            SaveKey(InternalKey.UserKey(_input.Key));
            _valid = false;
            _input.Next();
        }

        FindNextUserEntry(skipping: true);
    }

    /// <summary>Moves to the previous key. Throws if not <see cref="Valid"/>.</summary>
    public void Prev()
    {
        ThrowIfNotValid();
        if (!_reverse)
        {
            // _input sits on the current key's newest visible entry; only newer, invisible versions of the same key
            // can precede it. Back out of the key entirely, to the reverse invariant.
            SaveKey(InternalKey.UserKey(_input.Key));
            _valid = false;
            _reverse = true;
            for (var skipped = 0; ; skipped++)
            {
                if (skipped == _maxSequentialSkip)
                {
                    PositionBefore(SavedKey);
                }
                else
                {
                    _input.Prev();
                }

                if (!_input.Valid)
                {
                    return;
                }

                if (Bytewise.Compare(UserKeyOf(_input.Key), SavedKey) < 0)
                {
                    break;
                }
            }
        }

        _valid = false;
        FindPrevUserEntry();
    }

    /// <summary>Releases the input iterators and whatever pins the snapshot, files and memtables.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _valid = false;
        ReturnBuffer(ref _savedKey);
        ReturnBuffer(ref _savedValue);
        ReturnBuffer(ref _seekKey);
        ReturnBuffer(ref _runKey);
        ReturnBuffer(ref _lastTarget);
        _savedKeyLength = 0;
        _savedValueLength = 0;
        try
        {
            _input.Dispose();
        }
        finally
        {
            _resources?.Dispose();
        }
    }

    private ReadOnlySpan<byte> SavedKey => _savedKey.AsSpan(0, _savedKeyLength);

    private void SeekForward(ReadOnlySpan<byte> key)
    {
        _valid = false;
        _reverse = false;

        // (key, snapshot, KindForSeek) sorts before every version of key visible at the snapshot and after the
        // invisible newer ones.
        _input.Seek(BuildSeekKey(key, _sequence, InternalKey.KindForSeek));
        FindNextUserEntry(skipping: false);
    }

    /// <summary>Positions _input at the last entry whose user key is below the upper bound (or makes it invalid).</summary>
    private void PositionBeforeUpperBound() => PositionBefore(_upperBound);

    /// <summary>Positions _input at the last entry whose user key is below <paramref name="userKey"/> (or makes it invalid).</summary>
    private void PositionBefore(ReadOnlySpan<byte> userKey)
    {
        // (key, max, KindForSeek) is the smallest internal key with that user key.
        _input.Seek(BuildSeekKey(userKey, InternalKey.MaxSequence, InternalKey.KindForSeek));
        if (_input.Valid)
        {
            _input.Prev();

            // A writer may have added a newer version of userKey (sorting before the entry the seek found) between the
            // seek and the step back; it is invisible at this iterator's sequence, so step over it and any like it.
            while (_input.Valid && Bytewise.Compare(UserKeyOf(_input.Key), userKey) >= 0)
            {
                _input.Prev();
            }
        }
        else
        {
            _input.SeekToLast();
        }
    }

    /// <summary>
    /// Moving forward from the entry _input is on, finds the first user key whose newest visible entry is a value.
    /// With <paramref name="skipping"/>, entries of user keys &lt;= _savedKey are passed over. Stops at the upper bound.
    /// </summary>
    private void FindNextUserEntry(bool skipping)
    {
        var upper = _upperBound;

        // Consecutive skipped entries whose user key is _runKey.
        var runLength = 0;
        var reseeked = false;
        while (_input.Valid)
        {
            var internalKey = _input.Key;
            var userKey = UserKeyOf(internalKey);
            if (upper is not null && Bytewise.Compare(userKey, upper) >= 0)
            {
                break;
            }

            if (InternalKey.Sequence(internalKey) <= _sequence)
            {
                if (InternalKey.Kind(internalKey) == ValueKind.Delete)
                {
                    // Everything older than this tombstone for the same key is hidden.
                    SaveKey(userKey);
                    skipping = true;
                }
                else if (!skipping || Bytewise.Compare(userKey, SavedKey) > 0)
                {
                    _valid = true;
                    return;
                }
            }

            // This entry is skipped: invisible, a tombstone, or hidden by a newer version.
            if (runLength > 0 && userKey.SequenceEqual(RunKey))
            {
                runLength++;
            }
            else
            {
                SaveRunKey(userKey);
                runLength = 1;
            }

            if (runLength > _maxSequentialSkip)
            {
                runLength = 0;
                // Either every remaining version of the key is hidden, so go past its last possible internal key
                // (key, 0, Delete), or the run so far is versions newer than the snapshot, so go to the newest visible one.
                var target = skipping && RunKey.SequenceEqual(SavedKey)
                    ? BuildSeekKey(RunKey, 0, ValueKind.Delete)
                    : BuildSeekKey(RunKey, _sequence, InternalKey.KindForSeek);
                CheckReseekProgress(target, forward: true, ref reseeked);
                _input.Seek(target);
                continue;
            }

            _input.Next();
        }

        _valid = false;
    }

    /// <summary>
    /// Moving backward from the entry _input is on, finds the previous user key whose newest visible entry is a value
    /// and saves it in _savedKey/_savedValue, leaving _input before all of that key's entries. Stops at the lower bound.
    /// </summary>
    private void FindPrevUserEntry()
    {
        var lower = _lowerBound;

        // The kind of the newest visible entry seen so far for the key in _savedKey; Delete means "no candidate".
        var candidateKind = ValueKind.Delete;

        // Consecutive entries whose user key is _runKey, and whether any of them is visible.
        var runLength = 0;
        var runHasVisible = false;
        var reseeked = false;
        while (_input.Valid)
        {
            var internalKey = _input.Key;
            var userKey = UserKeyOf(internalKey);
            if (lower is not null && Bytewise.Compare(userKey, lower) < 0)
            {
                break;
            }

            var visible = InternalKey.Sequence(internalKey) <= _sequence;
            if (visible)
            {
                if (candidateKind != ValueKind.Delete && Bytewise.Compare(userKey, SavedKey) < 0)
                {
                    // Moved past every entry of the candidate key, so the candidate is its newest visible version.
                    break;
                }

                candidateKind = InternalKey.Kind(internalKey);
                if (candidateKind == ValueKind.Put)
                {
                    SaveKey(userKey);
                    SaveValue(_input.Value);
                }
            }

            if (runLength > 0 && userKey.SequenceEqual(RunKey))
            {
                runLength++;
            }
            else
            {
                SaveRunKey(userKey);
                runLength = 1;
                runHasVisible = false;
            }

            runHasVisible |= visible;
            if (runLength > _maxSequentialSkip)
            {
                // Backward scans meet a key's versions oldest first. Rather than stepping through the rest, read the
                // newest visible version directly (if the key has any visible version it has been met: the oldest
                // versions are the visible ones), then step back over all of the key's entries at once.
                runLength = 0;
                if (runHasVisible)
                {
                    _input.Seek(BuildSeekKey(RunKey, _sequence, InternalKey.KindForSeek));
                    if (!_input.Valid || !UserKeyOf(_input.Key).SequenceEqual(RunKey))
                    {
                        throw new LsmCorruptionException(
                            "(database iterator)", -1, "a visible version met while scanning backward is missing when seeking forward");
                    }

                    candidateKind = InternalKey.Kind(_input.Key);
                    if (candidateKind == ValueKind.Put)
                    {
                        SaveKey(RunKey);
                        SaveValue(_input.Value);
                    }
                }

                CheckReseekProgress(BuildSeekKey(RunKey, InternalKey.MaxSequence, InternalKey.KindForSeek), forward: false, ref reseeked);
                PositionBefore(RunKey);
                continue;
            }

            _input.Prev();
        }

        _valid = candidateKind == ValueKind.Put;
        if (!_valid)
        {
            _savedKeyLength = 0;
            _savedValueLength = 0;
        }
    }

    private ReadOnlySpan<byte> UserKeyOf(ReadOnlySpan<byte> internalKey)
    {
        if (!InternalKey.IsWellFormed(internalKey))
        {
            ThrowMalformed(internalKey);
        }

        return InternalKey.UserKey(internalKey);
    }

    private static void ThrowMalformed(ReadOnlySpan<byte> internalKey)
        => throw new LsmCorruptionException("(database iterator)", -1, $"malformed internal key {InternalKey.Describe(internalKey)}");

    private ReadOnlySpan<byte> BuildSeekKey(ReadOnlySpan<byte> userKey, ulong sequence, ValueKind kind)
    {
        var length = userKey.Length + InternalKey.TrailerSize;
        EnsureCapacity(ref _seekKey, length);
        InternalKey.Write(_seekKey, userKey, sequence, kind);
        return _seekKey.AsSpan(0, length);
    }

    private void SaveKey(ReadOnlySpan<byte> userKey)
    {
        EnsureCapacity(ref _savedKey, userKey.Length);
        userKey.CopyTo(_savedKey);
        _savedKeyLength = userKey.Length;
    }

    /// <summary>
    /// Within one scan, reseek targets strictly increase (forward) or decrease (backward) when the input is ordered.
    /// Checking that is what guarantees a scan over misordered input (a bug or undetected damage below) ends with an
    /// error instead of looping forever.
    /// </summary>
    private void CheckReseekProgress(ReadOnlySpan<byte> target, bool forward, ref bool reseeked)
    {
        if (reseeked)
        {
            var c = InternalKey.Compare(target, _lastTarget.AsSpan(0, _lastTargetLength));
            if (forward ? c <= 0 : c >= 0)
            {
                throw new LsmCorruptionException(
                    "(database iterator)", -1, $"input is not in internal-key order near {InternalKey.Describe(target)}");
            }
        }

        reseeked = true;
        EnsureCapacity(ref _lastTarget, target.Length);
        target.CopyTo(_lastTarget);
        _lastTargetLength = target.Length;
    }

    private ReadOnlySpan<byte> RunKey => _runKey.AsSpan(0, _runKeyLength);

    private void SaveRunKey(ReadOnlySpan<byte> userKey)
    {
        EnsureCapacity(ref _runKey, userKey.Length);
        userKey.CopyTo(_runKey);
        _runKeyLength = userKey.Length;
    }

    private void SaveValue(ReadOnlySpan<byte> value)
    {
        if (_savedValue.Length > LargeValueBufferSize && value.Length <= LargeValueBufferSize / 4)
        {
            ReturnBuffer(ref _savedValue);
        }

        EnsureCapacity(ref _savedValue, value.Length);
        value.CopyTo(_savedValue);
        _savedValueLength = value.Length;
    }

    private static void EnsureCapacity(ref byte[] buffer, int length)
    {
        if (buffer.Length >= length)
        {
            return;
        }

        var target = Math.Min(Array.MaxLength, Math.Max(length, Math.Max(64L, buffer.Length * 2L)));
        var grown = ArrayPool<byte>.Shared.Rent((int)target);
        ReturnBuffer(ref buffer);
        buffer = grown;
    }

    private static void ReturnBuffer(ref byte[] buffer)
    {
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        buffer = [];
    }

    private void ThrowIfNotValid()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_valid)
        {
            throw new InvalidOperationException("The iterator is not positioned on an entry.");
        }
    }
}
