using EFCore.Lsm.Engine;
using EFCore.Lsm.Tool.Formatting;
using EFCore.Lsm.Tool.Output;
using EFCore.Lsm.Tool.Storage;

namespace EFCore.Lsm.Tool.Commands;

/// <summary>The options of <c>lsm scan</c>; keys as typed on the command line (text, or hex with --hex or a 0x prefix).</summary>
internal sealed record ScanSettings
{
    public string? From { get; init; }

    public string? To { get; init; }

    public string? Prefix { get; init; }

    public long? Limit { get; init; }

    public bool Hex { get; init; }

    public bool KeysOnly { get; init; }

    public bool Count { get; init; }
}

/// <summary>
/// <c>lsm scan &lt;db&gt;</c>: prints <c>key =&gt; value</c> per live key in order, within --from/--to/--prefix, up to
/// --limit; --keys-only prints keys, --count only the number of keys.
/// </summary>
internal sealed class ScanCommand(ToolOutput output)
{
    // How often a counting scan reports progress; per key would cost more than the scan.
    private const int ProgressInterval = 4096;

    public int Run(string database, ScanSettings settings) => CommandRunner.Run(output, () =>
    {
        if (settings.Limit < 0)
        {
            throw new ToolException(ExitCodes.BadInput, $"--limit must be 0 or more, not {settings.Limit}.");
        }

        var range = KeyRange.Create(
            Parse(settings.From, settings.Hex, "--from"),
            Parse(settings.To, settings.Hex, "--to"),
            Parse(settings.Prefix, settings.Hex, "--prefix"));
        var limit = settings.Limit ?? long.MaxValue;

        using var db = DatabaseFolder.OpenReadOnly(database);
        if (settings.Count)
        {
            long count = 0;

            // Listing entries is its own progress; a count prints nothing until the end, so it gets a spinner.
            output.Progress.Run("Counting keys", 0, progress =>
            {
                count = Walk(db, range, limit, (_, _) => { }, progress);
            });
            output.Out.WriteLine(count);
            return ExitCodes.Success;
        }

        var writer = output.Out;
        var hex = settings.Hex;
        var keysOnly = settings.KeysOnly;
        Walk(db, range, limit, (key, value) =>
        {
            ByteText.Write(writer, key, hex);
            if (!keysOnly)
            {
                writer.Write(" => ");
                ByteText.Write(writer, value, hex);
            }

            writer.WriteLine();
        }, SilentProgress.Instance);
        return ExitCodes.Success;
    });

    private delegate void EntryAction(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    private static long Walk(LsmDatabase db, KeyRange range, long limit, EntryAction action, IProgressReporter progress)
    {
        if (range.IsEmpty || limit == 0)
        {
            return 0;
        }

        // A one-off scan should not evict what the cache holds for anyone else; FillCache off as for bulk reads.
        using var iterator = db.NewIterator(new ReadOptions { LowerBound = range.Lower, UpperBound = range.Upper, FillCache = false });
        long count = 0;
        for (iterator.SeekToFirst(); iterator.Valid && count < limit; iterator.Next())
        {
            action(iterator.Key, iterator.Value);
            count++;
            if (count % ProgressInterval == 0)
            {
                progress.Advance(ProgressInterval);
                progress.Describe($"Counting keys: {count}");
            }
        }

        return count;
    }

    private static byte[]? Parse(string? text, bool hex, string what) => text is null ? null : ByteText.Parse(text, hex, what);
}
