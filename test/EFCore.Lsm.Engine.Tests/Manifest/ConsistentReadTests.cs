using EFCore.Lsm.Engine.Manifest;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Tests.TestUtilities;

namespace EFCore.Lsm.Engine.Tests.Manifest;

/// <summary>Lock-free reads beside a writer: an attempt disturbed by the writer is retried, real damage is believed.</summary>
public class ConsistentReadTests
{
    [Fact]
    public void A_file_that_vanished_while_the_writer_moved_on_is_retried_not_reported()
    {
        // Regression: a WAL the writer deleted after a flush, between the reader's listing and its open, escaped as a raw
        // FileNotFoundException ("000012.log" in `lsm scan` beside a busy writer) instead of a retry from CURRENT.
        using var dir = new TempDirectory("consistent-read");
        var path = dir.Sub("db");
        using var writer = LsmDatabase.Open(path);
        var attempts = 0;
        var result = ConsistentRead.Run(LocalFileSystem.Instance, path, () =>
        {
            if (++attempts == 1)
            {
                writer.Put("k"u8, "v"u8);
                writer.Flush();   // a manifest edit, then the old WAL goes
                throw new FileNotFoundException("Could not find file '000012.log'.");
            }

            return 42;
        });

        Assert.Equal(42, result);
        Assert.Equal(2, attempts);
    }

    [Fact]
    public void A_file_deleted_after_the_edit_that_retired_it_is_retried_even_if_the_mark_did_not_move()
    {
        // The writer's edit came before the reader's mark, its deletion after the reader's listing: the mark is the same,
        // and a new listing no longer has the file (`lsm scan` beside a busy writer: "Could not find file 000030.log").
        using var dir = new TempDirectory("consistent-read-late-delete");
        var path = dir.Sub("db");
        using (LsmDatabase.Open(path))
        {
        }

        var attempts = 0;
        var result = ConsistentRead.Run(LocalFileSystem.Instance, path, () =>
            ++attempts == 1 ? throw new FileNotFoundException("Could not find file '000030.log'.") : 7);

        Assert.Equal(7, result);
        Assert.Equal(2, attempts);
    }

    [Fact]
    public void A_missing_file_while_nothing_changed_is_believed()
    {
        using var dir = new TempDirectory("consistent-read-real");
        var path = dir.Sub("db");
        using (LsmDatabase.Open(path))
        {
        }

        Assert.Throws<FileNotFoundException>(() =>
            ConsistentRead.Run<int>(LocalFileSystem.Instance, path, () => throw new FileNotFoundException("gone for good")));
    }
}
