using EFCore.Lsm.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Migrations.Blobs;

/// <summary>A wide row: a 16 KiB blob and a 3 000-character indexed label, so a migration's batches are large in bytes, not rows.</summary>
public sealed class Blob
{
    public const int Count = 48;

    public const int DataBytes = 16 * 1024;

    public const int LabelChars = 3000;

    public int Id { get; set; }

    public int Shelf { get; set; }

    public int Number { get; set; }

    public string Label { get; set; } = "";

    public byte[] Data { get; set; } = [];

    public static object?[,] Rows()
    {
        var rows = new object?[Count, 5];
        for (var i = 0; i < Count; i++)
        {
            rows[i, 0] = i + 1;
            rows[i, 1] = i % 4;
            rows[i, 2] = i / 4;
            rows[i, 3] = LabelOf(i + 1);
            rows[i, 4] = DataOf(i + 1);
        }

        return rows;
    }

    public static string LabelOf(int id) => id.ToString("D4", System.Globalization.CultureInfo.InvariantCulture) + new string((char)('a' + (id % 26)), LabelChars - 4);

    public static byte[] DataOf(int id)
    {
        var data = new byte[DataBytes];
        new Random(id).NextBytes(data);
        return data;
    }
}

/// <summary>The model after the migrations of this folder: blobs re-keyed to (Shelf, Number), with an index on the label.</summary>
public sealed class BlobsContext(string path, Action<LsmDbContextOptionsBuilder>? lsm = null, Action<DbContextOptionsBuilder>? options = null)
    : DbContext
{
    public DbSet<Blob> Blobs => Set<Blob>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
    {
        optionsBuilder.UseLsm(path, o => lsm?.Invoke(o));
        options?.Invoke(optionsBuilder);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var blob = modelBuilder.Entity<Blob>();
        blob.HasKey(b => new { b.Shelf, b.Number });
        blob.Property(b => b.Id).ValueGeneratedNever();
        blob.HasIndex(b => b.Label);
    }
}
