using EFCore.Lsm.Engine;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Migrations.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;

namespace EFCore.Lsm.Tests.Metadata.Catalog;

/// <summary>
/// Damaged records of the catalog keyspace (the header, the migration state, history records) raise the provider's typed
/// stored-data error naming the record and keyspace 0, never an exception of the MessagePack package.
/// </summary>
public sealed class CatalogRecordReaderTests
{
    public static TheoryData<string> Records => ["state", "history", "header"];

    [Theory]
    [MemberData(nameof(Records))]
    public void Damaged_or_truncated_record_bytes_raise_only_the_typed_stored_data_error_naming_the_record(string record)
    {
        var (valid, decode, name) = Record(record);
        var random = new Random(11);
        for (var i = 0; i < 400; i++)
        {
            var damaged = valid.ToArray();
            damaged[random.Next(damaged.Length)] ^= (byte)(1 + random.Next(255));
            var truncated = valid.AsSpan(0, random.Next(valid.Length)).ToArray();
            foreach (var bytes in new[] { damaged, truncated })
            {
                try
                {
                    decode(bytes);
                }
                catch (LsmStoredDataException e)
                {
                    Assert.Contains(name, e.Message);
                    Assert.Contains("keyspace 0", e.Message);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Records))]
    public void Bytes_the_package_refuses_are_reported_as_the_damaged_record_not_as_the_package_s_exception(string record)
    {
        var (_, decode, name) = Record(record);

        // Failed before for the state and history records: EndOfStreamException, MessagePackSerializationException and
        // ArgumentOutOfRangeException of the package escaped from their decoders.
        foreach (var bytes in new byte[][] { [], [0x81], [0x81, 0x01], [0x81, 0x01, 0xc1], [0x91, 0x01], [0x81, 0x01, 0xdb, 0xff, 0xff, 0xff, 0xff] })
        {
            var error = Assert.ThrowsAny<LsmStoredDataException>(() => decode(bytes));
            Assert.Contains(name, error.Message);
        }
    }

    private static (byte[] Valid, Action<byte[]> Decode, string Name) Record(string record) => record switch
    {
        "state" => (
            new MigrationState("20250101000001_Initial", Down: false, MigrationPhase.Committed, [(5, 7)], [3, 4]).Encode(),
            bytes => MigrationState.Decode(bytes),
            "(0, 4)"),
        "history" => (
            HistoryRecord.Encode("10.0.14"),
            bytes => HistoryRecord.Decode("20250101000001_Initial", bytes),
            "(0, 3, '20250101000001_Initial')"),
        _ => (LsmCatalog.EncodeHeader(9), LoadWithHeader, "(0, 0)"),
    };

    private static void LoadWithHeader(byte[] header)
    {
        using var store = new EngineKeyValueStore(LsmDatabase.Open("/db", new LsmOptions { FileSystem = new MemoryFileSystem() }));
        var batch = new LsmConditionalBatch();
        batch.Put(CatalogKeys.Header(), header);
        store.Commit(batch, sync: false);
        using var view = store.OpenView();
        LsmCatalog.Load(view);
    }
}
