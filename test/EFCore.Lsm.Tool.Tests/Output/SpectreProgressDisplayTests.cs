using EFCore.Lsm.Tool.Output;
using Spectre.Console;

namespace EFCore.Lsm.Tool.Tests.Output;

public class SpectreProgressDisplayTests
{
    [Fact]
    public void Work_runs_once_and_its_result_is_kept_whatever_the_console_can_do()
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            Interactive = InteractionSupport.No,
        });
        var display = new SpectreProgressDisplay(console);
        var runs = 0;
        display.Run("Verifying [files]", 100, progress =>
        {
            runs++;
            progress.Describe("Verifying 000007.sst [with brackets]");
            progress.Advance(60);
            progress.Advance(40);
        });
        display.Run("Counting", 0, _ => runs++);
        Assert.Equal(2, runs);
    }

    [Fact]
    public void A_failure_inside_the_work_propagates()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(new StringWriter()),
            Interactive = InteractionSupport.No,
        });
        var display = new SpectreProgressDisplay(console);
        Assert.Throws<InvalidOperationException>(() => display.Run("x", 1, _ => throw new InvalidOperationException("boom")));
    }
}
