using System.Reflection;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Design.Internal;

/// <summary>
/// The type mapping source EF's C# generators ask a relational provider for: the provider's own mappings, and no store
/// types (an EFCore.Lsm database has none; migrations record CLR types, as the catalog does).
/// </summary>
internal sealed class LsmDesignTimeTypeMappingSource(ITypeMappingSource inner) : IRelationalTypeMappingSource
{
    public CoreTypeMapping? FindMapping(IElementType elementType) => inner.FindMapping(elementType);

    public CoreTypeMapping? FindMapping(MemberInfo member, IModel model, bool useAttributes) => inner.FindMapping(member, model, useAttributes);

    CoreTypeMapping? ITypeMappingSource.FindMapping(IProperty property) => inner.FindMapping(property);

    [Obsolete("Use overload with IModel")]
    CoreTypeMapping? ITypeMappingSource.FindMapping(MemberInfo member) => inner.FindMapping(member);

    CoreTypeMapping? ITypeMappingSource.FindMapping(Type type) => inner.FindMapping(type);

    CoreTypeMapping? ITypeMappingSource.FindMapping(Type type, IModel model, CoreTypeMapping? elementMapping) =>
        inner.FindMapping(type, model, elementMapping);

    public RelationalTypeMapping? FindMapping(IProperty property) => null;

    public RelationalTypeMapping? FindMapping(MemberInfo member) => null;

    public RelationalTypeMapping? FindMapping(Type type) => null;

    public RelationalTypeMapping? FindMapping(Type type, IModel model, CoreTypeMapping? elementMapping = null) => null;

    public RelationalTypeMapping? FindMapping(string storeTypeName) => null;

    public RelationalTypeMapping? FindMapping(
        Type type, string? storeTypeName, bool keyOrIndex = false, bool? unicode = null, int? size = null, bool? rowVersion = null,
        bool? fixedLength = null, int? precision = null, int? scale = null) => null;
}
