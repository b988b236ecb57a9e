using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// e.g. dotnet run -c Release --project eng/benchmarks/EFCore.Lsm.Benchmarks -- --job short --filter *TryGet*
//
// Each benchmark runs in its own process, built from a generated project that compiles the engine and the provider
// again. BenchmarkDotNet gives that build two minutes, which a machine busy with other builds overruns ("Build Error:
// The configured timeout 00:02:00 was reached"); the build has no progress to wait for, so it gets a generous bound.
var config = ManualConfig.Create(DefaultConfig.Instance).WithBuildTimeout(TimeSpan.FromMinutes(20));
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
