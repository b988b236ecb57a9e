using Microsoft.EntityFrameworkCore.Metadata;

namespace EFCore.Lsm.Metadata.Internal;

/// <summary>Finds the CLR type behind a provider type name recorded in the catalog (a <c>Type.FullName</c>).</summary>
internal static class ProviderTypes
{
    /// <summary>
    /// The type named <paramref name="fullName"/>: a framework type, or one a property of <paramref name="model"/> is stored
    /// as (a user enum), or one of the loaded assemblies'. Null when none has that name.
    /// </summary>
    public static Type? Resolve(string fullName, IReadOnlyModel? model)
    {
        if (Type.GetType(fullName) is { } type)
        {
            return type;
        }

        if (model is not null)
        {
            foreach (var entityType in model.GetEntityTypes())
            {
                foreach (var property in entityType.GetDeclaredProperties())
                {
                    var candidate = Nullable.GetUnderlyingType(property.ClrType) ?? property.ClrType;
                    if (candidate.FullName == fullName)
                    {
                        return candidate;
                    }
                }
            }
        }

        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (!assembly.IsDynamic && assembly.GetType(fullName) is { } found)
            {
                return found;
            }
        }

        return null;
    }
}
