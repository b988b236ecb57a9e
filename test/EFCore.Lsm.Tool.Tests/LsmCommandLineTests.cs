using EFCore.Lsm.Tool.Tests.TestUtilities;

namespace EFCore.Lsm.Tool.Tests;

/// <summary>End to end through System.CommandLine, so the parser setup cannot rot away from the handlers.</summary>
public sealed class LsmCommandLineTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public LsmCommandLineTests() => SampleDatabase.Create(_folder);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Scan_with_limit_is_parsed_and_invoked()
    {
        var run = new ToolRun();
        Assert.Equal(0, LsmCommandLine.Invoke(["scan", _folder.DbPath, "--limit", "2"], run.Output));
        Assert.Equal(2, run.OutLines.Length);
        Assert.StartsWith("user/00002 => value-2.", run.OutLines[0], StringComparison.Ordinal);
        Assert.StartsWith("user/00003 => value-3.", run.OutLines[1], StringComparison.Ordinal);
        Assert.Empty(run.Error);
    }

    [Theory]
    [InlineData(new[] { "scan", "{db}", "--prefix", "wal/", "--keys-only" }, 0, "wal/batch-1\nwal/batch-2\n")]
    [InlineData(new[] { "scan", "{db}", "--from", "0x77", "--count" }, 0, "2\n")]
    [InlineData(new[] { "scan", "{db}", "--prefix", "77616C2F", "--hex", "--keys-only", "--limit", "1" }, 0, "0x77616C2F62617463682D31\n")]
    [InlineData(new[] { "get", "{db}", "wal/batch-1" }, 0, "b1\n")]
    [InlineData(new[] { "get", "{db}", "user/00001" }, ExitCodes.NotFound, "")]
    public void Commands_and_options_reach_their_handlers(string[] args, int exitCode, string output)
    {
        var run = new ToolRun();
        Assert.Equal(exitCode, LsmCommandLine.Invoke(WithDatabase(args), run.Output));
        Assert.Equal(output, run.Out);
    }

    [Theory]
    [InlineData("info")]
    [InlineData("verify")]
    [InlineData("stats")]
    [InlineData("dump-wal")]
    [InlineData("compact")]
    public void Every_command_runs_through_the_parser(string command)
    {
        var run = new ToolRun();
        Assert.Equal(0, LsmCommandLine.Invoke([command, _folder.DbPath], run.Output));
        Assert.NotEmpty(run.Out);
        Assert.Empty(run.Error);
    }

    [Fact]
    public void Dump_sst_takes_a_file_number_and_the_entries_flag()
    {
        var table = Path.GetFileNameWithoutExtension(Assert.Single(_folder.Files(".sst")));
        var run = new ToolRun();
        Assert.Equal(0, LsmCommandLine.Invoke(["dump-sst", _folder.DbPath, table, "--entries"], run.Output));
        Assert.Contains("  entries:", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_names_the_tool_and_lists_every_command()
    {
        var run = new ToolRun();
        Assert.Equal(0, LsmCommandLine.Invoke(["--help"], run.Output));
        Assert.Contains("lsm [command] [options]", run.Out, StringComparison.Ordinal);
        foreach (var command in new[] { "info", "get", "scan", "dump-wal", "dump-sst", "verify", "compact", "stats" })
        {
            Assert.Contains($"  {command} <db>", run.Out, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("scan", "{db}", "--limit", "many")]
    [InlineData("scan", "{db}", "--bogus")]
    [InlineData("get", "{db}")]
    [InlineData("frobnicate", "{db}")]
    public void Usage_errors_exit_non_zero_with_a_message(params string[] args)
    {
        var run = new ToolRun();
        var exit = LsmCommandLine.Invoke(WithDatabase(args), run.Output);
        Assert.NotEqual(0, exit);
        Assert.NotEmpty(run.Error);
    }

    private string[] WithDatabase(string[] args) => args.Select(a => a.Replace("{db}", _folder.DbPath, StringComparison.Ordinal)).ToArray();
}
