using EFCore.Lsm.Engine.CrashWorker;

namespace EFCore.Lsm.Engine.Tests.Reliability;

/// <summary>
/// What a database written by a <see cref="RandomWorkload"/> may hold after a crash: exactly the state after ops
/// 0..k for one k between the last write that had to survive and the last write that was issued. Anything else is a
/// lost acknowledged write, a hole in the unsynced writes, a resurrected delete or a partially visible batch.
/// The model advances monotonically: recovery makes what it replays durable, so a later crash may not go back.
/// </summary>
internal sealed class ExpectedState(RandomWorkload workload)
{
    private readonly Dictionary<int, byte[]> _model = [];

    /// <summary>The newest op the database was last verified to contain (-1: none yet).</summary>
    public long Counter { get; private set; } = -1;

    public RandomWorkload Workload => workload;

    /// <summary>
    /// Reads all of <paramref name="db"/> (by iterator, and by point lookups of every key) and finds the k it holds.
    /// <paramref name="mustHave"/> is the newest op that must be present (acknowledged and durable), and
    /// <paramref name="mayHave"/> the newest op that was issued at all. Returns k; throws when no k fits.
    /// </summary>
    public long Verify(LsmDatabase db, long mustHave, long mayHave, string context)
    {
        var actual = ReadAll(db, context);
        long newestSeen = -1;
        foreach (var value in actual.Values)
        {
            newestSeen = Math.Max(newestSeen, RandomWorkload.CounterOf(value));
        }

        if (newestSeen > mayHave)
        {
            throw Fail(context, $"the database holds a value of op {newestSeen}, but only ops up to {mayHave} were issued");
        }

        // No state before the newest value present can hold it, and none before mustHave or the last verified state is allowed.
        var candidate = Counter;
        var from = Math.Max(newestSeen, Math.Max(mustHave, Counter));
        while (candidate < from)
        {
            RandomWorkload.Apply(_model, workload.Op(++candidate));
        }

        var firstDifference = Difference(actual);
        if (firstDifference is null)
        {
            Counter = candidate;
            return candidate;
        }

        // Later ops may still match: a put deleted again, or a delete of a missing key, leaves no newer counter behind.
        var lookahead = new Dictionary<int, byte[]>(_model);
        for (var next = candidate + 1; next <= mayHave; next++)
        {
            RandomWorkload.Apply(lookahead, workload.Op(next));
            if (Difference(actual, lookahead) is null)
            {
                while (candidate < next)
                {
                    RandomWorkload.Apply(_model, workload.Op(++candidate));
                }

                Counter = candidate;
                return candidate;
            }
        }

        throw Fail(context,
            $"the state matches no prefix of ops {from}..{mayHave} (must have {mustHave}, newest value seen {newestSeen}); "
            + $"against the state after op {candidate}: {firstDifference}");
    }

    /// <summary>Every workload key and value in <paramref name="db"/>, checking that iteration and point lookups agree.</summary>
    public Dictionary<int, byte[]> ReadAll(LsmDatabase db, string context)
    {
        var actual = new Dictionary<int, byte[]>();
        using (var iterator = db.NewIterator())
        {
            var previous = -1;
            for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
            {
                var index = RandomWorkload.KeyIndex(iterator.Key);
                if (index < 0 || index <= previous)
                {
                    throw Fail(context, $"the iterator returned key '{System.Text.Encoding.ASCII.GetString(iterator.Key)}' after key {previous}");
                }

                previous = index;
                actual[index] = iterator.Value.ToArray();
            }
        }

        for (var index = 0; index < workload.KeyCount; index++)
        {
            var got = db.Get(RandomWorkload.Key(index));
            var listed = actual.GetValueOrDefault(index);
            if (!(got is null ? listed is null : listed is not null && got.AsSpan().SequenceEqual(listed)))
            {
                throw Fail(context, $"Get and the iterator disagree on key {index}");
            }
        }

        return actual;
    }

    private string? Difference(Dictionary<int, byte[]> actual) => Difference(actual, _model);

    private static string? Difference(Dictionary<int, byte[]> actual, Dictionary<int, byte[]> expected)
    {
        foreach (var (key, value) in expected)
        {
            if (!actual.TryGetValue(key, out var got))
            {
                return $"key {key} is missing (expected the value of op {RandomWorkload.CounterOf(value)})";
            }

            if (!got.AsSpan().SequenceEqual(value))
            {
                return $"key {key} holds the value of op {RandomWorkload.CounterOf(got)}, expected op {RandomWorkload.CounterOf(value)}";
            }
        }

        foreach (var (key, value) in actual)
        {
            if (!expected.ContainsKey(key))
            {
                return $"key {key} should be absent but holds the value of op {RandomWorkload.CounterOf(value)}";
            }
        }

        return null;
    }

    private static Xunit.Sdk.XunitException Fail(string context, string message) => new($"{context}: {message}");
}
