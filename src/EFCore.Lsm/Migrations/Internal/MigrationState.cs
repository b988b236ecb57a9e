using MessagePack;
using EFCore.Lsm.RowEncoding.Internal;
using EFCore.Lsm.Storage;

namespace EFCore.Lsm.Migrations.Internal;

/// <summary>Where a migration is: building its new keyspaces (the catalog is still the old one), or switched and cleaning up.</summary>
internal enum MigrationPhase
{
    /// <summary>The catalog is the one before the migration; everything in the reserved keyspaces is unreferenced.</summary>
    Building = 0,

    /// <summary>The catalog switched; the garbage keyspaces are no longer referenced and are being deleted.</summary>
    Committed = 1,
}

/// <summary>
/// The record (0, 4) of the migration in progress (docs/migrations.md, "Crash safety"): which migration, which way, the
/// keyspace ids it reserved for what it builds, and, once the catalog switched, the keyspaces to delete. A crash in
/// <see cref="MigrationPhase.Building"/> is rolled back by deleting the reserved keyspaces; one in
/// <see cref="MigrationPhase.Committed"/> is finished by deleting the garbage.
/// </summary>
internal sealed record MigrationState(
    string MigrationId, bool Down, MigrationPhase Phase, IReadOnlyList<(long From, long To)> Reserved, IReadOnlyList<long> Garbage)
{
    // Field numbers of the record's MessagePack map. Written to disk: do not change.
    private const uint MigrationIdField = 1;
    private const uint DownField = 2;
    private const uint PhaseField = 3;
    private const uint ReservedField = 4;
    private const uint GarbageField = 5;

    public byte[] Encode()
    {
        using var buffer = new PooledByteBufferWriter();
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(5);
        writer.Write(MigrationIdField);
        writer.WriteStrictString(MigrationId);
        writer.Write(DownField);
        writer.Write(Down);
        writer.Write(PhaseField);
        writer.Write((long)Phase);
        writer.Write(ReservedField);
        writer.WriteArrayHeader((uint)Reserved.Count);
        foreach (var (from, to) in Reserved)
        {
            writer.WriteArrayHeader(2);
            writer.Write(from);
            writer.Write(to);
        }

        writer.Write(GarbageField);
        writer.WriteArrayHeader((uint)Garbage.Count);
        foreach (var id in Garbage)
        {
            writer.Write(id);
        }

        writer.Flush();
        return buffer.ToArray();
    }

    public static MigrationState Decode(ReadOnlySpan<byte> value)
    {
        var reader = new MessagePackReader(value.ToArray());
        string? id = null;
        var down = false;
        var phase = MigrationPhase.Building;
        var reserved = new List<(long, long)>();
        var garbage = new List<long>();
        var fields = reader.ReadMapHeader();
        for (var i = 0; i < fields; i++)
        {
            switch (reader.ReadUInt32())
            {
                case MigrationIdField:
                    id = reader.ReadStrictString();
                    break;
                case DownField:
                    down = reader.ReadBoolean();
                    break;
                case PhaseField:
                    phase = (MigrationPhase)reader.ReadInt32();
                    break;
                case ReservedField:
                    var ranges = reader.ReadArrayHeader();
                    for (var r = 0; r < ranges; r++)
                    {
                        if (reader.ReadArrayHeader() != 2)
                        {
                            throw new LsmStoredDataException("The migration state record is damaged: a reserved range is malformed.");
                        }

                        reserved.Add((reader.ReadInt64(), reader.ReadInt64()));
                    }

                    break;
                case GarbageField:
                    var count = reader.ReadArrayHeader();
                    for (var g = 0; g < count; g++)
                    {
                        garbage.Add(reader.ReadInt64());
                    }

                    break;
                default:
                    reader.SkipValue();
                    break;
            }
        }

        if (id is null || phase is not (MigrationPhase.Building or MigrationPhase.Committed))
        {
            throw new LsmStoredDataException("The migration state record is damaged.");
        }

        return new MigrationState(id, down, phase, reserved, garbage);
    }
}
