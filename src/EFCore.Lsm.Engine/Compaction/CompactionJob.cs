using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;
using EFCore.Lsm.Engine.Manifest;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Table;

namespace EFCore.Lsm.Engine.Compaction;

/// <summary>
/// Merges a compaction's input files into new tables of the output level, dropping what no reader can see any more:
/// versions shadowed by a newer version that every live snapshot already sees, and tombstones that are older than every
/// snapshot when no deeper level holds their key. Output files are cut near <see cref="LsmOptions.TargetFileSize"/>,
/// only between two user keys, so one key's versions never straddle two files of a level. Output into the bottommost
/// level (no deeper level holds data) uses <see cref="TableOptions.BottommostCompression"/>, other levels
/// <see cref="TableOptions.Compression"/>, as RocksDB's bottommost_compression does.
/// </summary>
internal sealed class CompactionJob
{
    private readonly Compaction _compaction;
    private readonly IFileSystem _fs;
    private readonly string _dbPath;
    private readonly TableCache _tableCache;
    private readonly TableOptions _tableOptions;
    private readonly long _targetFileSize;
    private readonly ulong _smallestSnapshot;
    private readonly Func<ulong> _newFileNumber;
    private readonly Action<ulong> _registerOutput;

    public CompactionJob(
        Compaction compaction,
        IFileSystem fs,
        string dbPath,
        TableCache tableCache,
        TableOptions tableOptions,
        long targetFileSize,
        ulong smallestSnapshot,
        Func<ulong> newFileNumber,
        Action<ulong> registerOutput)
    {
        _compaction = compaction;
        _fs = fs;
        _dbPath = dbPath;
        _tableCache = tableCache;
        _tableOptions = tableOptions.WithCompression(
            compaction.IsBottommostOutput ? tableOptions.BottommostCompression : tableOptions.Compression);
        _targetFileSize = targetFileSize;
        _smallestSnapshot = smallestSnapshot;
        _newFileNumber = newFileNumber;
        _registerOutput = registerOutput;
    }

    public List<FileMetadata> Outputs { get; } = [];

    /// <summary>Every file number this job took, finished or not, so the caller can release them from "pending".</summary>
    public List<ulong> AllocatedFileNumbers { get; } = [];

    public long BytesRead { get; private set; }

    public long BytesWritten { get; private set; }

    public long EntriesDropped { get; private set; }

    /// <summary>Runs the merge; on failure deletes any partial outputs and rethrows.</summary>
    public void Run()
    {
        BytesRead = _compaction.InputBytes;
        var children = _compaction.AllInputs.Select(f => _tableCache.NewIterator(f.Number, f.Size, fillCache: false)).ToArray();
        OutputFile? output = null;
        try
        {
            using var input = new MergingIterator(children);
            var currentUserKey = new byte[64];
            var currentUserKeyLength = -1;
            var lastSequenceForKey = InternalKey.MaxSequence;
            for (input.SeekToFirst(); input.Valid; input.Next())
            {
                var key = input.Key;
                if (!InternalKey.IsWellFormed(key))
                {
                    throw new LsmCorruptionException("(compaction input)", -1, $"Malformed internal key {Convert.ToHexString(key)}.");
                }

                var userKey = InternalKey.UserKey(key);
                var sequence = InternalKey.Sequence(key);
                var newUserKey = currentUserKeyLength < 0 || !userKey.SequenceEqual(currentUserKey.AsSpan(0, currentUserKeyLength));
                if (newUserKey)
                {
                    if (currentUserKey.Length < userKey.Length)
                    {
                        currentUserKey = new byte[Math.Max(userKey.Length, currentUserKey.Length * 2)];
                    }

                    userKey.CopyTo(currentUserKey);
                    currentUserKeyLength = userKey.Length;
                    lastSequenceForKey = InternalKey.MaxSequence;

                    // Cut only between user keys, so a level never splits one key's versions across files.
                    if (output is not null && output.Builder.EstimatedFileSize >= _targetFileSize)
                    {
                        FinishOutput(output);
                        output = null;
                    }
                }

                bool drop;
                if (lastSequenceForKey <= _smallestSnapshot)
                {
                    // A newer version of this key is visible to every snapshot: nobody can read this one.
                    drop = true;
                }
                else
                {
                    drop = InternalKey.Kind(key) == ValueKind.Delete
                           && sequence <= _smallestSnapshot
                           && _compaction.IsBottommostForKey(userKey);
                }

                lastSequenceForKey = sequence;
                if (drop)
                {
                    EntriesDropped++;
                    continue;
                }

                output ??= OpenOutput();
                output.Builder.Add(key, input.Value);
            }

            if (output is not null)
            {
                FinishOutput(output);
                output = null;
            }
        }
        catch
        {
            output?.File.Dispose();
            if (output is not null)
            {
                _fs.TryDeleteFile(FileNames.TableFile(_dbPath, output.Number));
            }

            foreach (var file in Outputs)
            {
                _fs.TryDeleteFile(FileNames.TableFile(_dbPath, file.Number));
            }

            Outputs.Clear();
            throw;
        }
    }

    private OutputFile OpenOutput()
    {
        var number = _newFileNumber();
        AllocatedFileNumbers.Add(number);
        _registerOutput(number);
        var file = _fs.CreateFile(FileNames.TableFile(_dbPath, number));
        return new OutputFile(number, file, new TableBuilder(file, _tableOptions));
    }

    private void FinishOutput(OutputFile output)
    {
        var properties = output.Builder.Finish();
        output.File.Sync();
        var size = output.File.Length;
        output.File.Dispose();
        BytesWritten += size;
        Outputs.Add(new FileMetadata(output.Number, size, properties.SmallestKey, properties.LargestKey,
            properties.SmallestSequence, properties.LargestSequence));
    }

    private sealed record OutputFile(ulong Number, IWritableFile File, TableBuilder Builder);
}
