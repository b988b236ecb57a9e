using EFCore.Lsm.Infrastructure.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace EFCore.Lsm.Design.Internal;

/// <summary>
/// The context's options as <c>dotnet ef migrations add|remove</c> reads them: EF's design tools take the migrations
/// assembly from a relational options extension, so the provider's <c>MigrationsAssembly</c> setting is shown to them as
/// one. Only EF's design tools read these options; no service provider is built from them.
/// </summary>
internal sealed class LsmDesignTimeMigrationsOptions : RelationalOptionsExtension
{
    private DbContextOptionsExtensionInfo? _info;

    public LsmDesignTimeMigrationsOptions()
    {
    }

    private LsmDesignTimeMigrationsOptions(LsmDesignTimeMigrationsOptions copyFrom)
        : base(copyFrom)
    {
    }

    public override DbContextOptionsExtensionInfo Info => _info ??= new ExtensionInfo(this);

    /// <summary><paramref name="options"/> with the extension added, carrying the provider's migrations assembly.</summary>
    public static IDbContextOptions For(IDbContextOptions options)
    {
        var assembly = options.FindExtension<LsmOptionsExtension>()?.MigrationsAssembly;
        var extension = (LsmDesignTimeMigrationsOptions)new LsmDesignTimeMigrationsOptions().WithMigrationsAssembly(assembly);
        return ((DbContextOptions)options).WithExtension(extension);
    }

    protected override RelationalOptionsExtension Clone() => new LsmDesignTimeMigrationsOptions(this);

    // Never applied: the options are read by the design tools, not used to build a service provider.
    public override void ApplyServices(IServiceCollection services)
    {
    }

    private sealed class ExtensionInfo(IDbContextOptionsExtension extension) : RelationalExtensionInfo(extension)
    {
        public override bool IsDatabaseProvider => false;

        public override void PopulateDebugInfo(IDictionary<string, string> debugInfo)
        {
        }
    }
}
