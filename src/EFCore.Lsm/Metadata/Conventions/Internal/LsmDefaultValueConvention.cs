using EFCore.Lsm.Metadata.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;

namespace EFCore.Lsm.Metadata.Conventions.Internal;

/// <summary>
/// A property with <c>HasDefaultValue</c> is generated on add, as relational providers make it: an insert that leaves it
/// at its sentinel stores the default (RowWriteBuilder), and rows written before the property existed read it.
/// </summary>
internal sealed class LsmDefaultValueConvention : IPropertyAnnotationChangedConvention
{
    public void ProcessPropertyAnnotationChanged(
        IConventionPropertyBuilder propertyBuilder,
        string name,
        IConventionAnnotation? annotation,
        IConventionAnnotation? oldAnnotation,
        IConventionContext<IConventionAnnotation> context)
    {
        if (name == LsmTableNames.DefaultValueAnnotation)
        {
            propertyBuilder.ValueGenerated(annotation is null ? null : ValueGenerated.OnAdd);
        }
    }
}
