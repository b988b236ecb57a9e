using EFCore.Lsm.Tool;
using EFCore.Lsm.Tool.Output;

return LsmCommandLine.Invoke(args, ToolOutput.ForConsole());
