using EFCore.Lsm.Etcd.FunctionalTests.TestUtilities;
using EFCore.Lsm.Storage;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Etcd.FunctionalTests.Reliability;

/// <summary>
/// SaveChanges in a loop on a background thread, as an application does while members of its cluster fail: save n
/// inserts <see cref="LedgerContext.RowsPerSave"/> rows of number n and sets the counter row to n (its token checked), in
/// one batch. Each save's outcome is recorded: acknowledged (SaveChanges returned), unknown (the cluster was unavailable
/// for longer than the operation timeout), and anything else is a failure of the test.
/// </summary>
public sealed class SaveLoop : IDisposable
{
    private readonly Func<LedgerContext> _create;
    private readonly Thread _thread;
    private readonly object _lock = new();
    private readonly List<int> _acknowledged = [];
    private readonly List<int> _unknown = [];
    private volatile bool _stop;
    private Exception? _failure;

    public SaveLoop(Func<LedgerContext> create)
    {
        _create = create;
        using (var setup = create())
        {
            setup.Database.EnsureCreated();
            setup.Add(new LedgerCounter { Id = 1, LastSave = -1 });
            setup.SaveChanges();
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "save loop" };
        _thread.Start();
    }

    public IReadOnlyList<int> Acknowledged
    {
        get
        {
            lock (_lock)
            {
                return [.. _acknowledged];
            }
        }
    }

    /// <summary>The messages of the saves with an unknown outcome.</summary>
    public List<string> UnknownReasons { get; } = [];

    public IReadOnlyList<int> Unknown
    {
        get
        {
            lock (_lock)
            {
                return [.. _unknown];
            }
        }
    }

    /// <summary>
    /// Waits until <paramref name="more"/> more saves than now are acknowledged (progress, not time); the guard only
    /// turns a hang into a failure.
    /// </summary>
    public void WaitForMore(int more, TimeSpan guard)
    {
        var deadline = DateTime.UtcNow + guard;
        lock (_lock)
        {
            var target = _acknowledged.Count + more;
            while (_acknowledged.Count < target)
            {
                if (_failure is not null)
                {
                    throw new InvalidOperationException("The save loop failed.", _failure);
                }

                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    throw new TimeoutException($"The save loop did not acknowledge {more} more saves within {guard}.");
                }

                Monitor.Wait(_lock, left);
            }
        }
    }

    /// <summary>Stops the loop after the save in flight and rethrows what failed it, if anything did.</summary>
    public void Stop()
    {
        _stop = true;
        Assert.True(_thread.Join(TimeSpan.FromMinutes(2)), "The save loop did not stop.");
        if (_failure is not null)
        {
            throw new InvalidOperationException("The save loop failed.", _failure);
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join(TimeSpan.FromMinutes(2));
    }

    /// <summary>
    /// Checks what the cluster holds against what the loop saw: every acknowledged save whole, every save whole or absent
    /// (only an unknown one may be absent), the counter at the newest save. Returns the number of saves found.
    /// </summary>
    public int Verify()
    {
        using var context = _create();
        var saves = context.Entries.AsNoTracking().AsEnumerable().GroupBy(e => e.Save).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var (save, rows) in saves)
        {
            Assert.True(rows.Count == LedgerContext.RowsPerSave, $"save {save} is partial: {rows.Count} of {LedgerContext.RowsPerSave} rows");
            Assert.All(rows, r => Assert.Equal($"{save}:{r.Index}", r.Payload));
        }

        var acknowledged = Acknowledged;
        var unknown = Unknown;
        foreach (var save in acknowledged)
        {
            Assert.True(saves.ContainsKey(save), $"acknowledged save {save} was lost");
        }

        foreach (var save in saves.Keys)
        {
            Assert.True(acknowledged.Contains(save) || unknown.Contains(save), $"save {save} is there but was never attempted");
        }

        var counter = context.Counters.AsNoTracking().Single();
        Assert.Equal(saves.Count == 0 ? -1 : saves.Keys.Max(), counter.LastSave);
        return saves.Count;
    }

    private void Run()
    {
        try
        {
            for (var save = 0; !_stop; save++)
            {
                using var context = _create();
                var counter = context.Counters.Single(c => c.Id == 1);
                for (var i = 0; i < LedgerContext.RowsPerSave; i++)
                {
                    context.Entries.Add(new LedgerEntry { Save = save, Index = i, Payload = $"{save}:{i}" });
                }

                counter.LastSave = save;
                try
                {
                    context.SaveChanges();
                    Record(_acknowledged, save);
                }
                catch (LsmStoreUnavailableException e)
                {
                    // Applied or not: the check afterwards accepts either, but only whole.
                    lock (_lock)
                    {
                        UnknownReasons.Add(e.Message);
                    }

                    Record(_unknown, save);
                }
            }
        }
        catch (Exception e)
        {
            lock (_lock)
            {
                _failure = e;
                Monitor.PulseAll(_lock);
            }
        }
    }

    private void Record(List<int> list, int save)
    {
        lock (_lock)
        {
            list.Add(save);
            Monitor.PulseAll(_lock);
        }
    }
}
