using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace EFCore.Lsm.Etcd.FunctionalTests.TestUtilities;

/// <summary>What an <see cref="EtcdCluster"/> runs with; the limits default to etcd's own.</summary>
public sealed record EtcdClusterSettings
{
    public int Members { get; init; } = 3;

    public int MaxTxnOps { get; init; } = 128;

    public int MaxRequestBytes { get; init; } = 1536 * 1024;

    /// <summary>--quota-backend-bytes; null: etcd's default (2 GiB).</summary>
    public long? QuotaBackendBytes { get; init; }

    /// <summary>
    /// The parent of the members' data folders (a fresh temp folder under it is used and removed); null: the system temp
    /// folder. Killing a member (SIGKILL) loses nothing its fsyncs covered wherever the folder is.
    /// </summary>
    public string? DataRoot { get; init; }
}

/// <summary>
/// A real etcd cluster for tests (the etcd binary of Debian's etcd-server package, which .ci/run installs): N members on
/// loopback ports chosen free at start, data in a temp folder, each member a child process that a test can SIGKILL and
/// start again. Every member runs under a small shell watchdog that SIGKILLs it when this process's end of its stdin pipe
/// closes, so no member outlives a test run that was itself killed. Disposing stops every member and deletes the data.
/// </summary>
public sealed class EtcdCluster : IDisposable
{
    private const string EtcdBinary = "etcd";

    // fd 3 keeps the pipe from the test process; the watchdog reads it until end of file (the test process closed it, or
    // is gone), then SIGKILLs the member and, unless it was told "keep" (a member killed to be started again), deletes the
    // member's data folder and, once empty, the cluster's. The member's own pid is the first line of output.
    private const string Watchdog = """
        exec 3<&0
        data="$1"; shift
        "$@" 0</dev/null &
        child=$!
        echo "$child"
        (
          keep=
          while read -r line <&3; do [ "$line" = keep ] && keep=1; done
          kill -9 "$child" 2>/dev/null
          if [ -z "$keep" ]; then
            while kill -0 "$child" 2>/dev/null; do sleep 0.1; done
            rm -rf "$data"; rmdir "$(dirname "$data")" 2>/dev/null
          fi
        ) &
        wait "$child"
        """;

    private readonly string _dataFolder;
    private readonly string _token = Guid.NewGuid().ToString("N");
    private readonly Member[] _members;

    private EtcdCluster(EtcdClusterSettings settings)
    {
        Settings = settings;
        _dataFolder = Path.Combine(settings.DataRoot ?? Path.GetTempPath(), "efcore-lsm-etcd-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dataFolder);
        var ports = FreePorts(2 * settings.Members);
        _members = [.. Enumerable.Range(0, settings.Members).Select(i => new Member(this, i, ports[2 * i], ports[2 * i + 1]))];
    }

    public EtcdClusterSettings Settings { get; }

    public IReadOnlyList<Member> Members => _members;

    /// <summary>Every member's client URL, comma-separated: what <c>UseLsmCluster</c> takes.</summary>
    public string ClientUrls => string.Join(",", _members.Select(m => m.ClientUrl));

    private string InitialCluster => string.Join(",", _members.Select(m => $"{m.Name}={m.PeerUrl}"));

    /// <summary>Starts a cluster and waits until it has a leader and serves a linearizable read (guard: two minutes).</summary>
    public static EtcdCluster Start(EtcdClusterSettings? settings = null)
    {
        settings ??= new EtcdClusterSettings();
        for (var attempt = 1; ; attempt++)
        {
            var cluster = new EtcdCluster(settings);
            try
            {
                foreach (var member in cluster._members)
                {
                    member.Start();
                }

                cluster.WaitHealthy(TimeSpan.FromMinutes(2));
                return cluster;
            }
            catch (Exception) when (attempt < 3 && cluster._members.Any(m => m.HasExited))
            {
                // A port chosen free was taken before the member bound it: start again on new ports.
                cluster.Dispose();
            }
            catch
            {
                cluster.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// Waits until every running member agrees on one leader and the cluster answers a linearizable read, or throws when
    /// <paramref name="guard"/> passes first (a cluster that never recovers; not a measure of how fast it does).
    /// </summary>
    public void WaitHealthy(TimeSpan guard)
    {
        var deadline = DateTime.UtcNow + guard;
        string? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var running = _members.Where(m => m.IsRunning).ToList();
                var leaders = running.Select(m => m.Status().Leader).Distinct().ToList();
                if (leaders is [var leader] && leader != 0 && running.Any(m => m.Id == leader))
                {
                    running[0].Client.Get(new RangeRequest { Key = ByteString.CopyFromUtf8("health") }, null, DateTime.UtcNow.AddSeconds(5));
                    return;
                }

                last = $"leaders reported: {string.Join(", ", leaders)}";
            }
            catch (RpcException e)
            {
                last = e.Status.Detail;
            }

            Thread.Sleep(100);
        }

        throw new TimeoutException($"The etcd cluster did not become healthy within {guard} ({last}).\n{Logs()}");
    }

    /// <summary>The index of the current leader among the running members (asks each one).</summary>
    public int LeaderIndex()
    {
        foreach (var member in _members.Where(m => m.IsRunning))
        {
            var status = member.Status();
            var leader = Array.FindIndex(_members, m => m.IsRunning && m.Id == status.Leader);
            if (leader >= 0)
            {
                return leader;
            }
        }

        throw new InvalidOperationException("No running member knows a leader.");
    }

    /// <summary>The last lines each member logged, for failure messages.</summary>
    public string Logs() => string.Join("\n", _members.Select(m => $"--- {m.Name}\n{m.RecentLog}"));

    public void Dispose()
    {
        foreach (var member in _members)
        {
            member.Stop(keepData: false);
        }

        try
        {
            if (Directory.Exists(_dataFolder))
            {
                Directory.Delete(_dataFolder, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A watchdog is deleting it too.
        }
    }

    private static string FindEtcd()
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, EtcdBinary);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            "The etcd binary is not on PATH: `apt-get install -y etcd-server` (Debian's etcd 3.4; .ci/run installs it when missing).");
    }

    private static int[] FreePorts(int count)
    {
        // All listeners stay open until every port is chosen, so the same port is not handed out twice.
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    /// <summary>One member: its ports and data folder stay the same across kills and restarts.</summary>
    public sealed class Member
    {
        private readonly EtcdCluster _cluster;
        private readonly Queue<string> _log = new();
        private Process? _watchdog;
        private int _pid;
        private ulong _id;
        private GrpcChannel? _channel;

        internal Member(EtcdCluster cluster, int index, int clientPort, int peerPort)
        {
            _cluster = cluster;
            Index = index;
            Name = "m" + index.ToString(CultureInfo.InvariantCulture);
            ClientUrl = $"http://127.0.0.1:{clientPort}";
            PeerUrl = $"http://127.0.0.1:{peerPort}";
        }

        public int Index { get; }

        public string Name { get; }

        public string ClientUrl { get; }

        public string PeerUrl { get; }

        private string DataFolder => Path.Combine(_cluster._dataFolder, Name);

        /// <summary>The member id the cluster knows it by (from its first status answer).</summary>
        public ulong Id => _id != 0 ? _id : _id = Status().Header.MemberId;

        public bool IsRunning => _watchdog is { HasExited: false };

        internal bool HasExited => _watchdog is { HasExited: true };

        /// <summary>A client of this member alone (no balancing, no retries).</summary>
        public EtcdClient Client { get; private set; } = null!;

        public string RecentLog
        {
            get
            {
                lock (_log)
                {
                    return string.Join("\n", _log);
                }
            }
        }

        /// <summary>This member's status, asked of it alone.</summary>
        public StatusResponse Status() => Client.Status(new StatusRequest(), null, DateTime.UtcNow.AddSeconds(3));

        /// <summary>Starts the member (again, after <see cref="Kill"/>: with its data folder as it was left).</summary>
        public void Start()
        {
            if (IsRunning)
            {
                throw new InvalidOperationException($"Member {Name} is already running.");
            }

            var settings = _cluster.Settings;
            var etcd = FindEtcd();
            var start = new ProcessStartInfo("/bin/sh")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            string[] arguments =
            [
                "-c", Watchdog, "sh", DataFolder, etcd,
                "--name", Name,
                "--data-dir", DataFolder,
                "--listen-client-urls", ClientUrl, "--advertise-client-urls", ClientUrl,
                "--listen-peer-urls", PeerUrl, "--initial-advertise-peer-urls", PeerUrl,
                "--initial-cluster", _cluster.InitialCluster,
                "--initial-cluster-token", _cluster._token,
                "--initial-cluster-state", "new",
                // Twice etcd's default heartbeat and election timeout: a busy test machine delays heartbeats.
                "--heartbeat-interval", "200", "--election-timeout", "2000",
                "--max-txn-ops", settings.MaxTxnOps.ToString(CultureInfo.InvariantCulture),
                "--max-request-bytes", settings.MaxRequestBytes.ToString(CultureInfo.InvariantCulture),
                "--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn",
            ];
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            if (settings.QuotaBackendBytes is { } quota)
            {
                start.ArgumentList.Add("--quota-backend-bytes");
                start.ArgumentList.Add(quota.ToString(CultureInfo.InvariantCulture));
            }

            try
            {
                _watchdog = Process.Start(start)!;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new InvalidOperationException("Cannot start /bin/sh for the etcd test cluster.", e);
            }

            _watchdog.ErrorDataReceived += (_, e) => Log(e.Data);
            _watchdog.BeginErrorReadLine();
            var pid = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
            var output = _watchdog.StandardOutput;
            _ = Task.Run(() =>
            {
                pid.TrySetResult(output.ReadLine());
                while (output.ReadLine() is { } line)
                {
                    Log(line);
                }
            });
            var first = pid.Task.Wait(TimeSpan.FromSeconds(30)) ? pid.Task.Result : null;
            if (!int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out _pid))
            {
                throw new InvalidOperationException($"The etcd watchdog for {Name} did not report a pid ('{first}').\n{RecentLog}");
            }

            _channel?.Dispose();
            _channel = GrpcChannel.ForAddress(ClientUrl);
            Client = new EtcdClient(_channel.CreateCallInvoker());
        }

        /// <summary>SIGKILLs the member: no shutdown, no flush beyond what etcd already fsynced. Its data stays for <see cref="Start"/>.</summary>
        public void Kill() => Stop(keepData: true);

        internal void Stop(bool keepData)
        {
            if (_watchdog is null)
            {
                return;
            }

            try
            {
                if (keepData)
                {
                    _watchdog.StandardInput.WriteLine("keep");
                    _watchdog.StandardInput.Flush();
                }

                if (!_watchdog.HasExited)
                {
                    using var member = Process.GetProcessById(_pid);
                    member.Kill();
                    member.WaitForExit(TimeSpan.FromSeconds(30));
                }
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
            {
                // The member (or its watchdog) is gone already.
            }

            // Closing stdin ends the watchdog's reader, which deletes the data unless told to keep it.
            try
            {
                _watchdog.StandardInput.Close();
            }
            catch (IOException)
            {
                // The watchdog is gone.
            }

            _watchdog.WaitForExit(TimeSpan.FromSeconds(30));
            _watchdog.Dispose();
            _watchdog = null;
        }

        private void Log(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_log)
            {
                _log.Enqueue(line);
                while (_log.Count > 40)
                {
                    _log.Dequeue();
                }
            }
        }

        public override string ToString() => new StringBuilder(Name).Append(' ').Append(ClientUrl).ToString();
    }
}
