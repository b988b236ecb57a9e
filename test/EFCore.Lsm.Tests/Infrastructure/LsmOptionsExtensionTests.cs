using EFCore.Lsm.Infrastructure.Internal;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Tests.Infrastructure;

public sealed class LsmOptionsExtensionTests
{
    [Fact]
    public void UseLsm_records_path_and_settings_and_keeps_them_across_calls()
    {
        var builder = new DbContextOptionsBuilder()
            .UseLsm("a", lsm => lsm.SyncWrites(false).WriteBufferSize(1 << 20).BlockCacheSize(0));
        builder.UseLsm("b");
        var extension = builder.Options.FindExtension<LsmOptionsExtension>()!;
        Assert.Equal("b", extension.Path);
        Assert.False(extension.SyncWrites);
        Assert.Equal(1 << 20, extension.WriteBufferSize);
        Assert.Equal(0, extension.BlockCacheSize);
        Assert.True(extension.Info.IsDatabaseProvider);
        Assert.Contains("Path=b", extension.Info.LogFragment);
        Assert.Contains("SyncWrites=false", extension.Info.LogFragment);
    }

    [Fact]
    public void Defaults_are_sync_writes_and_engine_sizes()
    {
        var extension = new DbContextOptionsBuilder().UseLsm("p").Options.FindExtension<LsmOptionsExtension>()!;
        Assert.True(extension.SyncWrites);
        Assert.Equal(LsmOptionsExtension.DefaultWriteBufferSize, extension.WriteBufferSize);
        Assert.Equal(LsmOptionsExtension.DefaultBlockCacheSize, extension.BlockCacheSize);
        Assert.Equal("Path=p ", extension.Info.LogFragment);
    }

    [Fact]
    public void Foreign_keys_are_enforced_unless_turned_off()
    {
        Assert.True(new DbContextOptionsBuilder().UseLsm("p").Options.FindExtension<LsmOptionsExtension>()!.EnforceForeignKeys);
        var off = new DbContextOptionsBuilder().UseLsm("p", lsm => lsm.EnforceForeignKeys(false)).Options.FindExtension<LsmOptionsExtension>()!;
        Assert.False(off.EnforceForeignKeys);
        Assert.Contains("EnforceForeignKeys=false", off.Info.LogFragment);
        var debug = new Dictionary<string, string>();
        off.Info.PopulateDebugInfo(debug);
        Assert.Equal("0", debug["Lsm:EnforceForeignKeys"]);
    }

    [Fact]
    public void Every_configuration_shares_one_service_provider()
    {
        var a = new LsmOptionsExtension().WithPath("x").Info;
        var b = new LsmOptionsExtension().WithPath("y").WithSyncWrites(false).WithBlockCacheSize(5).Info;
        Assert.Equal(a.GetServiceProviderHashCode(), b.GetServiceProviderHashCode());
        Assert.True(a.ShouldUseSameServiceProvider(b));
    }

    [Fact]
    public void Debug_info_differs_when_settings_differ()
    {
        var a = new Dictionary<string, string>();
        var b = new Dictionary<string, string>();
        new LsmOptionsExtension().WithPath("x").Info.PopulateDebugInfo(a);
        new LsmOptionsExtension().WithPath("x").WithWriteBufferSize(1 << 20).Info.PopulateDebugInfo(b);
        Assert.Equal("x", a["Lsm:Path"]);
        Assert.NotEqual(a["Lsm:WriteBufferSize"], b["Lsm:WriteBufferSize"]);
    }

    [Fact]
    public void WithX_returns_a_copy_and_leaves_the_original()
    {
        var original = new LsmOptionsExtension().WithPath("x");
        var changed = original.WithSyncWrites(false);
        Assert.NotSame(original, changed);
        Assert.True(original.SyncWrites);
        Assert.Equal("x", changed.Path);
    }

    [Fact]
    public void Bad_settings_are_refused_naming_the_argument()
    {
        Assert.Throws<ArgumentException>(() => new DbContextOptionsBuilder().UseLsm(" "));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LsmOptionsExtension().WithWriteBufferSize(1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LsmOptionsExtension().WithBlockCacheSize(-1));
        Assert.Throws<InvalidOperationException>(() => new LsmOptionsExtension().Path);
    }
}
