namespace EFCore.Lsm.DbBench.Ef.Model;

/// <summary>
/// An order of a customer (the model's one relationship): ef-include and ef-join seed <see cref="BenchData.OrdersPerCustomer"/>
/// of them for each of the first <see cref="BenchData.CustomersWithOrders"/> customers, and remove them when done. CustomerId
/// has EF's index per foreign key on every provider.
/// </summary>
internal sealed class BenchOrder
{
    public int Id { get; set; }

    public int CustomerId { get; set; }

    public BenchCustomer? Customer { get; set; }

    public int Amount { get; set; }
}
