using EFCore.Lsm.KeyEncoding.Internal;

namespace EFCore.Lsm.Tool.Entities;

/// <summary>
/// The <c>--where-key</c> conditions of <c>lsm scan --entity</c>, turned into one byte range of the entity's keyspace the
/// way the provider's planner bounds a key range (docs/key_encoding.md, "Ranges"): equality on a leading run of key parts
/// (<c>CustomerId=2</c>), then at most a lower and an upper bound on the next part (<c>Number&gt;=10</c>, <c>Number&lt;20</c>).
/// Anything else is refused, since it would not be one range.
/// </summary>
internal static class KeyConditions
{
    private static readonly string[] Operators = ["<=", ">=", "=", "<", ">"];

    /// <summary>The [lower, upper) byte range of the rows that satisfy every condition.</summary>
    public static (byte[] Lower, byte[] Upper) ToRange(StoredEntity entity, IReadOnlyList<string> conditions)
    {
        var parsed = conditions.Select(c => Parse(entity, c)).ToList();
        var equal = new List<object>();
        var part = 0;
        while (part < entity.KeyParts.Count && parsed.Where(c => c.Part == part).ToList() is { Count: > 0 } onPart
               && onPart.All(c => c.Operator == "="))
        {
            if (onPart.Count > 1)
            {
                throw Refused(entity, $"'{entity.KeyParts[part].Name}' has more than one equality condition");
            }

            equal.Add(onPart[0].Value);
            part++;
        }

        var prefix = entity.EncodePrefix(equal);
        var lower = prefix;
        var upper = KeyRange.AfterParts(prefix);
        var ranged = parsed.Where(c => c.Part == part).ToList();
        foreach (var condition in ranged)
        {
            var bound = entity.EncodePrefix([.. equal, condition.Value]);
            switch (condition.Operator)
            {
                case ">=" when ReferenceEquals(lower, prefix):
                    lower = bound;
                    break;
                case ">" when ReferenceEquals(lower, prefix):
                    lower = KeyRange.AfterParts(bound);
                    break;
                case "<" when upper.AsSpan().SequenceEqual(KeyRange.AfterParts(prefix)):
                    upper = bound;
                    break;
                case "<=" when upper.AsSpan().SequenceEqual(KeyRange.AfterParts(prefix)):
                    upper = KeyRange.AfterParts(bound);
                    break;
                default:
                    throw Refused(entity, $"'{condition.Text}' mixes equality with a range, or repeats a bound, on '{entity.KeyParts[part].Name}'");
            }
        }

        var laterIndex = parsed.FindIndex(c => c.Part > part);
        if (laterIndex >= 0)
        {
            var later = parsed[laterIndex];
            throw Refused(
                entity,
                $"'{later.Text}' constrains '{entity.KeyParts[later.Part].Name}', but the key parts before it are not all fixed by '='");
        }

        return (lower, upper);
    }

    private static (int Part, string Operator, object Value, string Text) Parse(StoredEntity entity, string condition)
    {
        var (index, op) = Operators
            .Select(o => (Index: condition.IndexOf(o, StringComparison.Ordinal), Operator: o))
            .Where(o => o.Index > 0)
            .OrderBy(o => o.Index)
            .ThenByDescending(o => o.Operator.Length)
            .FirstOrDefault();
        if (op is null)
        {
            throw new ToolException(
                ExitCodes.BadInput,
                $"--where-key '{condition}' is not 'Property=value' (or <, <=, >, >=) on a key property of '{entity.Name}' {entity.DescribeKey()}.");
        }

        var name = condition[..index].Trim();
        var text = condition[(index + op.Length)..];
        var part = FindPart(entity, name, condition);
        return (part, op, entity.KeyParts[part].ParseKeyValue(text), condition);
    }

    private static int FindPart(StoredEntity entity, string name, string condition)
    {
        for (var pass = 0; pass < 2; pass++)
        {
            var comparison = pass == 0 ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
            for (var i = 0; i < entity.KeyParts.Count; i++)
            {
                if (string.Equals(entity.KeyParts[i].Name, name, comparison))
                {
                    return i;
                }
            }
        }

        throw new ToolException(
            ExitCodes.BadInput,
            $"--where-key '{condition}': '{name}' is not a key property of '{entity.Name}', whose key is {entity.DescribeKey()}; "
            + "conditions on other properties would need a full scan (filter the output instead).");
    }

    private static ToolException Refused(StoredEntity entity, string reason) =>
        new(ExitCodes.BadInput, $"--where-key: {reason}. The conditions must be one key range of '{entity.Name}' {entity.DescribeKey()}: "
            + "'=' on leading key parts, then at most one lower and one upper bound on the next part.");
}
