using MessagePack;
using EFCore.Lsm.RowEncoding.Internal;
using EFCore.Lsm.Metadata.Internal;

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
        var fields = CatalogRecordReader.Read(value, CatalogRecordReader.MigrationState, new StateFields(), ReadField);
        if (fields.Id is null || fields.Phase is not (MigrationPhase.Building or MigrationPhase.Committed))
        {
            throw CatalogRecordReader.Damaged(
                CatalogRecordReader.MigrationState, $"is malformed (migration id {fields.Id ?? "missing"}, phase {(int)fields.Phase})");
        }

        return new MigrationState(fields.Id, fields.Down, fields.Phase, fields.Reserved, fields.Garbage);
    }

    private static bool ReadField(ref MessagePackReader reader, uint field, StateFields state)
    {
        switch (field)
        {
            case MigrationIdField:
                state.Id = reader.ReadStrictString();
                return true;
            case DownField:
                state.Down = reader.ReadBoolean();
                return true;
            case PhaseField:
                state.Phase = (MigrationPhase)reader.ReadInt32();
                return true;
            case ReservedField:
                var ranges = reader.ReadArrayHeader();
                for (var r = 0; r < ranges; r++)
                {
                    CatalogRecordReader.ExpectArray(ref reader, 2, "a reserved keyspace range");
                    state.Reserved.Add((reader.ReadInt64(), reader.ReadInt64()));
                }

                return true;
            case GarbageField:
                var count = reader.ReadArrayHeader();
                for (var g = 0; g < count; g++)
                {
                    state.Garbage.Add(reader.ReadInt64());
                }

                return true;
            default:
                return false;
        }
    }

    /// <summary>The fields of the state record as they are read.</summary>
    private sealed class StateFields
    {
        public string? Id { get; set; }

        public bool Down { get; set; }

        public MigrationPhase Phase { get; set; }

        public List<(long From, long To)> Reserved { get; } = [];

        public List<long> Garbage { get; } = [];
    }
}
