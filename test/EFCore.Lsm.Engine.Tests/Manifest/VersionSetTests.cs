using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Manifest;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Tests.Reliability;
using EFCore.Lsm.Engine.Tests.TestUtilities;

namespace EFCore.Lsm.Engine.Tests.Manifest;

public class VersionSetTests
{
    [Theory]
    [InlineData(FaultMode.DiskFull)]
    [InlineData(FaultMode.IOError)]
    public void After_a_failed_manifest_append_nothing_is_appended_to_it_again(object mode)
    {
        // Found by the fault sweep (seed 22, DiskFull at a manifest append): a compaction's edit was half written when the
        // disk filled, and a flush on another thread appended its own edit after the half record before the database
        // noticed the error, so the manifest had a checksum failure in its middle and the database never reopened.
        var fs = FaultRun.NewFileSystem();
        using (var versions = new VersionSet(fs, FaultRun.DbPath))
        {
            versions.CreateNew(logNumber: 3);
            versions.Recover();
            versions.LogAndApply(Edit(versions, 10, "a"));

            fs.FailAt(FaultOp.Append, DbFileKind.Manifest, 1, (FaultMode)mode);
            Assert.ThrowsAny<IOException>(() => versions.LogAndApply(Edit(versions, 11, "b")));
            fs.Heal();

            // The racing edit: refused, and nothing reaches the file.
            var manifest = Path.Combine(FaultRun.DbPath, versions.ManifestName!);
            var length = fs.Inner.ReadAllBytes(manifest).Length;
            Assert.Throws<LsmException>(() => versions.LogAndApply(Edit(versions, 12, "c")));
            Assert.Equal(length, fs.Inner.ReadAllBytes(manifest).Length);
        }

        // The manifest still reads: it ends in a torn tail, the state before the failed edit.
        using var reopened = new VersionSet(fs, FaultRun.DbPath);
        reopened.Recover();
        Assert.Equal([10UL], reopened.Current.Files[0].Select(f => f.Number));
    }

    private static VersionEdit Edit(VersionSet versions, ulong number, string key)
    {
        versions.MarkFileNumberUsed(number);
        var edit = new VersionEdit();
        var internalKey = InternalKey.Create(System.Text.Encoding.ASCII.GetBytes(key), number, ValueKind.Put);
        edit.NewFiles.Add((0, new FileMetadata(number, 1000, internalKey, internalKey, number, number)));
        return edit;
    }
}
