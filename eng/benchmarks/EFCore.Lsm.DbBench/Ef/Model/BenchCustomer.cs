namespace EFCore.Lsm.DbBench.Ef.Model;

/// <summary>The one entity of the EF workloads; every provider stores the same rows (see <see cref="BenchData"/>).</summary>
internal sealed class BenchCustomer
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public string City { get; set; } = "";

    /// <summary>Indexed (the one secondary index of the model): what ef-indexed queries by.</summary>
    public string Region { get; set; } = "";

    public decimal Balance { get; set; }

    public DateTime Created { get; set; }

    public List<BenchOrder> Orders { get; set; } = [];
}
