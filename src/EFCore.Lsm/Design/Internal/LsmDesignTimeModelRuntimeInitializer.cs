using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace EFCore.Lsm.Design.Internal;

/// <summary>
/// Initialises models at design time as the provider does at run time, then gives each one the relational model EF's
/// migrations scaffolder asks it for (<c>GetRelationalModel()</c>) before handing it to the differ. The provider's differ
/// reads the model itself (<see cref="LsmMigrationsModelDiffer"/>), so that relational model is the model with no tables.
/// </summary>
internal sealed class LsmDesignTimeModelRuntimeInitializer(IModelRuntimeInitializer inner) : IModelRuntimeInitializer
{
    private const string RelationalModelAnnotation = "Relational:RelationalModel";

    public IModel Initialize(IModel model, bool designTime = true, IDiagnosticsLogger<DbLoggerCategory.Model.Validation>? validationLogger = null)
    {
        var initialized = inner.Initialize(model, designTime, validationLogger);
        return designTime ? WithModelPlaceholder(initialized) : initialized;
    }

    /// <summary><paramref name="model"/>, carrying an empty relational model that names it.</summary>
    public static IModel WithModelPlaceholder(IModel model)
    {
#pragma warning disable EF1001 // RelationalModel(model): an empty relational model; EF's design tools only pass it to the differ.
        model.GetOrAddRuntimeAnnotationValue(RelationalModelAnnotation, static m => (object)new Microsoft.EntityFrameworkCore.Metadata.Internal.RelationalModel(m!), model);
#pragma warning restore EF1001
        return model;
    }
}
