using EFCore.Lsm.Etcd.FunctionalTests.TestUtilities;
using EFCore.Lsm.Storage;
using Grpc.Core;
using static EFCore.Lsm.Etcd.FunctionalTests.TestUtilities.EtcdTestStore;

namespace EFCore.Lsm.Etcd.FunctionalTests.EtcdBackend;

/// <summary>
/// The storage seam's promises (docs/storage_seam.md), checked on the etcd backend against a real 3-member cluster with
/// etcd's default limits: views, scans, multi-gets, every kind of condition (the deletes etcd's compares cannot see on
/// their own included), the last operation on a key winning, and the limits.
/// </summary>
public sealed class EtcdStoreContractTests : IDisposable
{
    private readonly EtcdTestStore _test = new(SharedClusters.DefaultLimits);

    private ILsmKeyValueStore Store => _test.Store;

    public void Dispose() => _test.Dispose();

    [Fact]
    public void A_view_reads_at_the_revision_of_its_first_read_however_much_is_committed_after()
    {
        Put("a", "1");
        using var view = Store.OpenView();
        Assert.Equal("1", Text(view.Get(Key("a"))));
        var pinned = view.Version;

        var later = Put("a", "2");
        Put("b", "new");
        Assert.True(later > pinned);
        Assert.Equal("1", Text(view.Get(Key("a"))));
        Assert.Null(view.Get(Key("b")));
        Assert.Equal(["a"], Keys(view.Scan(Key("a"), Key("z"))));
        Assert.Equal(pinned, view.Version);

        using var fresh = Store.OpenView();
        Assert.Equal("2", Text(fresh.Get(Key("a"))));
        Assert.True(fresh.Version >= later);
    }

    [Fact]
    public void Scans_page_through_ranges_forward_and_backward_within_bounds_and_limits()
    {
        var all = Enumerable.Range(0, 1000).Select(i => $"k{i:D4}").ToList();
        foreach (var chunk in all.Chunk(100))
        {
            var batch = new LsmConditionalBatch();
            foreach (var key in chunk)
            {
                batch.Put(Key(key), Key("v" + key));
            }

            Store.Commit(batch, sync: true);
        }

        using var view = Store.OpenView();
        var inside = all.GetRange(100, 800);
        Assert.Equal(inside, Keys(view.Scan(Key("k0100"), Key("k0900"))));
        Assert.Equal(Enumerable.Reverse(inside), Keys(view.Scan(Key("k0100"), Key("k0900"), reverse: true)));
        Assert.Equal(inside.Take(5), Keys(view.Scan(Key("k0100"), Key("k0900"), limit: 5)));
        Assert.Equal(Enumerable.Reverse(inside).Take(300), Keys(view.Scan(Key("k0100"), Key("k0900"), reverse: true, limit: 300)));
        Assert.Equal(all, Keys(view.Scan([], [0xFF])));
        Assert.Empty(Keys(view.Scan(Key("k0500"), Key("k0500"))));
        Assert.Empty(Keys(view.Scan(Key("k0600"), Key("k0500"))));
        Assert.Empty(Keys(view.Scan(Key("k0100"), Key("k0900"), limit: 0)));

        using var cursor = view.Scan(Key("k0998"), Key("k1"));
        Assert.True(cursor.MoveNext());
        Assert.Equal("vk0998", Text(cursor.Value.ToArray()));
    }

    [Fact]
    public void Multi_gets_answer_in_the_order_asked_with_nulls_for_missing_keys_across_transaction_chunks()
    {
        var batch = new LsmConditionalBatch();
        for (var i = 0; i < 100; i++)
        {
            batch.Put(Key($"m{i}"), Key($"value {i}"));
        }

        Store.Commit(batch, sync: true);
        var asked = Enumerable.Range(0, 300).Select(i => Key($"m{(i * 7) % 150}")).ToList();
        using var view = Store.OpenView();
        var values = view.GetMany(asked);
        for (var i = 0; i < asked.Count; i++)
        {
            var n = (i * 7) % 150;
            Assert.Equal(n < 100 ? $"value {n}" : null, Text(values[i]));
        }
    }

    [Fact]
    public void Absent_and_present_conditions()
    {
        Put("here", "x");
        AssertConflict(0, b => b.RequireAbsent(Key("here")));
        AssertConflict(0, b => b.RequirePresent(Key("gone")));
        Commit(b =>
        {
            b.RequireAbsent(Key("gone"));
            b.RequirePresent(Key("here"));
            b.Put(Key("gone"), Key("now"));
        });
        Assert.Equal("now", Get("gone"));
    }

    [Fact]
    public void Unchanged_since_fails_after_an_update_a_delete_or_a_delete_and_reinsert_and_holds_otherwise()
    {
        foreach (var change in new Action<string>[]
                 {
                     k => Put(k, "updated"),
                     k => Delete(k),
                     k =>
                     {
                         Delete(k);
                         Put(k, "original"); // the same bytes again: still a write after the view
                     },
                 })
        {
            var key = "u" + Guid.NewGuid().ToString("N");
            Put(key, "original");
            using var view = Store.OpenView();
            Assert.Equal("original", Get(view, key));
            change(key);
            AssertConflict(0, b =>
            {
                b.RequireUnchangedSince(Key(key), view.Version);
                b.Put(Key(key), Key("mine"));
            });
            Assert.NotEqual("mine", Get(key));
        }

        // Untouched since the view: holds. Absent at the view and inserted since: fails.
        Put("steady", "s");
        using var steady = Store.OpenView();
        Assert.Equal("s", Get(steady, "steady"));
        Assert.Null(Get(steady, "late"));
        Put("late", "l");
        Put("elsewhere", "e");
        Commit(b =>
        {
            b.RequireUnchangedSince(Key("steady"), steady.Version);
            b.Put(Key("steady"), Key("s2"));
        });
        AssertConflict(0, b => b.RequireUnchangedSince(Key("late"), steady.Version));
    }

    [Fact]
    public void Range_unchanged_since_fails_after_an_insert_an_update_or_a_delete_in_the_range_only()
    {
        foreach (var change in new Action[] { () => Put("r/b2", "new"), () => Put("r/a", "changed"), () => Delete("r/c") })
        {
            foreach (var key in new[] { "r/a", "r/b", "r/c" })
            {
                Put(key, "v");
            }

            Delete("r/b2");
            using var view = Store.OpenView();
            Assert.Equal(3, Keys(view.Scan(Key("r/"), Key("r0"))).Count);
            Put("s/outside", "x");
            Commit(b => b.RequireRangeUnchangedSince(Key("r/"), Key("r0"), view.Version));
            change();
            AssertConflict(0, b =>
            {
                b.RequireRangeUnchangedSince(Key("r/"), Key("r0"), view.Version);
                b.Put(Key("r/mine"), Key("x"));
            });
            Assert.Null(Get("r/mine"));
        }
    }

    [Fact]
    public void A_conflict_names_the_first_failed_condition_and_writes_nothing()
    {
        Put("p", "1");
        var e = AssertConflict(2, b =>
        {
            b.Put(Key("written?"), Key("no"));
            b.RequirePresent(Key("p"));
            b.RequireAbsent(Key("q"));
            b.RequireAbsent(Key("p"));
            b.RequirePresent(Key("q"));
        });
        Assert.Equal(LsmConditionKind.Absent, e.Kind);
        Assert.Null(Get("written?"));
    }

    [Fact]
    public void The_last_operation_on_a_key_wins_and_conditions_do_not_see_the_batchs_own_writes()
    {
        Commit(b =>
        {
            b.RequireAbsent(Key("x"));
            b.Put(Key("x"), Key("1"));
            b.Delete(Key("x"));
            b.Put(Key("x"), Key("3"));
            b.Put(Key("y"), Key("1"));
            b.Delete(Key("y"));
        });
        Assert.Equal("3", Get("x"));
        Assert.Null(Get("y"));
    }

    [Fact]
    public void A_batch_over_the_operation_limit_is_refused_before_anything_is_written()
    {
        Assert.Equal(127, Store.Limits.MaxOperations);
        var e = Assert.Throws<LsmBatchTooLargeException>(() => Commit(b =>
        {
            for (var i = 0; i < 128; i++)
            {
                b.Put(Key($"o{i:D3}"), Key("x"));
            }
        }));
        Assert.Contains("--max-txn-ops", e.Message);
        Assert.Equal(0, _test.CountKeys());

        Commit(b =>
        {
            for (var i = 0; i < 127; i++)
            {
                b.Put(Key($"o{i:D3}"), Key("x"));
            }
        });
        using var view = Store.OpenView();
        Assert.Equal(127, Keys(view.Scan(Key("o"), Key("p"))).Count);
    }

    [Fact]
    public void A_batch_over_the_request_limit_is_refused_before_anything_is_written()
    {
        var e = Assert.Throws<LsmBatchTooLargeException>(() => Commit(b =>
        {
            for (var i = 0; i < 20; i++)
            {
                b.Put(Key($"big{i}"), new byte[100_000]);
            }
        }));
        Assert.Contains("--max-request-bytes", e.Message);
        Assert.Equal(0, _test.CountKeys());
    }

    [Fact]
    public void Limits_the_cluster_has_lower_than_the_client_was_told_refuse_the_batch_too()
    {
        using var wrong = new EtcdTestStore(SharedClusters.DefaultLimits, o => o with { MaxTxnOps = 1024 });
        var batch = new LsmConditionalBatch();
        for (var i = 0; i < 300; i++)
        {
            batch.Put(Key($"w{i}"), Key("x"));
        }

        var e = Assert.Throws<LsmBatchTooLargeException>(() => wrong.Store.Commit(batch, sync: true));
        Assert.Contains("too many operations", e.Message);
        Assert.Equal(0, wrong.CountKeys());
    }

    [Fact]
    public void A_resent_commit_whose_first_send_applied_applies_once_and_reports_that_revision()
    {
        var lost = 0;
        _test.Store.Committer.ReplaceAnswer = _ => Interlocked.Increment(ref lost) <= 2
            ? new RpcException(new Status(StatusCode.Unavailable, "answer dropped by the test hook"))
            : null;
        var before = _test.Store.Committer.Statistics;

        // Without the commit slot the resend would fail its own RequireAbsent (the first send inserted the key), or
        // apply twice if it had no condition.
        var revision = Commit(b =>
        {
            b.RequireAbsent(Key("once"));
            b.Put(Key("once"), Key("1"));
        });
        _test.Store.Committer.ReplaceAnswer = null;

        var after = _test.Store.Committer.Statistics;
        Assert.Equal(1, after.AppliedBeforeResend - before.AppliedBeforeResend);
        Assert.Equal(2, after.Resends - before.Resends);
        using var view = Store.OpenView();
        Assert.Equal("1", Text(view.Get(Key("once"))));
        Assert.True(view.Version >= revision);
        AssertConflict(0, b => b.RequireUnchangedSince(Key("once"), revision - 1));
        Commit(b => b.RequireUnchangedSince(Key("once"), revision));
    }

    [Fact]
    public void A_resend_refused_after_its_first_send_applied_reports_the_applied_revision()
    {
        // The first send applies and its answer is lost; the resend is refused for another reason (here
        // PermissionDenied, as after a credential rotation). Regression: that was reported as "an earlier attempt may
        // have been applied" although the commit slot says the batch is in.
        var answers = 0;
        _test.Store.Committer.ReplaceAnswer = _ => Interlocked.Increment(ref answers) switch
        {
            1 => new RpcException(new Status(StatusCode.Unavailable, "answer dropped by the test hook")),
            2 => new RpcException(new Status(StatusCode.PermissionDenied, "etcdserver: permission denied")),
            _ => null,
        };
        var before = _test.Store.Committer.Statistics;
        var revision = Commit(b =>
        {
            b.RequireAbsent(Key("refused-resend"));
            b.Put(Key("refused-resend"), Key("in"));
        });
        _test.Store.Committer.ReplaceAnswer = null;

        Assert.Equal(2, answers);
        Assert.Equal(1, _test.Store.Committer.Statistics.AppliedBeforeResend - before.AppliedBeforeResend);
        Assert.Equal("in", Get("refused-resend"));
        Commit(b => b.RequireUnchangedSince(Key("refused-resend"), revision));
    }

    [Fact]
    public void A_commit_answered_NOSPACE_after_it_applied_reports_success_not_nothing_written()
    {
        // etcd applies the transaction that takes its database over --quota-backend-bytes and answers it with NOSPACE.
        // Regression: that answer was reported as "Nothing of the batch was written" while the batch was in.
        _test.Store.Committer.ReplaceAnswer = _ => new RpcException(new Status(StatusCode.ResourceExhausted, "etcdserver: mvcc: database space exceeded"));
        var revision = Commit(b =>
        {
            b.RequireAbsent(Key("crossing"));
            b.Put(Key("crossing"), Key("in"));
        });
        _test.Store.Committer.ReplaceAnswer = null;

        using var view = Store.OpenView();
        Assert.Equal("in", Text(view.Get(Key("crossing"))));
        Commit(b => b.RequireUnchangedSince(Key("crossing"), revision));
    }

    [Theory]
    [InlineData(StatusCode.ResourceExhausted, "etcdserver: mvcc: database space exceeded", "Nothing of the batch was written")]
    [InlineData(StatusCode.PermissionDenied, "etcdserver: permission denied", "nothing was written")]
    public void A_commit_refused_before_it_applied_says_nothing_was_written(StatusCode status, string detail, string said)
    {
        // A refusal before raft (for NOSPACE: the alarm already raised). Simulated by refusing before the send applies:
        // a condition that fails keeps the transaction from writing, and the hook then answers with the refusal.
        Put("taken", "x");
        _test.Store.Committer.ReplaceAnswer = response => response.Succeeded ? null : new RpcException(new Status(status, detail));
        var e = Assert.Throws<LsmStoreUnavailableException>(() => Commit(b =>
        {
            b.RequireAbsent(Key("taken"));
            b.Put(Key("taken"), Key("y"));
        }));
        _test.Store.Committer.ReplaceAnswer = null;

        Assert.Contains(said, e.Message);
        Assert.Equal("x", Get("taken"));
        Put("taken", "z");
        Assert.Equal("z", Get("taken"));
    }

    private long Put(string key, string value) => Commit(b => b.Put(Key(key), Key(value)));

    private long Delete(string key) => Commit(b => b.Delete(Key(key)));

    private string? Get(string key)
    {
        using var view = Store.OpenView();
        return Get(view, key);
    }

    private static string? Get(ILsmReadView view, string key) => Text(view.Get(Key(key)));

    private long Commit(Action<LsmConditionalBatch> build)
    {
        var batch = new LsmConditionalBatch();
        build(batch);
        return Store.Commit(batch, sync: true);
    }

    private LsmWriteConflictException AssertConflict(int index, Action<LsmConditionalBatch> build)
    {
        var e = Assert.Throws<LsmWriteConflictException>(() => Commit(build));
        Assert.Equal(index, e.ConditionIndex);
        return e;
    }

    private static List<string> Keys(ILsmCursor cursor)
    {
        using (cursor)
        {
            var keys = new List<string>();
            while (cursor.MoveNext())
            {
                keys.Add(Text(cursor.Key.ToArray())!);
            }

            return keys;
        }
    }

    private static string? Text(byte[]? value) => value is null ? null : System.Text.Encoding.UTF8.GetString(value);
}
