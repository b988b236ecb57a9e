using System.Diagnostics;
using System.Runtime;

namespace EFCore.Lsm.DbBench.Running;

/// <summary>
/// The unmeasured warm-up of a repeatable workload: passes of it repeated until the runtime's tiered JIT has settled, so
/// the measured run meets the code the JIT keeps for the rest of the process's life, not tier-0 code.
/// </summary>
/// <remarks>
/// One warm-up pass is not enough. The runtime starts counting calls (the step before it recompiles a hot method at tier 1)
/// only after no method has been compiled for a delay: 100 ms by default, ten times that when the process may use a
/// single processor (then a query loop ran at tier 0 for about 1.5 s in a probe pinned to one core, four to six times slower
/// than after tier-up). The tier-1 compilations it then does are themselves compilations, so "settled" means: a whole pass
/// compiled nothing, and nothing was compiled for twice the delay. The warm-up is capped in time so that a process whose code
/// keeps being compiled (a workload that generates code per operation) is measured anyway, and the report says so.
/// </remarks>
internal static class TieringWarmup
{
    /// <summary>
    /// Runs <paramref name="pass"/> until the JIT has settled or <paramref name="maxSeconds"/> have passed (then the
    /// summary says it had not settled); at least one pass.
    /// </summary>
    public static WarmupSummary Run(Action pass, double maxSeconds)
        => Run(pass, () => JitInfo.GetCompiledMethodCount(), Stopwatch.GetTimestamp, 2 * CallCountingDelayTicks(),
            (long)(maxSeconds * Stopwatch.Frequency));

    /// <summary>
    /// The loop behind <see cref="Run(Action)"/>, over a count of compiled methods and a clock in <see cref="Stopwatch"/>
    /// ticks: passes run until one compiled nothing and <paramref name="quietTicks"/> have gone by since the last
    /// compilation, or until <paramref name="maxTicks"/> have gone by.
    /// </summary>
    internal static WarmupSummary Run(Action pass, Func<long> compiledMethods, Func<long> timestamp, long quietTicks, long maxTicks)
    {
        var start = timestamp();
        var compiled = compiledMethods();
        var lastCompilation = start;
        var passes = 0;
        while (true)
        {
            pass();
            passes++;
            var now = timestamp();
            var after = compiledMethods();
            if (after != compiled)
            {
                compiled = after;
                lastCompilation = now;
            }
            else if (now - lastCompilation >= quietTicks)
            {
                return new WarmupSummary(passes, (now - start) / (double)Stopwatch.Frequency, Settled: true);
            }

            if (now - start >= maxTicks)
            {
                return new WarmupSummary(passes, (now - start) / (double)Stopwatch.Frequency, Settled: false);
            }
        }
    }

    /// <summary>
    /// "after 7 unmeasured passes (3.1 s) the JIT had settled" (or "... passes at 2,000 customers ..." for passes at the
    /// warm-up size), as the report's note says it.
    /// </summary>
    public static string Describe(WarmupSummary warmup)
        => FormattableString.Invariant(
            $"after {warmup.Passes} unmeasured passes{(warmup.Scale is { } scale ? $" at {scale}" : "")} ({warmup.Seconds:F1} s) the JIT {(warmup.Settled ? "had settled" : "was still compiling")}");

    /// <summary>
    /// The runtime's call-counting delay as this process sees it: DOTNET_TC_CallCountingDelayMs (default 100 ms), times
    /// DOTNET_TC_DelaySingleProcMultiplier (default 10) when the process may use one processor only.
    /// </summary>
    internal static long CallCountingDelayTicks()
    {
        var delayMs = ReadRuntimeSetting("DOTNET_TC_CallCountingDelayMs", 100);
        if (Environment.ProcessorCount == 1)
        {
            delayMs *= ReadRuntimeSetting("DOTNET_TC_DelaySingleProcMultiplier", 10);
        }

        return delayMs * Stopwatch.Frequency / 1000;
    }

    // The runtime reads these settings as hexadecimal numbers.
    private static long ReadRuntimeSetting(string name, long fallback)
        => Environment.GetEnvironmentVariable(name) is { } text
            && long.TryParse(text, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var value)
                ? value
                : fallback;
}

/// <summary>
/// What the warm-up did before a measured run: how many passes, how long, whether the JIT settled in them, and, for
/// passes at the warm-up size rather than at the measured one, that size ("2,000 customers", "50,000 reads").
/// </summary>
internal sealed record WarmupSummary(int Passes, double Seconds, bool Settled)
{
    public string? Scale { get; init; }
}
