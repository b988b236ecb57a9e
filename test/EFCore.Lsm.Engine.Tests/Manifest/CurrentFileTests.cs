using EFCore.Lsm.Engine.Manifest;
using EFCore.Lsm.Engine.Storage;

namespace EFCore.Lsm.Engine.Tests.Manifest;

public class CurrentFileTests
{
    private static readonly string Dir = Path.Combine(Path.GetTempPath(), "lsm-current-test");

    [Fact]
    public void Write_then_read_names_the_manifest()
    {
        var fs = NewFileSystem();
        CurrentFile.Write(fs, Dir, 5, 6);
        Assert.Equal("MANIFEST-000005\n"u8.ToArray(), fs.ReadAllBytes(FileNames.CurrentFile(Dir)));
        Assert.Equal("MANIFEST-000005", CurrentFile.Read(fs, Dir));
        Assert.Equal("MANIFEST-000005", CurrentFile.Read(fs, Dir, out var number));
        Assert.Equal(5UL, number);

        // The temporary file is gone (renamed).
        Assert.DoesNotContain(fs.ListFiles(Dir), n => n.EndsWith(".dbtmp", StringComparison.Ordinal));

        CurrentFile.Write(fs, Dir, 1234567, 1234568);
        Assert.Equal("MANIFEST-1234567", CurrentFile.Read(fs, Dir, out number));
        Assert.Equal(1234567UL, number);
    }

    [Fact]
    public void Written_current_survives_a_crash()
    {
        var fs = NewFileSystem();
        CurrentFile.Write(fs, Dir, 2, 3);
        fs.SimulateCrash();
        Assert.Equal("MANIFEST-000002", CurrentFile.Read(fs, Dir));
    }

    [Fact]
    public void Crash_at_any_step_leaves_the_old_or_the_new_current()
    {
        // Count the steps of a clean switch, then fail (and crash) at each one in turn.
        var counting = new CrashingFileSystem(NewFileSystem(), failAt: int.MaxValue);
        CurrentFile.Write(counting, Dir, 4, 5);
        var steps = counting.Operations;
        Assert.True(steps >= 5, $"{steps} steps");

        for (var failAt = 0; failAt <= steps; failAt++)
        {
            var fs = NewFileSystem();
            CurrentFile.Write(fs, Dir, 4, 5);
            var crashing = new CrashingFileSystem(fs, failAt);
            if (failAt < steps)
            {
                Assert.Throws<IOException>(() => CurrentFile.Write(crashing, Dir, 9, 10));
            }
            else
            {
                CurrentFile.Write(crashing, Dir, 9, 10);
            }

            fs.SimulateCrash();
            var name = CurrentFile.Read(fs, Dir);
            Assert.True(name is "MANIFEST-000004" or "MANIFEST-000009", $"fail at step {failAt}: CURRENT names {name}");
            if (failAt == steps)
            {
                Assert.Equal("MANIFEST-000009", name);
            }
        }
    }

    [Fact]
    public void A_failed_write_removes_its_temporary_file()
    {
        var fs = NewFileSystem();
        CurrentFile.Write(fs, Dir, 4, 5);

        // Step 0 creates the temp file, 1 appends, 2 syncs; fail the sync.
        Assert.Throws<IOException>(() => CurrentFile.Write(new CrashingFileSystem(fs, failAt: 2), Dir, 9, 10));
        Assert.False(fs.FileExists(FileNames.TempFile(Dir, 10)));
        Assert.Equal("MANIFEST-000004", CurrentFile.Read(fs, Dir));
    }

    [Fact]
    public void The_crash_check_catches_a_rename_without_sync()
    {
        // Shows the crash test above has teeth: skipping the fsync before the rename loses CURRENT's content.
        var fs = NewFileSystem();
        using (var file = fs.CreateFile(FileNames.TempFile(Dir, 1)))
        {
            file.Append("MANIFEST-000001\n"u8);
        }

        fs.RenameFile(FileNames.TempFile(Dir, 1), FileNames.CurrentFile(Dir));
        fs.SyncDirectory(Dir);
        fs.SimulateCrash();
        Assert.Throws<LsmCorruptionException>(() => CurrentFile.Read(fs, Dir));
    }

    [Theory]
    [InlineData("")]
    [InlineData("MANIFEST-000001")]
    [InlineData("MANIFEST-000001\r")]
    [InlineData("MANIFEST-\n")]
    [InlineData("MANIFEST-x1\n")]
    [InlineData("000001.log\n")]
    [InlineData("CURRENT\n")]
    [InlineData("MANIFEST-000001\n\n")]
    [InlineData("MANIFEST-000001 \n")]
    [InlineData(" MANIFEST-000001\n")]
    [InlineData("MANIFEST-99999999999999999999999\n")]
    [InlineData("MANIFEST-000001\0\n")]
    public void Malformed_current_is_corruption(string content)
    {
        var fs = NewFileSystem();
        fs.WriteAllBytes(FileNames.CurrentFile(Dir), System.Text.Encoding.Latin1.GetBytes(content));
        var e = Assert.Throws<LsmCorruptionException>(() => CurrentFile.Read(fs, Dir));
        Assert.Equal("CURRENT", e.FileName);
        Assert.Equal(0, e.Offset);
    }

    [Fact]
    public void Oversized_or_missing_current_is_corruption()
    {
        var fs = NewFileSystem();
        Assert.Equal("CURRENT", Assert.Throws<LsmCorruptionException>(() => CurrentFile.Read(fs, Dir)).FileName);

        var big = new byte[10_000];
        Array.Fill(big, (byte)'7');
        fs.WriteAllBytes(FileNames.CurrentFile(Dir), [.. "MANIFEST-"u8, .. big, (byte)'\n']);
        Assert.Equal("CURRENT", Assert.Throws<LsmCorruptionException>(() => CurrentFile.Read(fs, Dir)).FileName);
    }

    [Fact]
    public void Leading_zeros_beyond_six_digits_are_accepted()
    {
        var fs = NewFileSystem();
        fs.WriteAllBytes(FileNames.CurrentFile(Dir), "MANIFEST-0000000042\n"u8);
        Assert.Equal("MANIFEST-0000000042", CurrentFile.Read(fs, Dir, out var number));
        Assert.Equal(42UL, number);
    }

    private static MemoryFileSystem NewFileSystem()
    {
        var fs = new MemoryFileSystem();
        fs.CreateDirectory(Dir);
        return fs;
    }

    /// <summary>Passes calls through to a file system and throws <see cref="IOException"/> at mutating step <c>failAt</c>.</summary>
    private sealed class CrashingFileSystem(IFileSystem inner, int failAt) : IFileSystem
    {
        public int Operations { get; private set; }

        public IWritableFile CreateFile(string path)
        {
            Step();
            return new File(this, inner.CreateFile(path));
        }

        public IRandomAccessFile OpenRandomAccess(string path) => inner.OpenRandomAccess(path);

        public bool FileExists(string path) => inner.FileExists(path);

        public bool DirectoryExists(string path) => inner.DirectoryExists(path);

        public void CreateDirectory(string path)
        {
            Step();
            inner.CreateDirectory(path);
        }

        public IReadOnlyList<string> ListFiles(string directory) => inner.ListFiles(directory);

        public void DeleteFile(string path) => inner.DeleteFile(path);

        public void DeleteDirectory(string path) => inner.DeleteDirectory(path);

        public void RenameFile(string source, string destination)
        {
            Step();
            inner.RenameFile(source, destination);
        }

        public void SyncDirectory(string directory)
        {
            Step();
            inner.SyncDirectory(directory);
        }

        public long GetFileSize(string path) => inner.GetFileSize(path);

        public void SyncFile(string path) => inner.SyncFile(path);

        public IDisposable LockFile(string path) => inner.LockFile(path);

        private void Step()
        {
            if (Operations++ == failAt)
            {
                throw new IOException($"injected failure at step {failAt}");
            }
        }

        private sealed class File(CrashingFileSystem owner, IWritableFile inner) : IWritableFile
        {
            public long Length => inner.Length;

            public void Append(ReadOnlySpan<byte> data)
            {
                owner.Step();
                inner.Append(data);
            }

            public void Flush() => inner.Flush();

            public void Sync()
            {
                owner.Step();
                inner.Sync();
            }

            public void Dispose() => inner.Dispose();
        }
    }
}
