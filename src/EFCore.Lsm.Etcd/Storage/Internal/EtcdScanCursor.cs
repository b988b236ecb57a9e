using EFCore.Lsm.Storage;
using Etcdserverpb;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Mvccpb;

namespace EFCore.Lsm.Etcd.Storage.Internal;

/// <summary>
/// A scan read in pages, each one range request at the view's revision. Pages grow from <see cref="FirstPage"/> to
/// <see cref="LargestPage"/> entries, so a query that stops early reads little and a long scan takes few round trips; a
/// scan with a limit asks for exactly what is left of it. Reverse scans ask etcd to sort descending, which it does after
/// reading the rest of the range (etcd 3.4 sorts before it limits): docs/etcd_backend.md says what that costs.
/// </summary>
internal sealed class EtcdScanCursor : ILsmCursor
{
    private const int FirstPage = 128;
    private const int LargestPage = 4096;

    private readonly EtcdReadView _view;
    private readonly EtcdKeys _keys;
    private readonly bool _reverse;
    private readonly int? _limit;
    private ByteString _start;
    private ByteString _end;
    private RepeatedField<KeyValue>? _page;
    private int _index = -1;
    private int _returned;
    private int _pageSize = FirstPage;
    private bool _more;

    public EtcdScanCursor(EtcdReadView view, EtcdKeys keys, ByteString start, ByteString end, bool reverse, int? limit)
    {
        _view = view;
        _keys = keys;
        _start = start;
        _end = end;
        _reverse = reverse;
        _limit = limit;
        _more = !EtcdKeys.IsEmptyRange(start, end) && limit != 0;
    }

    public ReadOnlySpan<byte> Key => _keys.Strip(Current.Key);

    public ReadOnlySpan<byte> Value => Current.Value.Span;

    private KeyValue Current => _page is { } page && _index >= 0 && _index < page.Count
        ? page[_index]
        : throw new InvalidOperationException("The cursor is not on an entry.");

    public bool MoveNext()
    {
        if (_returned == _limit)
        {
            return false;
        }

        _index++;
        if (_page is null || _index >= _page.Count)
        {
            if (!_more)
            {
                _page = null;
                return false;
            }

            FetchPage();
            if (_page!.Count == 0)
            {
                return false;
            }
        }

        _returned++;
        return true;
    }

    public void Dispose() => _page = null;

    private void FetchPage()
    {
        var size = _limit is { } limit ? Math.Min(limit - _returned, LargestPage) : _pageSize;
        _pageSize = Math.Min(_pageSize * 4, LargestPage);
        var request = new RangeRequest
        {
            Key = _start,
            RangeEnd = _end,
            Limit = size,
            SortTarget = RangeRequest.Types.SortTarget.Key,
            SortOrder = _reverse ? RangeRequest.Types.SortOrder.Descend : RangeRequest.Types.SortOrder.None,
        };
        var response = _view.Range(request);
        _page = response.Kvs;
        _index = 0;
        _more = response.More && _page.Count == size && _page.Count > 0;
        if (_page.Count > 0)
        {
            var last = _page[^1].Key;
            if (_reverse)
            {
                _end = last;
            }
            else
            {
                _start = EtcdKeys.Successor(last);
            }

            _more &= !EtcdKeys.IsEmptyRange(_start, _end);
        }
    }
}
