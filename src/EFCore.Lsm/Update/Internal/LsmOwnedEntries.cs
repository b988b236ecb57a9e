using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking.Internal;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Update;

namespace EFCore.Lsm.Update.Internal;

/// <summary>
/// The owned entities of an owner's entry as the change tracker has them: an owned entity is stored inside its owner's row
/// (docs/row_encoding.md, "Owned values"), so writing the row reads the entries its owned navigations point to, and a change
/// of an owned entity rewrites its owner's row (<see cref="RootOwner"/>).
/// </summary>
internal static class LsmOwnedEntries
{
#pragma warning disable EF1001 // The state manager is how an update entry finds the entries of the entities its navigations hold.
    /// <summary>The entry of the owned entity <paramref name="owner"/>'s navigation holds, or null (none, or deleted).</summary>
    public static IUpdateEntry? Reference(IUpdateEntry owner, INavigation navigation)
    {
        if (navigation.IsShadowProperty() || owner.GetCurrentValue(navigation) is not { } value)
        {
            return null;
        }

        return Live(((InternalEntityEntry)owner).StateManager.TryGetEntry(value, navigation.TargetEntityType));
    }

    /// <summary>The entries of the owned collection <paramref name="owner"/>'s navigation holds, in its order.</summary>
    public static IReadOnlyList<IUpdateEntry> Collection(IUpdateEntry owner, INavigation navigation)
    {
        if (navigation.IsShadowProperty() || owner.GetCurrentValue(navigation) is not System.Collections.IEnumerable values)
        {
            return [];
        }

        var stateManager = ((InternalEntityEntry)owner).StateManager;
        var entries = new List<IUpdateEntry>();
        foreach (var value in values)
        {
            if (value is not null && Live(stateManager.TryGetEntry(value, navigation.TargetEntityType)) is { } entry)
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    /// <summary>
    /// The entry of the entity whose row stores the owned entity of <paramref name="entry"/> (its owner, or its owner's owner
    /// for a nested one). Throws naming the owned type when the owner is not tracked: an owned entity cannot be saved alone.
    /// </summary>
    public static IUpdateEntry RootOwner(IUpdateEntry entry)
    {
        var current = (InternalEntityEntry)entry;
        while (current.EntityType.IsOwned())
        {
            var ownership = current.EntityType.FindOwnership()!;
            current = current.StateManager.FindPrincipal(current, ownership) ?? throw new InvalidOperationException(
                $"The owned entity '{entry.EntityType.DisplayName()}' cannot be saved without its owner "
                + $"'{ownership.PrincipalEntityType.DisplayName()}': owned entities are stored in their owner's row. Add it through the "
                + $"owner's navigation '{ownership.PrincipalToDependent?.Name}'.");
        }

        return current;
    }

    private static IUpdateEntry? Live(InternalEntityEntry? entry) =>
        entry is null || entry.EntityState is EntityState.Deleted or EntityState.Detached ? null : entry;
#pragma warning restore EF1001
}

