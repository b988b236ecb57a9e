using System.Text;
using Spectre.Console;

namespace EFCore.Lsm.Tool.Output;

/// <summary>
/// Where a command writes: results to <see cref="Out"/>, error lines to <see cref="Error"/>, progress to
/// <see cref="Progress"/>. Tests pass string writers and <see cref="SilentProgress"/>.
/// </summary>
internal sealed class ToolOutput(TextWriter output, TextWriter error, IProgressDisplay progress)
{
    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;

    public IProgressDisplay Progress { get; } = progress;

    /// <summary>
    /// The real console. Results go through a buffered UTF-8 writer (a scan prints one line per entry; the console's own
    /// writer flushes on every call). Progress is drawn on stderr, and only when neither stream is redirected, so piped
    /// or captured output never contains escape sequences.
    /// </summary>
    public static ToolOutput ForConsole()
    {
        var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), bufferSize: 64 * 1024) { AutoFlush = false };
        IProgressDisplay progress = SilentProgress.Instance;
        if (!Console.IsOutputRedirected && !Console.IsErrorRedirected)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            if (console.Profile.Capabilities.Interactive)
            {
                progress = new SpectreProgressDisplay(console);
            }
        }

        return new ToolOutput(output, Console.Error, progress);
    }
}
