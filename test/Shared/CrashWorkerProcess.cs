using System.Diagnostics;
using System.Text;

namespace EFCore.Lsm.TestUtilities;

/// <summary>
/// Runs a crash-worker child process (a test project references the worker, so its assembly sits beside the tests) and
/// collects its stdout lines, so a test can SIGKILL it at a moment of its choosing and then read what it acknowledged.
/// The worker prints READY once its database is open. Shared by the engine and provider test projects (linked source).
/// </summary>
public sealed class CrashWorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly StringBuilder _errors = new();
    private readonly ManualResetEventSlim _ready = new();
    private readonly Task _reader;
    private bool _outputEnded;

    /// <summary>Starts the engine's crash worker.</summary>
    public CrashWorkerProcess(params string[] arguments)
        : this("EFCore.Lsm.Engine.CrashWorker.dll", (IEnumerable<string>)arguments)
    {
    }

    /// <summary>Starts the worker <paramref name="workerAssembly"/> (a file name beside the tests).</summary>
    public CrashWorkerProcess(string workerAssembly, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, workerAssembly));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_errors)
                {
                    _errors.AppendLine(e.Data);
                }
            }
        };
        _process.BeginErrorReadLine();
        _reader = Task.Run(() =>
        {
            while (_process.StandardOutput.ReadLine() is { } line)
            {
                if (line == "READY")
                {
                    _ready.Set();
                    continue;
                }

                lock (_lines)
                {
                    _lines.Add(line);
                    Monitor.PulseAll(_lines);
                }
            }

            lock (_lines)
            {
                _outputEnded = true;
                Monitor.PulseAll(_lines);
            }
        });
    }

    /// <summary>Waits until the worker has opened its database; false if it exited or did not get there in time.</summary>
    public bool WaitReady(TimeSpan timeout) => _ready.Wait(timeout);

    /// <summary>
    /// Waits until the worker has printed <paramref name="count"/> lines after READY (its acknowledgements), so a test
    /// chooses its kill point by the worker's progress, not by the clock: on a busy machine the same count is reached,
    /// only later. False when the worker's output ended first, or when <paramref name="guard"/> passed (a hung worker;
    /// the guard is a bound on a failure, never the kill point).
    /// </summary>
    public bool WaitForLines(int count, TimeSpan guard)
    {
        var deadline = DateTime.UtcNow + guard;
        lock (_lines)
        {
            while (_lines.Count < count)
            {
                var left = deadline - DateTime.UtcNow;
                if (_outputEnded || left <= TimeSpan.Zero)
                {
                    return false;
                }

                Monitor.Wait(_lines, left);
            }

            return true;
        }
    }

    /// <summary>The number of lines printed after READY so far (the worker keeps running).</summary>
    public int LineCount
    {
        get
        {
            lock (_lines)
            {
                return _lines.Count;
            }
        }
    }

    /// <summary>SIGKILLs the worker (no finalizers, no flushes, no Dispose) and returns every line it printed before dying.</summary>
    public IReadOnlyList<string> Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.WaitForExit();
        _reader.Wait(TimeSpan.FromSeconds(30));
        lock (_lines)
        {
            return [.. _lines];
        }
    }

    /// <summary>What the worker wrote to stderr (an unhandled exception before it was killed).</summary>
    public string Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
        _ready.Dispose();
    }
}
