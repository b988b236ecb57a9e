using System.Text.Json;
using EFCore.Lsm.DbBench.Ef.Providers;
using EFCore.Lsm.DbBench.Ef.Running;
using EFCore.Lsm.DbBench.Measurement;
using EFCore.Lsm.DbBench.Reporting;
using EFCore.Lsm.DbBench.Running;
using EFCore.Lsm.DbBench.Stores;

namespace EFCore.Lsm.DbBench;

/// <summary>
/// The harness's entry point: parses the command line, runs each engine on the engine workloads and each EF provider on
/// the EF workloads in interleaved rounds (each in a fresh child process by default, after an unmeasured warm-up), prints
/// the medians and writes the report files. Returns the
/// process exit code: 0 when every available engine and provider ran every workload, 1 when one failed, 2 for a bad
/// command line.
/// </summary>
internal static class BenchHarness
{
    public static int Run(IReadOnlyList<string> args, TextWriter output)
    {
        BenchOptions options;
        try
        {
            options = BenchOptions.Parse(args);
        }
        catch (BenchArgumentException e)
        {
            output.WriteLine($"error: {e.Message}");
            return 2;
        }

        if (options.ShowHelp)
        {
            output.WriteLine(BenchOptions.Usage);
            return 0;
        }

        return options.ChildOutput is { } childOutput ? RunChild(options, childOutput, output) : RunParent(options, args, output);
    }

    private static int RunParent(BenchOptions options, IReadOnlyList<string> args, TextWriter output)
    {
        var report = new BenchReport
        {
            Options = options,
            CommandLine = args.ToArray(),
            Engines = [],
            StartedAt = DateTimeOffset.Now,
        };

        output.WriteLine($"EFCore.Lsm.DbBench: {string.Join(',', options.Benchmarks)} on {string.Join(',', options.Engines)} " +
            $"and EF providers {string.Join(',', options.Providers)}, num={options.Num}, ef-num={options.EfNum}, " +
            $"{options.Rounds} round(s), {Environment.ProcessorCount} cores, isolation {options.Isolation}, load {ProcessStats.LoadAverage():F2}");
        var engines = options.EngineBenchmarks.Count > 0 ? options.Engines : [];
        var providers = options.EfBenchmarks.Count > 0 ? options.Providers : [];
        for (var round = 1; round <= options.Rounds; round++)
        {
            output.WriteLine($"round {round} of {options.Rounds}");
            var runs = new List<EngineRun>();

            // A, B, C, A, B, C, ...: each engine and provider once per round, each a fresh process, so a noisy spell on the
            // machine hits one round of every engine rather than every round of one.
            foreach (var engine in engines)
            {
                runs.Add(InRound(round, options.Isolation == BenchOptions.ProcessIsolation
                    ? ChildProcessRunner.Run(engine, "", options, output)
                    : StoreCatalog.TryPrepare(engine, options, out var detail)
                        ? RunInProcess(engine, detail, options, output)
                        : new EngineRun { Engine = engine, Available = false, Detail = detail }));
                Announce(runs[^1], output);
            }

            foreach (var provider in providers)
            {
                runs.Add(InRound(round, options.Isolation == BenchOptions.ProcessIsolation
                    ? ChildProcessRunner.Run(provider, "", resultFile => options.ToProviderChildArgs(provider, resultFile), output)
                    : EfProviderCatalog.TryPrepare(provider, options, out var detail)
                        ? RunProviderInProcess(provider, detail, options, output)
                        : new EngineRun { Engine = provider, Available = false, Detail = detail }));
                Announce(runs[^1], output);
            }

            report.RoundRuns.Add(runs);
        }

        report.Aggregate();
        report.FinishedAt = DateTimeOffset.Now;
        ReportWriter.WriteConsole(report, output);
        var folder = ReportWriter.WriteFiles(report, options.ResultsDir ?? DefaultResultsDir());
        output.WriteLine();
        output.WriteLine($"Report: {Path.Combine(folder, ReportWriter.MarkdownFile)}");
        output.WriteLine($"Chart:  {Path.Combine(folder, ReportWriter.SvgFile)}");
        return report.Engines.Any(e => e.Available && e.Error is not null) ? 1 : 0;
    }

    private static EngineRun InRound(int round, EngineRun run)
    {
        for (var i = 0; i < run.Results.Count; i++)
        {
            run.Results[i] = run.Results[i] with { Round = round };
        }

        return run;
    }

    private static void Announce(EngineRun run, TextWriter output)
    {
        if (!run.Available)
        {
            output.WriteLine($"{run.Engine}: {run.Detail}; skipping it and running the others.");
        }
        else if (run.Error is not null)
        {
            output.WriteLine($"{run.Engine}: failed: {run.Error}");
        }

        output.Flush();
    }

    private static int RunChild(BenchOptions options, string childOutput, TextWriter output)
    {
        var runs = new List<EngineRun>();
        foreach (var engine in options.Engines)
        {
            if (!StoreCatalog.TryPrepare(engine, options, out var detail))
            {
                runs.Add(new EngineRun { Engine = engine, Available = false, Detail = detail });
                continue;
            }

            output.WriteLine($"{engine}: {detail}");
            if (options.Warmup)
            {
                // Unmeasured: the same workloads at a small size, so the measured run meets tiered-up code.
                RunInProcess(engine, detail, options.ForWarmup(), TextWriter.Null);
            }

            runs.Add(RunInProcess(engine, detail, options, output));
        }

        foreach (var provider in options.EfBenchmarks.Count > 0 ? options.Providers : [])
        {
            if (!EfProviderCatalog.TryPrepare(provider, options, out var detail))
            {
                runs.Add(new EngineRun { Engine = provider, Available = false, Detail = detail });
                continue;
            }

            output.WriteLine($"{provider}: {detail}");
            if (options.Warmup)
            {
                // Unmeasured: every workload once at a small size (the repeatable ones warm up again at full size, until the
                // JIT has settled, just before they are measured: see EfRunner).
                RunProviderInProcess(provider, detail, options.ForWarmup(), TextWriter.Null);
            }

            runs.Add(RunProviderInProcess(provider, detail, options, output));
        }

        File.WriteAllText(childOutput, JsonSerializer.Serialize(runs, ReportWriter.JsonOptions));
        return 0;
    }

    private static EngineRun RunInProcess(string engine, string detail, BenchOptions options, TextWriter output)
        => RunGuarded(engine, detail, output, results => new EngineRunner(engine, options, output).Run(results));

    private static EngineRun RunProviderInProcess(string provider, string detail, BenchOptions options, TextWriter output)
        => RunGuarded(provider, detail, output, results => new EfRunner(provider, options, output).Run(results));

    private static EngineRun RunGuarded(string engine, string detail, TextWriter output, Action<List<WorkloadResult>> runWorkloads)
    {
        var run = new EngineRun { Engine = engine, Available = true, Detail = detail };
        try
        {
            runWorkloads(run.Results);
            return run;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One engine failing (a peer error, a corruption in ours) should not lose the other engines' figures.
            output.WriteLine($"{engine}: failed: {e}");
            return run with { Error = $"{e.GetType().Name}: {e.Message}" };
        }
    }

    /// <summary>eng/benchmarks/results in the repository holding the current folder, else ./benchmark-results.</summary>
    private static string DefaultResultsDir()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EFCore.Lsm.sln")))
            {
                return Path.Combine(dir.FullName, "eng", "benchmarks", "results");
            }
        }

        return Path.Combine(Environment.CurrentDirectory, "benchmark-results");
    }
}
