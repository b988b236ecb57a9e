using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace EFCore.Lsm.FunctionalTests.Migrations.Orders;

[DbContext(typeof(OrdersContext))]
[Migration("20250101000001_Initial")]
public sealed class Initial : Migration
{
    public static readonly object?[,] Rows =
    {
        { 1, 1, 1, "n1", 5 },
        { 2, 1, 2, "n2", 7 },
        { 3, 2, 1, null, 1 },
        { 4, 2, 2, "n4", 2 },
        { 5, 3, 1, "n5", 9 },
        { 6, 3, 7, "n6", 4 },
    };

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "Orders",
            columns: table => new
            {
                Id = table.Column<int>(nullable: false),
                CustomerId = table.Column<int>(nullable: false),
                Number = table.Column<int>(nullable: false),
                Note = table.Column<string>(nullable: true),
                Quantity = table.Column<int>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_Orders", x => x.Id));
        migrationBuilder.CreateIndex(name: "IX_Orders_CustomerId", table: "Orders", column: "CustomerId");
        migrationBuilder.InsertData(
            table: "Orders", columns: ["Id", "CustomerId", "Number", "Note", "Quantity"], values: Rows);
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable(name: "Orders");
}

[DbContext(typeof(OrdersContext))]
[Migration("20250101000002_RenameNote")]
public sealed class RenameNote : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.RenameColumn(name: "Note", table: "Orders", newName: "Remark");
        migrationBuilder.AddColumn<int>(name: "Priority", table: "Orders", nullable: false, defaultValue: 3);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropColumn(name: "Priority", table: "Orders");
        migrationBuilder.RenameColumn(name: "Remark", table: "Orders", newName: "Note");
    }
}

[DbContext(typeof(OrdersContext))]
[Migration("20250101000003_WidenQuantity")]
public sealed class WidenQuantity : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AlterColumn<long>(name: "Quantity", table: "Orders", nullable: false, oldClrType: typeof(int));

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AlterColumn<int>(name: "Quantity", table: "Orders", nullable: false, oldClrType: typeof(long));
}

[DbContext(typeof(OrdersContext))]
[Migration("20250101000004_Rekey")]
public sealed class Rekey : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex(name: "IX_Orders_CustomerId", table: "Orders");
        migrationBuilder.DropPrimaryKey(name: "PK_Orders", table: "Orders");
        migrationBuilder.AddPrimaryKey(name: "PK_Orders", table: "Orders", columns: ["CustomerId", "Number"]);
        migrationBuilder.CreateIndex(name: "IX_Orders_Remark", table: "Orders", column: "Remark");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex(name: "IX_Orders_Remark", table: "Orders");
        migrationBuilder.DropPrimaryKey(name: "PK_Orders", table: "Orders");
        migrationBuilder.AddPrimaryKey(name: "PK_Orders", table: "Orders", column: "Id");
        migrationBuilder.CreateIndex(name: "IX_Orders_CustomerId", table: "Orders", column: "CustomerId");
    }
}

[DbContext(typeof(OrdersContext))]
[Migration("20250101000005_Backfill")]
public sealed class Backfill : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.LsmOperation("double every quantity", m => m.UpdateRows("Orders", row => row["Quantity"] = (long)row["Quantity"]! * 2));
        migrationBuilder.UpdateData(table: "Orders", keyColumns: ["CustomerId", "Number"], keyValues: [1, 1], column: "Remark", value: "updated");
        migrationBuilder.DeleteData(table: "Orders", keyColumns: ["CustomerId", "Number"], keyValues: [3, 1]);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.InsertData(
            table: "Orders", columns: ["Id", "CustomerId", "Number", "Remark", "Quantity"], values: [5, 3, 1, "n5", 18]);
        migrationBuilder.UpdateData(table: "Orders", keyColumns: ["CustomerId", "Number"], keyValues: [1, 1], column: "Remark", value: "n1");
        migrationBuilder.LsmOperation("halve every quantity", m => m.UpdateRows("Orders", row => row["Quantity"] = (long)row["Quantity"]! / 2));
    }
}
