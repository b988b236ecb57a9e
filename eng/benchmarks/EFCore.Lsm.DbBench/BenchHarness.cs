using System.Text.Json;
using EFCore.Lsm.DbBench.Ef.Providers;
using EFCore.Lsm.DbBench.Ef.Running;
using EFCore.Lsm.DbBench.Reporting;
using EFCore.Lsm.DbBench.Running;
using EFCore.Lsm.DbBench.Stores;

namespace EFCore.Lsm.DbBench;

/// <summary>
/// The harness's entry point: parses the command line, runs each engine on the engine workloads and each EF provider on
/// the EF workloads (each in a child process by default), prints the table and writes the report files. Returns the
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
            $"{Environment.ProcessorCount} cores, isolation {options.Isolation}");
        foreach (var engine in options.EngineBenchmarks.Count > 0 ? options.Engines : [])
        {
            if (!StoreCatalog.TryPrepare(engine, options, out var detail))
            {
                output.WriteLine($"{engine}: {detail}; skipping it and running the others.");
                report.Engines.Add(new EngineRun { Engine = engine, Available = false, Detail = detail });
                continue;
            }

            output.WriteLine($"{engine}: {detail}");
            output.Flush();
            report.Engines.Add(options.Isolation == BenchOptions.ProcessIsolation
                ? ChildProcessRunner.Run(engine, detail, options, output)
                : RunInProcess(engine, detail, options, output));
        }

        foreach (var provider in options.EfBenchmarks.Count > 0 ? options.Providers : [])
        {
            if (!EfProviderCatalog.TryPrepare(provider, options, out var detail))
            {
                output.WriteLine($"{provider}: {detail}; skipping it and running the others.");
                report.Engines.Add(new EngineRun { Engine = provider, Available = false, Detail = detail });
                continue;
            }

            output.WriteLine($"{provider}: {detail}");
            output.Flush();
            report.Engines.Add(options.Isolation == BenchOptions.ProcessIsolation
                ? ChildProcessRunner.Run(provider, detail, resultFile => options.ToProviderChildArgs(provider, resultFile), output)
                : RunProviderInProcess(provider, detail, options, output));
        }

        ReportWriter.WriteConsole(report, output);
        var folder = ReportWriter.WriteFiles(report, options.ResultsDir ?? DefaultResultsDir());
        output.WriteLine();
        output.WriteLine($"Report: {Path.Combine(folder, ReportWriter.MarkdownFile)}");
        output.WriteLine($"Chart:  {Path.Combine(folder, ReportWriter.SvgFile)}");
        return report.Engines.Any(e => e.Available && e.Error is not null) ? 1 : 0;
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

            runs.Add(RunInProcess(engine, detail, options, output));
        }

        foreach (var provider in options.EfBenchmarks.Count > 0 ? options.Providers : [])
        {
            if (!EfProviderCatalog.TryPrepare(provider, options, out var detail))
            {
                runs.Add(new EngineRun { Engine = provider, Available = false, Detail = detail });
                continue;
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
