using System.Globalization;
using System.Text;

namespace EFCore.Lsm.Etcd.Infrastructure.Internal;

/// <summary>
/// Where the cluster is and what it allows (docs/etcd_backend.md). The limits are the cluster's own settings: etcd does
/// not publish them, so the client is told, and a batch over them is refused before anything is sent.
/// </summary>
public sealed record EtcdClusterOptions
{
    /// <summary>etcd's default <c>--max-txn-ops</c>.</summary>
    public const int DefaultMaxTxnOps = 128;

    /// <summary>etcd's default <c>--max-request-bytes</c> (1.5 MiB).</summary>
    public const int DefaultMaxRequestBytes = 1536 * 1024;

    /// <summary>How long a read or a commit keeps trying (across a leader election) before the cluster counts as unavailable.</summary>
    public static readonly TimeSpan DefaultOperationTimeout = TimeSpan.FromSeconds(10);

    public EtcdClusterOptions(IReadOnlyList<Uri> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.Count == 0)
        {
            throw new ArgumentException("An etcd cluster needs at least one client endpoint.", nameof(endpoints));
        }

        Endpoints = endpoints;
    }

    /// <summary>The members' client URLs (http://host:port), as given.</summary>
    public IReadOnlyList<Uri> Endpoints { get; }

    /// <summary>
    /// Bytes in front of every key this store writes, so several databases share one cluster (empty: the whole key space).
    /// The backend's own bookkeeping keys live under prefix + 0xFF, where the provider writes nothing.
    /// </summary>
    public byte[] KeyPrefix { get; init; } = [];

    /// <summary>The cluster's <c>--max-txn-ops</c>: the most compares, and the most operations, in one transaction.</summary>
    public int MaxTxnOps { get; init; } = DefaultMaxTxnOps;

    /// <summary>The cluster's <c>--max-request-bytes</c>: the largest request it accepts.</summary>
    public int MaxRequestBytes { get; init; } = DefaultMaxRequestBytes;

    /// <summary>How long one read or commit keeps retrying across failures before it gives up.</summary>
    public TimeSpan OperationTimeout { get; init; } = DefaultOperationTimeout;

    /// <summary>
    /// Parses a comma-separated list of client URLs ("http://127.0.0.1:2379,http://127.0.0.1:22379"); a bare host:port
    /// means http. TLS and authentication are not supported yet and are refused rather than ignored.
    /// </summary>
    public static IReadOnlyList<Uri> ParseEndpoints(string endpoints)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoints);
        var uris = new List<Uri>();
        foreach (var part in endpoints.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var text = part.Contains("://", StringComparison.Ordinal) ? part : "http://" + part;
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Port <= 0 || uri.AbsolutePath is not ("/" or ""))
            {
                throw new ArgumentException($"'{part}' is not an etcd client URL such as http://127.0.0.1:2379.", nameof(endpoints));
            }

            if (uri.Scheme == Uri.UriSchemeHttps)
            {
                throw new NotSupportedException(
                    $"'{part}': TLS connections to etcd are not supported by EFCore.Lsm.Etcd yet; use http:// endpoints on a trusted network.");
            }

            if (uri.Scheme != Uri.UriSchemeHttp)
            {
                throw new ArgumentException($"'{part}' is not an http:// etcd client URL.", nameof(endpoints));
            }

            if (!string.IsNullOrEmpty(uri.UserInfo))
            {
                throw new NotSupportedException($"'{part}': etcd authentication is not supported by EFCore.Lsm.Etcd yet.");
            }

            uris.Add(uri);
        }

        return uris.Count == 0 ? throw new ArgumentException("No etcd endpoint was given.", nameof(endpoints)) : uris;
    }

    /// <summary>Throws when the settings cannot work; called before anything connects.</summary>
    public void Validate()
    {
        if (MaxTxnOps < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTxnOps), MaxTxnOps, "A commit needs at least 2 operations per transaction.");
        }

        if (MaxRequestBytes < 64 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRequestBytes), MaxRequestBytes, "etcd requests of less than 64 KiB are not supported.");
        }

        if (OperationTimeout <= TimeSpan.Zero || OperationTimeout > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentOutOfRangeException(nameof(OperationTimeout), OperationTimeout, "The operation timeout must be positive and at most 10 minutes.");
        }

        if (KeyPrefix.Length > 256)
        {
            throw new ArgumentOutOfRangeException(nameof(KeyPrefix), KeyPrefix.Length, "A key prefix may be at most 256 bytes.");
        }

        if (KeyPrefix.Length > 0 && KeyPrefix[0] == 0xFF && KeyPrefix.AsSpan().IndexOfAnyExcept((byte)0xFF) < 0)
        {
            throw new ArgumentException("A key prefix of only 0xFF bytes has no key range above it.", nameof(KeyPrefix));
        }
    }

    /// <summary>The endpoints in a canonical order, for the store's pool key.</summary>
    public string CanonicalEndpoints =>
        string.Join(",", Endpoints.Select(u => u.GetLeftPart(UriPartial.Authority).ToLowerInvariant()).Order(StringComparer.Ordinal));

    /// <summary>The key prefix as text when it is printable UTF-8, otherwise as 0x-hex.</summary>
    public string KeyPrefixText
    {
        get
        {
            try
            {
                var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(KeyPrefix);
                if (text.All(c => !char.IsControl(c)))
                {
                    return text;
                }
            }
            catch (DecoderFallbackException)
            {
                // Not text: shown as hex below.
            }

            return "0x" + Convert.ToHexString(KeyPrefix);
        }
    }

    /// <summary>The settings every context on one store must agree on (compared as text by the store pool).</summary>
    public string SharedSettings => string.Create(
        CultureInfo.InvariantCulture,
        $"MaxTxnOps={MaxTxnOps}, MaxRequestBytes={MaxRequestBytes}, OperationTimeout={OperationTimeout.TotalMilliseconds}ms");
}
