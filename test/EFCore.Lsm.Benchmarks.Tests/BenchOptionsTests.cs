using EFCore.Lsm.DbBench;

namespace EFCore.Lsm.Benchmarks.Tests;

public sealed class BenchOptionsTests
{
    [Fact]
    public void Defaults_follow_db_bench()
    {
        var options = BenchOptions.Parse([]);
        Assert.Equal(1_000_000, options.Num);
        Assert.Equal(100, options.ValueSize);
        Assert.Equal(10_000, options.SyncOps);
        Assert.Equal(["ours", "ours-compressed", "rocksdb", "rocksdb-debian", "leveldb", "zonetree"], options.Engines);
        Assert.Contains("fillsync8", options.Benchmarks);
        Assert.Equal(BenchOptions.ProcessIsolation, options.Isolation);
    }

    [Fact]
    public void Both_spellings_and_db_bench_underscores_are_accepted()
    {
        var options = BenchOptions.Parse(["--num=5000", "--benchmarks", "fillseq, readrandom", "--cache_size=8M", "--write-buffer-size", "1GiB", "--reads=7"]);
        Assert.Equal(5000, options.Num);
        Assert.Equal(["fillseq", "readrandom"], options.Benchmarks);
        Assert.Equal(8L << 20, options.CacheSize);
        Assert.Equal(1L << 30, options.WriteBufferSize);
        Assert.Equal(7, options.EffectiveReads);
    }

    [Theory]
    [InlineData("123", 123L)]
    [InlineData("4k", 4096L)]
    [InlineData("4KB", 4096L)]
    [InlineData("2g", 2L << 30)]
    [InlineData("0", 0L)]
    public void Sizes_parse_with_binary_suffixes(string text, long expected)
        => Assert.Equal(expected, BenchOptions.ParseSize("cache-size", text));

    [Theory]
    [InlineData("")]
    [InlineData("M")]
    [InlineData("-1")]
    [InlineData("12X")]
    [InlineData("99999999999999999999")]
    [InlineData("9999999999G")]
    public void Bad_sizes_name_the_option_and_the_value(string text)
    {
        var e = Assert.Throws<BenchArgumentException>(() => BenchOptions.ParseSize("cache-size", text));
        Assert.Contains("--cache-size", e.Message, StringComparison.Ordinal);
        Assert.Contains($"'{text}'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--num" }, "--num needs a value")]
    [InlineData(new[] { "--num", "-3" }, "--num must be")]
    [InlineData(new[] { "--num", "1e6" }, "'1e6'")]
    [InlineData(new[] { "--write-buffer-size", "1K" }, "at least")]
    [InlineData(new[] { "--benchmarks", "," }, "at least one")]
    [InlineData(new[] { "--benchmarks", "fillsync0" }, "fillsync0")]
    [InlineData(new[] { "fillseq" }, "'fillseq'")]
    public void Bad_arguments_say_what_was_wrong(string[] args, string expected)
    {
        var e = Assert.Throws<BenchArgumentException>(() => BenchOptions.Parse(args));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Child_arguments_reproduce_the_options_for_one_engine()
    {
        var options = BenchOptions.Parse(
        [
            "--num", "1234", "--reads", "99", "--benchmarks", "fillrandom,fillsync3", "--sync-ops", "17", "--value-size", "64",
            "--seek-nexts", "3", "--batch-size", "8", "--cache-size", "1M", "--write-buffer-size", "2M", "--bloom-bits", "0",
            "--db-dir", "/tmp/x y", "--seed", "99", "--rocksdb-library", "/opt/librocksdb.so", "--keep-db",
        ]);

        var child = BenchOptions.Parse(options.ToChildArgs("rocksdb", "/tmp/out.json"));

        Assert.Equal(options with
        {
            Engines = child.Engines,
            Providers = child.Providers,
            Benchmarks = child.Benchmarks,
            Isolation = BenchOptions.NoIsolation,
            ChildOutput = "/tmp/out.json",
        }, child);
        Assert.Equal(["rocksdb"], child.Engines);
        Assert.Equal(options.Benchmarks, child.Benchmarks);
    }

    [Fact]
    public void Defaults_run_every_engine_and_ef_workload_on_every_provider()
    {
        var options = BenchOptions.Parse([]);
        Assert.Equal(["lsm", "sqlite", "inmemory", "postgres", "etcd"], options.Providers);
        Assert.Equal(100_000, options.EfNum);
        Assert.Equal(["fillseq", "fillrandom", "overwrite", "readrandom", "readmissing", "readseq", "seekrandom", "deleterandom",
            "fillsync", "fillsync8"], options.EngineBenchmarks);
        Assert.Equal(["ef-bulkinsert", "ef-find", "ef-find-notrack", "ef-range", "ef-scan", "ef-count", "ef-sum", "ef-indexed", "ef-include", "ef-join",
            "ef-update", "ef-insertsync", "ef-insertsync8", "ef-shortlived", "ef-delete", "ef-executedelete"], options.EfBenchmarks);
    }

    [Fact]
    public void None_turns_a_group_off_and_mixed_lists_split_by_group()
    {
        var options = BenchOptions.Parse(["--engines", "none", "--providers", "LSM, inmemory", "--benchmarks", "ef-find,fillseq,ef-insertsync3"]);
        Assert.Empty(options.Engines);
        Assert.Equal(["lsm", "inmemory"], options.Providers);
        Assert.Equal(["fillseq"], options.EngineBenchmarks);
        Assert.Equal(["ef-find", "ef-insertsync3"], options.EfBenchmarks);
    }

    [Theory]
    [InlineData(new[] { "--providers", "lsm,mysql" }, "'mysql'")]
    [InlineData(new[] { "--providers", "none,lsm" }, "'none' alone")]
    [InlineData(new[] { "--engines", "ours,none" }, "'none' alone")]
    [InlineData(new[] { "--providers", "," }, "at least one name (or none)")]
    [InlineData(new[] { "--benchmarks", "ef-fly" }, "'ef-fly'")]
    [InlineData(new[] { "--benchmarks", "ef-insertsync0" }, "'ef-insertsync0'")]
    [InlineData(new[] { "--ef-num", "0" }, "--ef-num must be")]
    [InlineData(new[] { "--ef-sync-ops", "x" }, "'x'")]
    [InlineData(new[] { "--postgres", " " }, "--postgres needs")]
    public void Bad_ef_arguments_say_what_was_wrong(string[] args, string expected)
    {
        var e = Assert.Throws<BenchArgumentException>(() => BenchOptions.Parse(args));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Child_arguments_split_the_workloads_between_engine_and_provider_children()
    {
        var options = BenchOptions.Parse(
        [
            "--benchmarks", "fillseq,ef-bulkinsert,readrandom,ef-find", "--ef-num", "321", "--ef-ops", "12", "--ef-scans", "3",
            "--ef-sync-ops", "4", "--postgres", "Host=127.0.0.2;Port=1", "--num", "77", "--keep-db",
        ]);

        var engineChild = BenchOptions.Parse(options.ToChildArgs("ours", "/tmp/a.json"));
        var providerChild = BenchOptions.Parse(options.ToProviderChildArgs("sqlite", "/tmp/b.json"));

        Assert.Equal(["fillseq", "readrandom"], engineChild.Benchmarks);
        Assert.Equal(["ours"], engineChild.Engines);
        Assert.Empty(engineChild.Providers);
        Assert.Equal(["ef-bulkinsert", "ef-find"], providerChild.Benchmarks);
        Assert.Empty(providerChild.Engines);
        Assert.Equal(["sqlite"], providerChild.Providers);
        Assert.Equal(options with
        {
            Engines = providerChild.Engines,
            Providers = providerChild.Providers,
            Benchmarks = providerChild.Benchmarks,
            Isolation = BenchOptions.NoIsolation,
            ChildOutput = "/tmp/b.json",
        }, providerChild);
    }
}
