using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Query;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// EF's preprocessing, with <c>EF.Constant</c> allowed: the provider reads every query parameter when the query runs, so a
/// constant is simply a parameter whose value is fixed by the query's shape. Operators the provider refuses are reported
/// first, with their workaround (<see cref="LsmRefusedOperators"/>).
/// </summary>
internal sealed class LsmQueryTranslationPreprocessor(
    QueryTranslationPreprocessorDependencies dependencies, QueryCompilationContext queryCompilationContext)
    : QueryTranslationPreprocessor(dependencies, queryCompilationContext)
{
#pragma warning disable EF9002 // IsEfConstantSupported is a provider-facing experimental API.
    protected override bool IsEfConstantSupported => true;
#pragma warning restore EF9002

    public override Expression Process(Expression query)
    {
        LsmRefusedOperators.ThrowIfAny(query);
        return base.Process(query);
    }
}

/// <summary>Creates the provider's query preprocessor for each query compilation.</summary>
internal sealed class LsmQueryTranslationPreprocessorFactory(QueryTranslationPreprocessorDependencies dependencies)
    : IQueryTranslationPreprocessorFactory
{
    public QueryTranslationPreprocessor Create(QueryCompilationContext queryCompilationContext) =>
        new LsmQueryTranslationPreprocessor(dependencies, queryCompilationContext);
}
