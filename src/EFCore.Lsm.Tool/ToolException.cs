namespace EFCore.Lsm.Tool;

/// <summary>
/// A failure the tool reports as one line on stderr with <see cref="ExitCode"/>: bad arguments, a folder that is not a
/// database, a file that cannot be found. The message is written as is, so it must name what was wrong.
/// </summary>
internal sealed class ToolException : Exception
{
    public ToolException(int exitCode, string message)
        : base(message)
    {
        ExitCode = exitCode;
    }

    public int ExitCode { get; }
}
