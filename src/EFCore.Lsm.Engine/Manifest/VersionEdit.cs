using System.Buffers;
using System.Text;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Util;

namespace EFCore.Lsm.Engine.Manifest;

/// <summary>
/// One change to the set of live files, stored as one record of the manifest log: the version set replays edits in
/// order to rebuild the current version. Every field is optional. Encoding: a sequence of varint tags each followed by
/// its fields, ended by the End tag (docs/manifest_format.md).
/// </summary>
internal sealed class VersionEdit
{
    // Tags are on disk: do not renumber. See docs/manifest_format.md.
    internal const uint TagEnd = 0;
    internal const uint TagComparator = 1;
    internal const uint TagLogNumber = 2;
    internal const uint TagNextFileNumber = 3;
    internal const uint TagLastSequence = 4;
    internal const uint TagCompactPointer = 5;
    internal const uint TagDeletedFile = 6;
    internal const uint TagNewFile = 7;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Name of the user-key comparator the database was created with; checked on open.</summary>
    public string? ComparatorName { get; set; }

    /// <summary>WALs numbered below this are fully reflected in SSTables and can be deleted.</summary>
    public ulong? LogNumber { get; set; }

    /// <summary>The next unused file number.</summary>
    public ulong? NextFileNumber { get; set; }

    /// <summary>The largest sequence number used so far.</summary>
    public ulong? LastSequence { get; set; }

    /// <summary>Per level, the internal key where the next compaction of that level starts.</summary>
    public List<(int Level, byte[] Key)> CompactPointers { get; } = [];

    public List<(int Level, ulong Number)> DeletedFiles { get; } = [];

    public List<(int Level, FileMetadata File)> NewFiles { get; } = [];

    public void SetCompactPointer(int level, byte[] internalKey) => CompactPointers.Add((level, internalKey));

    public void DeleteFile(int level, ulong number) => DeletedFiles.Add((level, number));

    public void AddFile(int level, FileMetadata file) => NewFiles.Add((level, file));

    public byte[] Encode()
    {
        var writer = new ArrayBufferWriter<byte>(64);
        EncodeTo(writer);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Appends the encoded edit. Throws <see cref="InvalidOperationException"/> for values the decoder would reject.</summary>
    public void EncodeTo(IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Validate();
        if (ComparatorName is not null)
        {
            WriteVarint(writer, TagComparator);
            WriteSlice(writer, StrictUtf8.GetBytes(ComparatorName));
        }

        WriteOptional(writer, TagLogNumber, LogNumber);
        WriteOptional(writer, TagNextFileNumber, NextFileNumber);
        WriteOptional(writer, TagLastSequence, LastSequence);

        foreach (var (level, key) in CompactPointers)
        {
            WriteVarint(writer, TagCompactPointer);
            WriteVarint(writer, (uint)level);
            WriteSlice(writer, key);
        }

        foreach (var (level, number) in DeletedFiles)
        {
            WriteVarint(writer, TagDeletedFile);
            WriteVarint(writer, (uint)level);
            WriteVarint(writer, number);
        }

        foreach (var (level, file) in NewFiles)
        {
            WriteVarint(writer, TagNewFile);
            WriteVarint(writer, (uint)level);
            WriteVarint(writer, file.Number);
            WriteVarint(writer, (ulong)file.Size);
            WriteSlice(writer, file.Smallest);
            WriteSlice(writer, file.Largest);
            WriteVarint(writer, file.SmallestSequence);
            WriteVarint(writer, file.LargestSequence);
        }

        WriteVarint(writer, TagEnd);
    }

    /// <summary>
    /// Reads the comparator name when <paramref name="record"/> starts with one (tag 1), without decoding the rest: the
    /// first edit of a LevelDB or RocksDB manifest starts this way too, but the rest of it does not decode as ours, and
    /// "another engine's database" must be told apart from "a damaged database of ours".
    /// </summary>
    public static bool TryPeekComparatorName(ReadOnlySpan<byte> record, out string? name)
    {
        name = null;
        var n = Varint.TryRead32(record, out var tag);
        if (n <= 0 || tag != TagComparator)
        {
            return false;
        }

        var m = Varint.TryRead32(record[n..], out var length);
        if (m <= 0 || length > record.Length - n - m)
        {
            return false;
        }

        try
        {
            name = StrictUtf8.GetString(record.Slice(n + m, (int)length));
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>
    /// Decodes one manifest record. Anything malformed (unknown or repeated tag, truncated field, level outside
    /// 0..<see cref="ManifestConstants.NumLevels"/>-1, malformed internal key, bytes after the End tag) raises
    /// <see cref="LsmCorruptionException"/> naming <paramref name="fileName"/> and the record's <paramref name="offset"/>.
    /// </summary>
    public static VersionEdit Decode(ReadOnlySpan<byte> record, string fileName, long offset)
    {
        var reader = new FieldReader(record, fileName, offset);
        var edit = new VersionEdit();
        while (true)
        {
            if (reader.AtEnd)
            {
                throw reader.Corrupt("version edit ends without its End tag (truncated)");
            }

            var tagPosition = reader.Position;
            var tag = reader.ReadVarint32("tag");
            switch (tag)
            {
                case TagEnd:
                    if (!reader.AtEnd)
                    {
                        throw reader.Corrupt($"{record.Length - reader.Position} bytes after the End tag");
                    }

                    return edit;

                case TagComparator:
                    RequireUnset(edit.ComparatorName is not null, "comparator name", tagPosition, ref reader);
                    var nameBytes = reader.ReadSlice("comparator name");
                    try
                    {
                        edit.ComparatorName = StrictUtf8.GetString(nameBytes);
                    }
                    catch (DecoderFallbackException)
                    {
                        throw reader.Corrupt("comparator name is not valid UTF-8");
                    }

                    break;

                case TagLogNumber:
                    RequireUnset(edit.LogNumber.HasValue, "log number", tagPosition, ref reader);
                    edit.LogNumber = reader.ReadVarint64("log number");
                    break;

                case TagNextFileNumber:
                    RequireUnset(edit.NextFileNumber.HasValue, "next file number", tagPosition, ref reader);
                    edit.NextFileNumber = reader.ReadVarint64("next file number");
                    break;

                case TagLastSequence:
                    RequireUnset(edit.LastSequence.HasValue, "last sequence", tagPosition, ref reader);
                    edit.LastSequence = reader.ReadSequence("last sequence");
                    break;

                case TagCompactPointer:
                {
                    var level = reader.ReadLevel();
                    var key = reader.ReadInternalKey("compact pointer");
                    edit.CompactPointers.Add((level, key));
                    break;
                }

                case TagDeletedFile:
                {
                    var level = reader.ReadLevel();
                    edit.DeletedFiles.Add((level, reader.ReadVarint64("deleted file number")));
                    break;
                }

                case TagNewFile:
                {
                    var level = reader.ReadLevel();
                    var number = reader.ReadVarint64("file number");
                    var size = reader.ReadVarint64("file size");
                    if (size > long.MaxValue)
                    {
                        throw reader.Corrupt($"file size {size} out of range");
                    }

                    var smallest = reader.ReadInternalKey("smallest key");
                    var largest = reader.ReadInternalKey("largest key");
                    var smallestSequence = reader.ReadSequence("smallest sequence");
                    var largestSequence = reader.ReadSequence("largest sequence");
                    if (smallestSequence > largestSequence)
                    {
                        throw reader.Corrupt($"file #{number} has smallest sequence {smallestSequence} above largest {largestSequence}");
                    }

                    edit.NewFiles.Add((level, new FileMetadata(number, (long)size, smallest, largest, smallestSequence, largestSequence)));
                    break;
                }

                default:
                    throw reader.Corrupt($"unknown version edit tag {tag} at byte {tagPosition}");
            }
        }
    }

    public override string ToString()
    {
        var sb = new StringBuilder("VersionEdit {");
        if (ComparatorName is not null)
        {
            sb.Append(" Comparator: ").Append(ComparatorName);
        }

        if (LogNumber.HasValue)
        {
            sb.Append(" LogNumber: ").Append(LogNumber.Value);
        }

        if (NextFileNumber.HasValue)
        {
            sb.Append(" NextFileNumber: ").Append(NextFileNumber.Value);
        }

        if (LastSequence.HasValue)
        {
            sb.Append(" LastSequence: ").Append(LastSequence.Value);
        }

        foreach (var (level, key) in CompactPointers)
        {
            sb.Append(" CompactPointer: L").Append(level).Append(' ').Append(InternalKey.Describe(key));
        }

        foreach (var (level, number) in DeletedFiles)
        {
            sb.Append(" DeletedFile: L").Append(level).Append(" #").Append(number);
        }

        foreach (var (level, file) in NewFiles)
        {
            sb.Append(" AddFile: L").Append(level).Append(' ').Append(file);
        }

        return sb.Append(" }").ToString();
    }

    private static void RequireUnset(bool isSet, string what, int tagPosition, ref FieldReader reader)
    {
        if (isSet)
        {
            throw reader.Corrupt($"{what} appears twice (second at byte {tagPosition})");
        }
    }

    private void Validate()
    {
        static void Check(bool ok, string message)
        {
            if (!ok)
            {
                throw new InvalidOperationException("Invalid version edit: " + message);
            }
        }

        static bool IsLevel(int level) => level is >= 0 and < ManifestConstants.NumLevels;

        Check(LastSequence is null or <= InternalKey.MaxSequence, "LastSequence exceeds 56 bits.");
        foreach (var (level, key) in CompactPointers)
        {
            Check(IsLevel(level), $"compact pointer level {level} is outside 0..{ManifestConstants.NumLevels - 1}.");
            Check(key is not null && InternalKey.IsWellFormed(key), "compact pointer is not an internal key.");
        }

        foreach (var (level, _) in DeletedFiles)
        {
            Check(IsLevel(level), $"deleted file level {level} is outside 0..{ManifestConstants.NumLevels - 1}.");
        }

        foreach (var (level, file) in NewFiles)
        {
            Check(IsLevel(level), $"new file level {level} is outside 0..{ManifestConstants.NumLevels - 1}.");
            Check(file is not null, "new file is null.");
            Check(file!.Size >= 0, $"file #{file.Number} has a negative size.");
            Check(
                InternalKey.IsWellFormed(file.Smallest) && InternalKey.IsWellFormed(file.Largest),
                $"file #{file.Number} has a malformed key.");
            Check(file.SmallestSequence <= file.LargestSequence && file.LargestSequence <= InternalKey.MaxSequence,
                $"file #{file.Number} has an invalid sequence range.");
        }
    }

    private static void WriteOptional(IBufferWriter<byte> writer, uint tag, ulong? value)
    {
        if (value.HasValue)
        {
            WriteVarint(writer, tag);
            WriteVarint(writer, value.Value);
        }
    }

    private static void WriteVarint(IBufferWriter<byte> writer, ulong value)
    {
        var span = writer.GetSpan(Varint.MaxLength64);
        writer.Advance(Varint.Write(span, value));
    }

    private static void WriteSlice(IBufferWriter<byte> writer, ReadOnlySpan<byte> bytes)
    {
        WriteVarint(writer, (uint)bytes.Length);
        var span = writer.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        writer.Advance(bytes.Length);
    }

    /// <summary>Bounds-checked reads over an edit record; every failure becomes a corruption error.</summary>
    private ref struct FieldReader
    {
        private readonly ReadOnlySpan<byte> _record;
        private readonly string _fileName;
        private readonly long _offset;

        public FieldReader(ReadOnlySpan<byte> record, string fileName, long offset)
        {
            _record = record;
            _fileName = fileName;
            _offset = offset;
            Position = 0;
        }

        public int Position { get; private set; }

        public readonly bool AtEnd => Position >= _record.Length;

        public readonly LsmCorruptionException Corrupt(string reason) => new(_fileName, _offset, "manifest record: " + reason);

        public ulong ReadVarint64(string what)
        {
            var n = Varint.TryRead(_record[Position..], out var value);
            if (n == 0)
            {
                throw Corrupt($"truncated or malformed {what} at byte {Position}");
            }

            Position += n;
            return value;
        }

        public uint ReadVarint32(string what)
        {
            var n = Varint.TryRead32(_record[Position..], out var value);
            if (n == 0)
            {
                throw Corrupt($"truncated or malformed {what} at byte {Position}");
            }

            Position += n;
            return value;
        }

        public ulong ReadSequence(string what)
        {
            var value = ReadVarint64(what);
            if (value > InternalKey.MaxSequence)
            {
                throw Corrupt($"{what} {value} exceeds 56 bits");
            }

            return value;
        }

        public int ReadLevel()
        {
            var at = Position;
            var level = ReadVarint32("level");
            if (level >= ManifestConstants.NumLevels)
            {
                throw Corrupt($"level {level} at byte {at} is outside 0..{ManifestConstants.NumLevels - 1}");
            }

            return (int)level;
        }

        public ReadOnlySpan<byte> ReadSlice(string what)
        {
            var at = Position;
            var length = ReadVarint32(what + " length");
            if (length > (uint)(_record.Length - Position))
            {
                throw Corrupt($"{what} of {length} bytes at byte {at} runs past the end of the record");
            }

            var slice = _record.Slice(Position, (int)length);
            Position += (int)length;
            return slice;
        }

        public byte[] ReadInternalKey(string what)
        {
            var at = Position;
            var key = ReadSlice(what);
            if (!InternalKey.IsWellFormed(key))
            {
                throw Corrupt($"{what} at byte {at} is not a well-formed internal key");
            }

            return key.ToArray();
        }
    }
}
