using EFCore.Lsm.Tool.Output;

namespace EFCore.Lsm.Tool.Tests.TestUtilities;

/// <summary>Captures what one command writes: <see cref="Output"/> goes to the handler, the text is read back after.</summary>
internal sealed class ToolRun
{
    private readonly StringWriter _out = new() { NewLine = "\n" };
    private readonly StringWriter _error = new() { NewLine = "\n" };

    public ToolRun()
    {
        Output = new ToolOutput(_out, _error, SilentProgress.Instance);
    }

    public ToolOutput Output { get; }

    public string Out => _out.ToString();

    public string Error => _error.ToString();

    public string[] OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// Asserts the run failed the way the tool promises: the exit code, and exactly one error line containing each fragment.
    /// </summary>
    public void AssertOneErrorLine(int exitCode, int expectedExitCode, params string[] fragments)
    {
        Assert.Equal(expectedExitCode, exitCode);
        var line = Assert.Single(ErrorLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        foreach (var fragment in fragments)
        {
            Assert.Contains(fragment, line, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("   at ", Error, StringComparison.Ordinal);
    }
}
