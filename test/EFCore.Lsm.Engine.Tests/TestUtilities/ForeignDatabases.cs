using System.Text;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Util;
using EFCore.Lsm.Engine.Wal;

namespace EFCore.Lsm.Engine.Tests.TestUtilities;

/// <summary>
/// Folders laid out the way LevelDB and RocksDB leave them after a first put and a close: CURRENT, a manifest whose edit
/// names their comparator (LevelDB's log framing is the same as ours, its edits are not), a WAL, LOCK, LOG and, for
/// RocksDB, IDENTITY and OPTIONS. Opening one must be refused as not ours, never read as a damaged database of ours.
/// </summary>
internal static class ForeignDatabases
{
    public static void WriteLevelDb(string folder)
    {
        Directory.CreateDirectory(folder);
        WriteManifest(Path.Combine(folder, "MANIFEST-000002"), "leveldb.BytewiseComparator");
        File.WriteAllText(Path.Combine(folder, "CURRENT"), "MANIFEST-000002\n");
        WriteWal(Path.Combine(folder, "000003.log"));
        File.WriteAllBytes(Path.Combine(folder, "LOCK"), []);
        File.WriteAllText(Path.Combine(folder, "LOG"), "2026/01/01-00:00:00.000000 7f Recovering log #1\n");
    }

    public static void WriteRocksDb(string folder)
    {
        Directory.CreateDirectory(folder);
        WriteManifest(Path.Combine(folder, "MANIFEST-000005"), "leveldb.BytewiseComparator");
        File.WriteAllText(Path.Combine(folder, "CURRENT"), "MANIFEST-000005\n");
        File.WriteAllText(Path.Combine(folder, "IDENTITY"), "6f1c9a52-8e4b-4f4e-9d2c-0b7a3e5d1c2f");
        File.WriteAllText(Path.Combine(folder, "OPTIONS-000007"), "[Version]\n  rocksdb_version=7.8.3\n");
        WriteWal(Path.Combine(folder, "000004.log"));
        File.WriteAllBytes(Path.Combine(folder, "LOCK"), []);
        File.WriteAllText(Path.Combine(folder, "LOG"), "2026/01/01-00:00:00.000000 7f RocksDB version: 7.8.3\n");
    }

    /// <summary>A LevelDB-style version edit (comparator, log number, previous log number, next file, last sequence; no end tag).</summary>
    private static void WriteManifest(string path, string comparator)
    {
        var edit = new List<byte>();
        void Put(ulong value)
        {
            Span<byte> buffer = stackalloc byte[10];
            edit.AddRange(buffer[..Varint.Write(buffer, value)].ToArray());
        }

        Put(1);
        Put((ulong)comparator.Length);
        edit.AddRange(Encoding.ASCII.GetBytes(comparator));
        Put(2);
        Put(3);
        Put(9);
        Put(0);
        Put(3);
        Put(4);
        Put(4);
        Put(1);
        WriteRecords(path, [.. edit]);
    }

    private static void WriteWal(string path)
    {
        // LevelDB's batch header (sequence 1, one entry) and a put of "a" = "1".
        WriteRecords(path, [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, (byte)'a', 1, (byte)'1']);
    }

    private static void WriteRecords(string path, byte[] record)
    {
        using var log = new LogWriter(LocalFileSystem.Instance.CreateFile(path));
        log.AddRecord(record);
        log.Sync();
    }
}
