using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Query;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// Queryable operators this provider refuses, each with the reason and the workaround a user reads. EF's navigation
/// expansion rejects some of them before the translator sees them (SkipWhile, TakeWhile, DefaultIfEmpty with a value),
/// with its generic "could not be translated" and no details, so the preprocessor finds them first and raises EF's error
/// with these details; the translator uses the same text for any that reach it.
/// </summary>
internal static class LsmRefusedOperators
{
    public const string SkipWhile = "SkipWhile is not supported by EFCore.Lsm; use Where, or run it on the client after AsEnumerable().";

    public const string TakeWhile = "TakeWhile is not supported by EFCore.Lsm; use Where, or run it on the client after AsEnumerable().";

    public const string DefaultIfEmptyWithValue =
        "DefaultIfEmpty with a default value is not supported by EFCore.Lsm; use DefaultIfEmpty() and replace null on the client.";

    public const string RightJoin = "RightJoin is not supported by EFCore.Lsm; swap the two sides and use LeftJoin.";

    /// <summary>Throws EF's translation error, with the details, for the first refused Queryable operator in the query.</summary>
    public static void ThrowIfAny(Expression query) => new Finder().Visit(query);

    private sealed class Finder : ExpressionVisitor
    {
        protected override Expression VisitMethodCall(MethodCallExpression node)
        {
            if (node.Method.DeclaringType == typeof(Queryable) && Details(node) is { } details)
            {
                throw new InvalidOperationException(CoreStrings.TranslationFailedWithDetails(node.Print(), details));
            }

            return base.VisitMethodCall(node);
        }

        // Query roots and parameters hold no operators; EF's irreducible nodes are not walked into.
        protected override Expression VisitExtension(Expression node) => node.CanReduce ? base.VisitExtension(node) : node;

        private static string? Details(MethodCallExpression node) => node.Method.Name switch
        {
            nameof(Queryable.SkipWhile) => SkipWhile,
            nameof(Queryable.TakeWhile) => TakeWhile,
            nameof(Queryable.DefaultIfEmpty) when node.Arguments.Count == 2 => DefaultIfEmptyWithValue,
            _ => null,
        };
    }
}
