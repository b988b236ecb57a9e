using EFCore.Lsm.Engine.Storage;

namespace EFCore.Lsm.Engine.Manifest;

/// <summary>
/// Reads a database without its lock while another process may be writing it: a read-only open, and the tool's
/// <c>info</c> and <c>verify</c>. A writer deletes a table or WAL only after a manifest edit that retires it, and switches
/// manifests only through CURRENT, so any file that vanished under a reader, or any state that looked damaged, is
/// explained by a change of CURRENT or of the manifest's length while the reader ran. Such an attempt is retried from
/// CURRENT; one during which neither changed is believed (the damage is real). A writer that keeps changing the database
/// through every attempt is reported as such: "in use", never as damage.
/// </summary>
internal static class ConsistentRead
{
    public const int MaxAttempts = 20;

    /// <summary>Attempts a file that vanished is retried for while CURRENT and the manifest stay the same.</summary>
    public const int VanishedFileAttempts = 3;

    /// <summary>
    /// Runs <paramref name="attempt"/> until it gives an answer that no concurrent change can explain: it succeeds and
    /// its result is not <paramref name="doubtful"/>, or it fails (or is doubtful) while CURRENT and the manifest stayed
    /// the same. <paramref name="abandon"/> releases what a discarded attempt produced.
    /// </summary>
    public static T Run<T>(IFileSystem fs, string dbPath, Func<T> attempt, Func<T, bool>? doubtful = null, Action<T>? abandon = null)
    {
        for (var i = 1; ; i++)
        {
            var before = Mark.Read(fs, dbPath);
            T result;
            try
            {
                result = attempt();
            }
            // A file the attempt listed and then could not open (FileNotFoundException, an IOException) vanished just as a
            // damaged one would: both are retried when a writer moved on meanwhile. A vanished file is also retried a few
            // times when nothing moved: the writer deletes a file only after the edit retiring it, and that edit may have
            // come just before this attempt's mark while the deletion came after its listing; a new listing lacks it.
            catch (Exception e) when (e is LsmException or IOException
                && (Mark.Read(fs, dbPath) != before || (e is IOException && i < VanishedFileAttempts)))
            {
                ThrowIfExhausted(dbPath, i);
                continue;
            }

            if (doubtful is null || !doubtful(result) || Mark.Read(fs, dbPath) == before)
            {
                return result;
            }

            abandon?.Invoke(result);
            ThrowIfExhausted(dbPath, i);
        }
    }

    private static void ThrowIfExhausted(string dbPath, int attempt)
    {
        if (attempt >= MaxAttempts)
        {
            throw LsmException.DatabaseInUse(
                dbPath,
                $"a writer changed its manifest during each of {MaxAttempts} attempts to read it without a lock",
                advice: "Retry when it is less busy.");
        }
    }

    /// <summary>What a writer must change before it deletes or replaces a file: CURRENT's content and the manifest's length.</summary>
    private readonly record struct Mark(string Current, long ManifestLength)
    {
        public static Mark Read(IFileSystem fs, string dbPath)
        {
            try
            {
                var manifest = CurrentFile.Read(fs, dbPath);
                var path = Path.Combine(dbPath, manifest);
                return new Mark(manifest, fs.FileExists(path) ? fs.GetFileSize(path) : -1);
            }
            catch (Exception e) when (e is LsmException or IOException)
            {
                return new Mark(e.Message, -1);
            }
        }
    }
}
