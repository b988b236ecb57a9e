using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace EFCore.Lsm.FunctionalTests.Migrations.Blobs;

[DbContext(typeof(BlobsContext))]
[Migration("20250201000001_Initial")]
public sealed class BlobsInitial : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "Blobs",
            columns: table => new
            {
                Id = table.Column<int>(nullable: false),
                Shelf = table.Column<int>(nullable: false),
                Number = table.Column<int>(nullable: false),
                Label = table.Column<string>(nullable: false),
                Data = table.Column<byte[]>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_Blobs", x => x.Id));
        migrationBuilder.InsertData(table: "Blobs", columns: ["Id", "Shelf", "Number", "Label", "Data"], values: Blob.Rows());
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable(name: "Blobs");
}

[DbContext(typeof(BlobsContext))]
[Migration("20250201000002_Rekey")]
public sealed class BlobsRekey : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropPrimaryKey(name: "PK_Blobs", table: "Blobs");
        migrationBuilder.AddPrimaryKey(name: "PK_Blobs", table: "Blobs", columns: ["Shelf", "Number"]);
        migrationBuilder.CreateIndex(name: "IX_Blobs_Label", table: "Blobs", column: "Label");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex(name: "IX_Blobs_Label", table: "Blobs");
        migrationBuilder.DropPrimaryKey(name: "PK_Blobs", table: "Blobs");
        migrationBuilder.AddPrimaryKey(name: "PK_Blobs", table: "Blobs", column: "Id");
    }
}
