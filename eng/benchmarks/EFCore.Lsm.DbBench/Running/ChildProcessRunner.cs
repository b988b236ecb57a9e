using System.Diagnostics;
using System.Text;
using System.Text.Json;
using EFCore.Lsm.DbBench.Reporting;

namespace EFCore.Lsm.DbBench.Running;

/// <summary>
/// Runs one engine (or EF provider) in a child process of this harness, so that its memory peak and its threads are its
/// own. The child runs with <c>--isolation none --child-output FILE</c>, streams its progress lines, and writes its
/// <see cref="EngineRun"/> as JSON to FILE.
/// </summary>
internal static class ChildProcessRunner
{
    private const int StderrLimit = 8192;

    public static EngineRun Run(string engine, string detail, BenchOptions options, TextWriter output)
        => Run(engine, detail, resultFile => options.ToChildArgs(engine, resultFile), output);

    /// <summary>Runs the child with the arguments <paramref name="childArgs"/> makes for its result file.</summary>
    public static EngineRun Run(string engine, string detail, Func<string, IReadOnlyList<string>> childArgs, TextWriter output)
    {
        var resultFile = Path.Combine(Path.GetTempPath(), $"efcore-lsm-bench-{engine}-{Guid.NewGuid():N}.json");
        var (host, prefix) = HostCommand();
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in prefix.Concat(childArgs(resultFile)))
        {
            start.ArgumentList.Add(arg);
        }

        var stderr = new StringBuilder();
        try
        {
            using var process = new Process { StartInfo = start };
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    lock (output)
                    {
                        output.WriteLine(e.Data);
                        output.Flush();
                    }
                }
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    lock (stderr)
                    {
                        // Keep the end: the exception that stopped the child is what matters.
                        stderr.AppendLine(e.Data);
                        if (stderr.Length > StderrLimit)
                        {
                            stderr.Remove(0, stderr.Length - StderrLimit);
                        }
                    }
                }
            };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            process.WaitForExit();

            if (process.ExitCode != 0 || !File.Exists(resultFile))
            {
                string tail;
                lock (stderr)
                {
                    tail = stderr.ToString().Trim();
                }

                return new EngineRun
                {
                    Engine = engine,
                    Available = true,
                    Detail = detail,
                    Error = $"child process exited with code {process.ExitCode}: {tail}",
                };
            }

            var runs = JsonSerializer.Deserialize<List<EngineRun>>(File.ReadAllText(resultFile), ReportWriter.JsonOptions)
                ?? throw new InvalidDataException($"The child's result file '{resultFile}' is empty.");
            return runs.Single(r => r.Engine == engine);
        }
        finally
        {
            File.Delete(resultFile);
        }
    }

    /// <summary>How to start this harness again: the dotnet host and the harness assembly.</summary>
    private static (string Host, string[] Prefix) HostCommand()
    {
        var assembly = typeof(ChildProcessRunner).Assembly.Location;
        var processPath = Environment.ProcessPath;
        if (processPath is not null && Path.GetFileNameWithoutExtension(processPath) == "dotnet")
        {
            return (processPath, [assembly]);
        }

        // Under `dotnet test` this process is the test host; the SDK says where its dotnet is.
        var hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return (string.IsNullOrEmpty(hostPath) ? "dotnet" : hostPath, [assembly]);
    }
}
