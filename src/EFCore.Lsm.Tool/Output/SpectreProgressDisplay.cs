using Spectre.Console;

namespace EFCore.Lsm.Tool.Output;

/// <summary>A Spectre.Console progress bar (or spinner when the total is unknown), drawn on the console it is given.</summary>
internal sealed class SpectreProgressDisplay(IAnsiConsole console) : IProgressDisplay
{
    public void Run(string description, long total, Action<IProgressReporter> work)
    {
        console.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(description), maxValue: Math.Max(total, 1));
                task.IsIndeterminate = total <= 0;
                work(new Reporter(task));
                task.Value = task.MaxValue;
            });
    }

    private sealed class Reporter(ProgressTask task) : IProgressReporter
    {
        public void Advance(long amount) => task.Increment(amount);

        public void Describe(string text) => task.Description = Markup.Escape(text);
    }
}
