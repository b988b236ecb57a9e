using EFCore.Lsm.Engine;
using EFCore.Lsm.KeyEncoding.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Tool.Output;

namespace EFCore.Lsm.Tool.Commands;

/// <summary>
/// Runs a command body and turns every failure into one line on stderr and an exit code (<see cref="ExitCodes"/>):
/// an operator sees what is wrong and which file, never a stack trace.
/// </summary>
internal static class CommandRunner
{
    public static int Run(ToolOutput output, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (ToolException e)
        {
            return Fail(output, e.ExitCode, e.Message);
        }
        catch (LsmNotADatabaseException e)
        {
            return Fail(output, ExitCodes.BadInput, e.Message);
        }
        catch (LsmException e) when (e.IsDatabaseInUse)
        {
            return Fail(output, ExitCodes.DatabaseInUse, e.Message);
        }
        catch (LsmCorruptionException e)
        {
            return Fail(output, ExitCodes.Corruption, Describe(e));
        }
        catch (Exception e) when (e is LsmStoredDataException or LsmKeyFormatException)
        {
            // The provider's own check of what it reads back: a damaged or newer-format catalog, row or key.
            return Fail(output, ExitCodes.Corruption, e.Message);
        }
        catch (LsmException e)
        {
            return Fail(output, ExitCodes.Failure, e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(output, ExitCodes.Failure, e.Message);
        }
#pragma warning disable CA1031 // The tool's top level: anything unforeseen still becomes one line and an exit code.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return Fail(output, ExitCodes.Failure, $"unexpected {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            output.Out.Flush();
        }
    }

    /// <summary>"corruption in 000007.sst at offset 4096: data block checksum mismatch".</summary>
    public static string Describe(LsmCorruptionException e)
        => $"corruption in {Path.GetFileName(e.FileName)} at offset {e.Offset}: {e.Reason}";

    /// <summary>
    /// Writes <paramref name="message"/> as one error line (embedded line breaks folded) and returns <paramref name="exitCode"/>.
    /// </summary>
    public static int Fail(ToolOutput output, int exitCode, string message)
    {
        output.Out.Flush();
        output.Error.WriteLine("error: " + OneLine(message));
        output.Error.Flush();
        return exitCode;
    }

    public static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
