namespace EFCore.Lsm.Tool;

/// <summary>The process exit codes of <c>lsm</c>; scripts branch on them, so keep the values stable.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Bad command line or input: unknown option, malformed hex, a missing folder, a folder that is not a database.</summary>
    public const int BadInput = 1;

    /// <summary>A file failed a checksum or did not parse (<c>verify</c> found problems, or a command met corruption).</summary>
    public const int Corruption = 2;

    /// <summary>The database is open in another process (or elsewhere in this one).</summary>
    public const int DatabaseInUse = 3;

    /// <summary><c>get</c> found no value for the key.</summary>
    public const int NotFound = 4;

    /// <summary>Any other failure: I/O errors, a database in its read-only error state.</summary>
    public const int Failure = 5;
}
