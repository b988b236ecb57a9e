using Microsoft.EntityFrameworkCore.Diagnostics;

namespace EFCore.Lsm.Diagnostics.Internal;

/// <summary>
/// The provider's cached log event definitions (none of its own yet; the query plan events come with the query pipeline).
/// </summary>
internal sealed class LsmLoggingDefinitions : LoggingDefinitions;
