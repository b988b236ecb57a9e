using EFCore.Lsm.Engine;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Storage;
using EFCore.Lsm.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Recovery;

/// <summary>
/// What an operator does to a database folder, through EF: a bank of 20 accounts of 1,000 each, transfers saved, then one
/// file damaged. Reopening gives all 20,000 or a typed error, never fewer accounts (or less money) silently. Each case
/// once reopened "successfully" with accounts or half a transfer gone.
/// </summary>
public sealed class OperatorDamageTests : IDisposable
{
    private const int Accounts = 20;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string Bank(string path)
    {
        using (var context = TestContext.Create(path))
        {
            for (var i = 1; i <= Accounts; i++)
            {
                context.Add(new Customer { Id = i, Name = $"account {i}", Balance = 1000m });
            }

            context.SaveChanges();
        }

        var random = new Random(9);
        for (var t = 0; t < 200; t++)
        {
            using var context = TestContext.Create(path);
            var from = context.Customers.Find(random.Next(1, Accounts + 1))!;
            var to = context.Customers.Find(random.Next(1, Accounts + 1))!;
            if (from.Id == to.Id)
            {
                continue;
            }

            from.Balance -= 7m;
            to.Balance += 7m;
            context.SaveChanges();
        }

        // Closed, as an operator would find it: the engine's files are all on disk and the lock is free.
        Assert.True(LsmStorePool.Close(path));
        return path;
    }

    private static void AssertWholeOrTypedError(string path)
    {
        try
        {
            using var context = TestContext.Create(path);
            var accounts = context.Customers.AsNoTracking().ToList();
            Assert.Equal(Accounts, accounts.Count);
            Assert.Equal(Accounts * 1000m, accounts.Sum(a => a.Balance));
        }
        catch (LsmException)
        {
            // Refused, naming what is wrong: the operator restores from a backup. Nothing was lost silently.
        }
        finally
        {
            LsmStorePool.Close(path);
        }
    }

    [Fact]
    public void CURRENT_deleted_reopens_whole_or_refuses()
    {
        var path = Bank(_temp.Db());
        File.Delete(Path.Combine(path, "CURRENT"));
        var files = Directory.GetFiles(path).Length;
        var error = Record.Exception(() => AssertWholeOrTypedError(path));
        Assert.Null(error);

        // Refused or not, nothing of the folder was deleted.
        Assert.True(Directory.GetFiles(path).Length >= files);
    }

    [Fact]
    public void A_manifest_cut_by_one_byte_reopens_whole_or_refuses()
    {
        var path = Bank(_temp.Db());
        var manifest = Directory.GetFiles(path, "MANIFEST-*").Single();
        using (var stream = new FileStream(manifest, FileMode.Open))
        {
            stream.SetLength(stream.Length - 1);
        }

        AssertWholeOrTypedError(path);
    }

    [Fact]
    public void LOCK_deleted_while_open_does_not_let_a_second_process_in()
    {
        var path = Bank(_temp.Db());
        using (var holder = TestContext.Create(path))
        {
            // This process has the bank open; the operator deletes LOCK and starts another application on the folder.
            Assert.Equal(Accounts, holder.Customers.Count());
            File.Delete(Path.Combine(path, "LOCK"));
            var files = Directory.GetFiles(path).Select(Path.GetFileName).ToHashSet();

            using var second = new CrashWorkerProcess("EFCore.Lsm.FunctionalTests.CrashWorker.dll", [path, "0", "2"]);
            Assert.False(second.WaitForLines(1, TimeSpan.FromMinutes(3)), "the second process saved into a database another process has open");
            second.Kill();
            Assert.Contains("open elsewhere", second.Errors, StringComparison.Ordinal);
            Assert.True(files.All(f => File.Exists(Path.Combine(path, f!))), "the refused process deleted files");

            // The first process goes on as if nothing happened.
            var account = holder.Customers.Find(1)!;
            account.Name += " still here";
            holder.SaveChanges();
        }

        Assert.True(LsmStorePool.Close(path));
        AssertWholeOrTypedError(path);
    }
}
