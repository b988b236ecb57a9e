using System.Globalization;
using EFCore.Lsm.Etcd.FunctionalTests.TestUtilities;
using EFCore.Lsm.Etcd.FunctionalTests.Worker;
using EFCore.Lsm.Etcd.Storage.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using EFCore.Lsm.TestUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Etcd.FunctionalTests.Reliability;

/// <summary>
/// The fault tests on real 3-member clusters (each test its own, since it kills members): the leader SIGKILLed
/// during a save loop, one member down, two down and one back, two application processes racing on concurrency tokens.
/// Every kill point is chosen by progress (the k-th acknowledged save), never by the clock. CI sizes are small; the long
/// forms take their counts from LSM_ETCD_LEADER_KILLS and LSM_ETCD_INCREMENTS (README, "Reliability").
/// </summary>
public sealed class ClusterFaultTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(3);

    [Fact]
    public void Killing_the_leader_during_a_save_loop_loses_no_acknowledged_save_and_leaves_none_partial()
    {
        var kills = Count("LSM_ETCD_LEADER_KILLS", 3);
        using var cluster = EtcdCluster.Start();
        var prefix = ClusterContexts.NewPrefix("leader");
        using var loop = new SaveLoop(() => Ledger(cluster, prefix));
        for (var kill = 0; kill < kills; kill++)
        {
            loop.WaitForMore(5, Guard);
            var leader = cluster.LeaderIndex();
            cluster.Members[leader].Kill(); // SIGKILL, mid-loop: the save in flight meets a dead leader

            // Two members of three are a majority: saves go on through the election.
            loop.WaitForMore(5, Guard);
            cluster.Members[leader].Start();
            cluster.WaitHealthy(Guard);
        }

        loop.WaitForMore(3, Guard);
        loop.Stop();
        var found = loop.Verify();
        var statistics = Statistics(cluster, prefix);
        output.WriteLine(
            $"{kills} leader kills; {loop.Acknowledged.Count} acknowledged saves, all present whole; {loop.Unknown.Count} with an unknown "
            + $"outcome; {found} saves found, none partial; commit resends {statistics.Resends}, of which applied before the resend "
            + $"{statistics.AppliedBeforeResend}");
        foreach (var reason in loop.UnknownReasons)
        {
            output.WriteLine("unknown outcome: " + reason);
        }

        Assert.True(loop.Acknowledged.Count >= 10 * kills);
    }

    [Fact]
    public void Writes_go_on_with_one_member_down_fail_clearly_with_two_down_and_resume_when_one_returns()
    {
        using var cluster = EtcdCluster.Start();
        var prefix = ClusterContexts.NewPrefix("quorum");
        var outcomes = new SaveOutcomes();
        using (var setup = Ledger(cluster, prefix, SaveOutcomes.Timeout))
        {
            setup.Database.EnsureCreated();
        }

        outcomes.SaveMany(cluster, prefix, 5);
        cluster.Members[0].Kill();
        outcomes.SaveMany(cluster, prefix, 10); // one member down: every save succeeds

        cluster.Members[1].Kill(); // two down: no majority
        var unavailable = Assert.Throws<LsmStoreUnavailableException>(() => outcomes.Save(cluster, prefix, throwUnavailable: true));
        Assert.Contains("majority", unavailable.Message);
        using (var reader = Ledger(cluster, prefix, SaveOutcomes.Timeout))
        {
            Assert.Throws<LsmStoreUnavailableException>(() => reader.Entries.Count());
        }

        cluster.Members[1].Start();
        var failedWhileRecovering = outcomes.SaveUntilOneSucceeds(cluster, prefix, Guard);
        outcomes.SaveMany(cluster, prefix, 5);
        cluster.Members[0].Start();
        cluster.WaitHealthy(Guard);
        outcomes.SaveMany(cluster, prefix, 5);

        using var check = Ledger(cluster, prefix, SaveOutcomes.Timeout);
        var saves = check.Entries.AsNoTracking().AsEnumerable().GroupBy(e => e.Save).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(saves.Values, rows => Assert.Equal(LedgerContext.RowsPerSave, rows));
        Assert.All(outcomes.Acknowledged, save => Assert.True(saves.ContainsKey(save), $"acknowledged save {save} was lost"));
        output.WriteLine(
            $"{outcomes.Acknowledged.Count} acknowledged saves with one member or none down, all present whole; with two down: "
            + $"LsmStoreUnavailableException (\"{unavailable.Message[..Math.Min(120, unavailable.Message.Length)]}…\"); after one "
            + $"returned, {failedWhileRecovering} saves failed before the first succeeded; {saves.Count - outcomes.Acknowledged.Count} "
            + "saves of unknown outcome are present (whole)");
    }

    [Fact]
    public void Two_application_processes_with_concurrency_tokens_lose_no_update()
    {
        const int accounts = 3;
        var increments = Count("LSM_ETCD_INCREMENTS", 40);
        var cluster = SharedClusters.DefaultLimits;
        var prefix = ClusterContexts.NewPrefix("two-processes");
        using (var setup = new AccountContext(cluster.ClientUrls, prefix))
        {
            setup.AddRange(Enumerable.Range(1, accounts).Select(i => new Account { Id = i }));
            setup.SaveChanges();
        }

        string[] Arguments(int seed) =>
            [cluster.ClientUrls, prefix, seed.ToString(CultureInfo.InvariantCulture), increments.ToString(CultureInfo.InvariantCulture),
             accounts.ToString(CultureInfo.InvariantCulture)];
        using var first = new CrashWorkerProcess("EFCore.Lsm.Etcd.FunctionalTests.Worker.dll", Arguments(1));
        using var second = new CrashWorkerProcess("EFCore.Lsm.Etcd.FunctionalTests.Worker.dll", Arguments(2));
        var results = new[] { first, second }.Select(worker =>
        {
            Assert.True(worker.WaitForLines(1, Guard), $"A worker did not finish: {worker.Errors}");
            var done = worker.Kill().Single(l => l.StartsWith("DONE ", StringComparison.Ordinal)).Split(' ');
            return (Successes: int.Parse(done[1], CultureInfo.InvariantCulture), Conflicts: int.Parse(done[2], CultureInfo.InvariantCulture),
                PerAccount: done[3].Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToArray());
        }).ToList();

        using var check = new AccountContext(cluster.ClientUrls, prefix);
        foreach (var account in check.Accounts.AsNoTracking().ToList())
        {
            // Every acknowledged increment is in the balance exactly once: a lost update would leave it short.
            var expected = results.Sum(r => r.PerAccount[account.Id - 1]);
            Assert.Equal(expected, account.Balance);
            Assert.Equal(expected, account.Version);
        }

        Assert.All(results, r => Assert.Equal(increments, r.Successes));
        output.WriteLine(
            $"2 processes x {increments} increments on {accounts} accounts: balances equal the {2 * increments} acknowledged saves; "
            + $"{results.Sum(r => r.Conflicts)} conflicts surfaced as DbUpdateConcurrencyException and were retried");
    }

    private static LedgerContext Ledger(EtcdCluster cluster, string prefix, TimeSpan? timeout = null) =>
        new(new DbContextOptionsBuilder<LedgerContext>()
            // A guard, not a measure: a save waits this long for a leader; an election on a loaded 2-core machine took over 5 s.
            .UseLsmCluster(cluster.ClientUrls, etcd => etcd.KeyPrefix(prefix).OperationTimeout(timeout ?? TimeSpan.FromSeconds(30)))
            .Options);

    private static EtcdCommitStatistics Statistics(EtcdCluster cluster, string prefix)
    {
        using var context = Ledger(cluster, prefix);
        var store = (EtcdKeyValueStore)((LsmDatabaseWrapper)context.GetService<IDatabase>()).Store.KeyValueStore;
        return store.Committer.Statistics;
    }

    private static int Count(string variable, int ci) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : ci;

    /// <summary>Saves of the ledger done one at a time by the test itself, numbered, with what each one returned.</summary>
    private sealed class SaveOutcomes
    {
        /// <summary>How long a save keeps trying: the default, longer than a leader election on a busy machine.</summary>
        public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

        private int _next;

        public List<int> Acknowledged { get; } = [];

        public void SaveMany(EtcdCluster cluster, string prefix, int count)
        {
            for (var i = 0; i < count; i++)
            {
                Save(cluster, prefix, throwUnavailable: true);
            }
        }

        /// <summary>Saves until one is acknowledged; returns how many failed with unavailability before it.</summary>
        public int SaveUntilOneSucceeds(EtcdCluster cluster, string prefix, TimeSpan guard)
        {
            var deadline = DateTime.UtcNow + guard;
            for (var failed = 0; ; failed++)
            {
                if (Save(cluster, prefix, throwUnavailable: DateTime.UtcNow > deadline))
                {
                    return failed;
                }
            }
        }

        public bool Save(EtcdCluster cluster, string prefix, bool throwUnavailable)
        {
            var save = _next++;
            using var context = Ledger(cluster, prefix, Timeout);
            for (var i = 0; i < LedgerContext.RowsPerSave; i++)
            {
                context.Entries.Add(new LedgerEntry { Save = save, Index = i, Payload = $"{save}:{i}" });
            }

            try
            {
                context.SaveChanges();
                Acknowledged.Add(save);
                return true;
            }
            catch (LsmStoreUnavailableException) when (!throwUnavailable)
            {
                return false;
            }
        }
    }
}
