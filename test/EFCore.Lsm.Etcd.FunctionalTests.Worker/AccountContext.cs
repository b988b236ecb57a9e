using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Etcd.FunctionalTests.Worker;

public sealed class Account
{
    public int Id { get; set; }

    public long Balance { get; set; }

    /// <summary>Raised by every increment: a save from a stale read must fail, not overwrite a newer one.</summary>
    [ConcurrencyCheck]
    public int Version { get; set; }
}

/// <summary>Shared by the worker processes and the test that checks their sum.</summary>
public sealed class AccountContext(string endpoints, string prefix) : DbContext
{
    public DbSet<Account> Accounts => Set<Account>();

    protected override void OnConfiguring(DbContextOptionsBuilder options) =>
        options.UseLsmCluster(endpoints, etcd => etcd.KeyPrefix(prefix));

    protected override void OnModelCreating(ModelBuilder model) => model.Entity<Account>().Property(a => a.Id).ValueGeneratedNever();
}
