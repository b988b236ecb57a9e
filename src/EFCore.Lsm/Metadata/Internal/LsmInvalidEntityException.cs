using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace EFCore.Lsm.Metadata.Internal;

/// <summary>
/// An entity's value cannot be stored (a null key part, a key over the size limit, a string with a lone surrogate).
/// Raised while a save is validated, before anything is written; <c>SaveChanges</c> wraps it in a
/// <see cref="DbUpdateException"/> that carries the entry.
/// </summary>
public sealed class LsmInvalidEntityException : ArgumentException
{
    public LsmInvalidEntityException(IReadOnlyEntityType entityType, IReadOnlyProperty property, string reason, Exception? inner = null)
        : base($"The entity type '{entityType.DisplayName()}' cannot be saved: property '{property.Name}': {reason}", inner)
    {
        EntityTypeName = entityType.DisplayName();
        PropertyName = property.Name;
    }

    public string EntityTypeName { get; }

    public string PropertyName { get; }
}
