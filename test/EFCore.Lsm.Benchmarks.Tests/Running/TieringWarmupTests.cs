using EFCore.Lsm.DbBench;
using EFCore.Lsm.DbBench.Reporting;
using EFCore.Lsm.DbBench.Running;

namespace EFCore.Lsm.Benchmarks.Tests.Running;

/// <summary>
/// The warm-up's stopping rule, driven by a scripted count of compiled methods and a scripted clock (one tick per pass),
/// so what is tested is the rule, not this machine's JIT or speed.
/// </summary>
public sealed class TieringWarmupTests
{
    [Fact]
    public void Passes_repeat_until_a_pass_compiles_nothing_and_the_quiet_window_has_passed()
    {
        // Passes 1-3 compile methods (as tier-0 and then tier-1 compilations do); from pass 4 on nothing is compiled.
        var script = new Script(compiledAfterPass: pass => pass <= 3 ? 100 * pass : 300);

        var summary = TieringWarmup.Run(script.Pass, script.Compiled, script.Clock, quietTicks: 5, maxTicks: 1000);

        // The last compilation was seen after pass 3 (tick 3); quiet from tick 8 on, which pass 8 reaches.
        Assert.True(summary.Settled);
        Assert.Equal(8, summary.Passes);
    }

    [Fact]
    public void A_pass_that_compiles_nothing_still_waits_for_the_runtime_s_delay_before_tiering_starts()
    {
        // Only the first pass compiles (tier 0, at tick 1); later passes compile nothing, yet the counting delay has still to
        // go by, because the runtime recompiles hot methods at tier 1 only after it.
        var script = new Script(compiledAfterPass: _ => 50);

        var summary = TieringWarmup.Run(script.Pass, script.Compiled, script.Clock, quietTicks: 4, maxTicks: 1000);

        Assert.True(summary.Settled);
        Assert.Equal(5, summary.Passes);
    }

    [Fact]
    public void Code_that_keeps_being_compiled_stops_the_warm_up_at_its_limit_and_says_it_did_not_settle()
    {
        var script = new Script(compiledAfterPass: pass => pass);

        var summary = TieringWarmup.Run(script.Pass, script.Compiled, script.Clock, quietTicks: 5, maxTicks: 20);

        Assert.False(summary.Settled);
        Assert.Equal(20, summary.Passes);
    }

    [Fact]
    public void The_delay_follows_the_runtime_s_settings_which_are_hexadecimal()
    {
        var previous = Environment.GetEnvironmentVariable("DOTNET_TC_CallCountingDelayMs");
        try
        {
            Environment.SetEnvironmentVariable("DOTNET_TC_CallCountingDelayMs", "20");
            var multiplier = Environment.ProcessorCount == 1 ? 10 : 1;
            Assert.Equal(0x20 * multiplier * System.Diagnostics.Stopwatch.Frequency / 1000, TieringWarmup.CallCountingDelayTicks());
        }
        finally
        {
            Environment.SetEnvironmentVariable("DOTNET_TC_CallCountingDelayMs", previous);
        }
    }

    [Fact]
    public void The_report_notes_each_workload_s_warm_up_and_the_methods_compiled_while_measuring()
    {
        var report = new BenchReport { Options = new BenchOptions(), CommandLine = [], Engines = [] };
        for (var round = 1; round <= 2; round++)
        {
            var result = new WorkloadResult
            {
                Engine = "lsm", Workload = "ef-count", Group = "ef", Operations = 10, Seconds = 1, OpsPerSecond = 10,
                PeakRssScope = "workload", Round = round, JitCompilations = 1234 * round,
                Warmup = new WarmupSummary(Passes: 2 + round, Seconds: 0.5 * round, Settled: round == 1),
            };
            report.RoundRuns.Add([new EngineRun { Engine = "lsm", Available = true, Detail = "EFCore.Lsm", Results = [result] }]);
        }

        report.Aggregate();
        var markdown = ReportWriter.RenderMarkdown(report);

        Assert.Contains("after 3 unmeasured passes (0.5 s) the JIT had settled", markdown, StringComparison.Ordinal);
        Assert.Contains("| methods JIT-compiled |", markdown, StringComparison.Ordinal);
        Assert.Contains("| 2,468 |", markdown, StringComparison.Ordinal);
    }

    /// <summary>A fake runtime: the compiled-method count after each pass comes from a function of the pass number.</summary>
    private sealed class Script(Func<int, long> compiledAfterPass)
    {
        private int _passes;

        public void Pass() => _passes++;

        public long Compiled() => _passes == 0 ? 0 : compiledAfterPass(_passes);

        public long Clock() => _passes;
    }
}
