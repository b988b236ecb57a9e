namespace EFCore.Lsm.DbBench.Ef.Model.Rekey;

/// <summary>
/// The row of the ef-rekey workload: a customer of <see cref="BenchData"/> with the tenant it belongs to. Keyed by Id before
/// the migration and by (TenantId, Id) after it; Region is indexed before and after.
/// </summary>
internal sealed class RekeyOrder
{
    /// <summary>Tenants the rows are spread over (row i belongs to tenant i mod this).</summary>
    public const int Tenants = 100;

    public int TenantId { get; set; }

    public int Id { get; set; }

    public string Name { get; set; } = "";

    public string City { get; set; } = "";

    public string Region { get; set; } = "";

    public decimal Balance { get; set; }

    public DateTime Created { get; set; }

    public static RekeyOrder From(BenchCustomer customer) => new()
    {
        TenantId = customer.Id % Tenants,
        Id = customer.Id,
        Name = customer.Name,
        City = customer.City,
        Region = customer.Region,
        Balance = customer.Balance,
        Created = customer.Created,
    };
}
