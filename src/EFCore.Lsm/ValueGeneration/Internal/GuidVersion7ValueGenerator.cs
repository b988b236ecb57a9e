using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.ValueGeneration;

namespace EFCore.Lsm.ValueGeneration.Internal;

/// <summary>Version 7 Guids: the key encoding writes Guids big-endian, so these sort by creation time.</summary>
internal sealed class GuidVersion7ValueGenerator : ValueGenerator<Guid>
{
    public override bool GeneratesTemporaryValues => false;

    public override Guid Next(EntityEntry entry) => Guid.CreateVersion7();
}
