namespace EFCore.Lsm.Engine.Tests.TestUtilities;

/// <summary>
/// A test too long for CI (minutes, gigabytes). It runs when the environment variable <c>LSM_LONG_TESTS=1</c> is set,
/// e.g. <c>LSM_LONG_TESTS=1 dotnet test test/EFCore.Lsm.Engine.Tests -c Release --filter "Category=Long"</c>.
/// </summary>
public sealed class LongFactAttribute : FactAttribute
{
    public LongFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("LSM_LONG_TESTS") != "1")
        {
            Skip = "Long test: set LSM_LONG_TESTS=1 to run it.";
        }
    }
}
