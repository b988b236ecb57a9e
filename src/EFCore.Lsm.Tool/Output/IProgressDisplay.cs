namespace EFCore.Lsm.Tool.Output;

/// <summary>
/// Shows how far a long operation (verify, compact, counting scan) has got. The console implementation draws a Spectre
/// progress bar on stderr; tests and redirected output use <see cref="SilentProgress"/>, so results never depend on it.
/// </summary>
internal interface IProgressDisplay
{
    /// <summary>
    /// Runs <paramref name="work"/> while showing <paramref name="description"/>. <paramref name="total"/> is the amount the
    /// work will advance by (bytes, files); 0 or less shows an indeterminate spinner.
    /// </summary>
    void Run(string description, long total, Action<IProgressReporter> work);
}

/// <summary>What the work inside <see cref="IProgressDisplay.Run"/> reports; cheap enough to call per file or per batch.</summary>
internal interface IProgressReporter
{
    void Advance(long amount);

    /// <summary>Replaces the description, e.g. with the file being processed.</summary>
    void Describe(string text);
}

/// <summary>Runs the work with no display at all.</summary>
internal sealed class SilentProgress : IProgressDisplay, IProgressReporter
{
    public static readonly SilentProgress Instance = new();

    private SilentProgress()
    {
    }

    public void Run(string description, long total, Action<IProgressReporter> work) => work(this);

    public void Advance(long amount)
    {
    }

    public void Describe(string text)
    {
    }
}
