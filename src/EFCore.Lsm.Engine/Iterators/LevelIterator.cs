using System.Diagnostics;
using EFCore.Lsm.Engine.Format;

namespace EFCore.Lsm.Engine.Iterators;

/// <summary>
/// Concatenates the files of one level (L1 and deeper), whose internal-key ranges are sorted and do not overlap, into a
/// single iterator. Files are opened lazily through <c>openFile</c> and only one is open at a time: moving to another
/// file hands the previous one to <c>openFile</c>, which re-targets it (no allocation per file switch, which random
/// seeks over a level hit nearly every time) or disposes it; running off either end closes the last one. Files that turn out empty are
/// skipped in both directions.
/// </summary>
internal sealed class LevelIterator : IInternalIterator
{
    private readonly IReadOnlyList<byte[]> _largestKeys;
    private readonly Func<int, IInternalIterator?, IInternalIterator> _openFile;

    private IInternalIterator? _file;
    private int _fileIndex = -1;
    private bool _disposed;

    /// <param name="smallestKeys">Per file, its smallest internal key (checked against the largest keys in debug builds).</param>
    /// <param name="largestKeys">Per file, its largest internal key; ascending across files.</param>
    /// <param name="openFile">Opens an iterator over file <c>i</c>; the level iterator disposes it.</param>
    public LevelIterator(IReadOnlyList<byte[]> smallestKeys, IReadOnlyList<byte[]> largestKeys, Func<int, IInternalIterator> openFile)
        : this(smallestKeys, largestKeys, Reopen(openFile))
    {
    }

    /// <param name="smallestKeys">Per file, its smallest internal key (checked against the largest keys in debug builds).</param>
    /// <param name="largestKeys">Per file, its largest internal key; ascending across files.</param>
    /// <param name="openFile">
    /// Opens an iterator over file <c>i</c>, given the iterator of the file being left (or null). It owns that iterator:
    /// it returns it re-targeted at file <c>i</c>, or disposes it (also when it throws). The level iterator disposes
    /// the one returned.
    /// </param>
    public LevelIterator(
        IReadOnlyList<byte[]> smallestKeys, IReadOnlyList<byte[]> largestKeys, Func<int, IInternalIterator?, IInternalIterator> openFile)
    {
        ArgumentNullException.ThrowIfNull(smallestKeys);
        ArgumentNullException.ThrowIfNull(largestKeys);
        ArgumentNullException.ThrowIfNull(openFile);
        if (smallestKeys.Count != largestKeys.Count)
        {
            throw new ArgumentException(
                $"{smallestKeys.Count} smallest keys but {largestKeys.Count} largest keys; there must be one of each per file.");
        }

        AssertSortedAndDisjoint(smallestKeys, largestKeys);
        _largestKeys = largestKeys;
        _openFile = openFile;
    }

    public int FileCount => _largestKeys.Count;

    /// <summary>The index of the open file, or -1 when none is open.</summary>
    public int CurrentFileIndex => _file is null ? -1 : _fileIndex;

    public bool Valid => _file is not null && _file.Valid;

    public ReadOnlySpan<byte> Key => CurrentFile.Key;

    public ReadOnlySpan<byte> Value => CurrentFile.Value;

    private IInternalIterator CurrentFile
    {
        get
        {
            if (_file is null || !_file.Valid)
            {
                throw new InvalidOperationException("The iterator is not positioned on an entry.");
            }

            return _file;
        }
    }

    public void SeekToFirst()
    {
        if (FileCount == 0)
        {
            CloseFile();
            return;
        }

        OpenFile(0).SeekToFirst();
        SkipEmptyFilesForward();
    }

    public void SeekToLast()
    {
        if (FileCount == 0)
        {
            CloseFile();
            return;
        }

        OpenFile(FileCount - 1).SeekToLast();
        SkipEmptyFilesBackward();
    }

    public void Seek(ReadOnlySpan<byte> internalKey)
    {
        var index = FindFile(internalKey);
        if (index == FileCount)
        {
            // Every file ends before the target.
            CloseFile();
            return;
        }

        OpenFile(index).Seek(internalKey);
        SkipEmptyFilesForward();
    }

    public void PrepareSeek(ReadOnlySpan<byte> internalKey)
    {
        var index = FindFile(internalKey);
        if (index < FileCount)
        {
            OpenFile(index).PrepareSeek(internalKey);
        }
    }

    public void Next()
    {
        CurrentFile.Next();
        SkipEmptyFilesForward();
    }

    public void Prev()
    {
        CurrentFile.Prev();
        SkipEmptyFilesBackward();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        CloseFile();
    }

    [Conditional("DEBUG")]
    private static void AssertSortedAndDisjoint(IReadOnlyList<byte[]> smallestKeys, IReadOnlyList<byte[]> largestKeys)
    {
        for (var i = 0; i < largestKeys.Count; i++)
        {
            Debug.Assert(InternalKey.Compare(smallestKeys[i], largestKeys[i]) <= 0, $"File {i} has smallest key > largest key.");
            Debug.Assert(
                i == 0 || InternalKey.Compare(largestKeys[i - 1], smallestKeys[i]) <= 0, $"File {i} overlaps file {i - 1}.");
        }
    }

    /// <summary>The first file whose largest key is &gt;= <paramref name="internalKey"/>, or <see cref="FileCount"/>.</summary>
    private int FindFile(ReadOnlySpan<byte> internalKey)
    {
        int low = 0, high = FileCount;
        while (low < high)
        {
            var mid = low + ((high - low) / 2);
            if (InternalKey.Compare(_largestKeys[mid], internalKey) < 0)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }

    private void SkipEmptyFilesForward()
    {
        while (_file is not null && !_file.Valid)
        {
            if (_fileIndex + 1 >= FileCount)
            {
                CloseFile();
                return;
            }

            OpenFile(_fileIndex + 1).SeekToFirst();
        }
    }

    private void SkipEmptyFilesBackward()
    {
        while (_file is not null && !_file.Valid)
        {
            if (_fileIndex == 0)
            {
                CloseFile();
                return;
            }

            OpenFile(_fileIndex - 1).SeekToLast();
        }
    }

    private IInternalIterator OpenFile(int index)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_file is not null && _fileIndex == index)
        {
            return _file;
        }

        var previous = _file;
        _file = null;
        _fileIndex = -1;
        var file = _openFile(index, previous) ?? throw new InvalidOperationException($"openFile returned null for file {index}.");
        _file = file;
        _fileIndex = index;
        return file;
    }

    private static Func<int, IInternalIterator?, IInternalIterator> Reopen(Func<int, IInternalIterator> openFile)
    {
        ArgumentNullException.ThrowIfNull(openFile);
        return (index, previous) =>
        {
            previous?.Dispose();
            return openFile(index);
        };
    }

    private void CloseFile()
    {
        var file = _file;
        _file = null;
        _fileIndex = -1;
        file?.Dispose();
    }
}
