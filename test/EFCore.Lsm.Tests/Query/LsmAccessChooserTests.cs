using EFCore.Lsm.Query.Internal;

namespace EFCore.Lsm.Tests.Query;

/// <summary>
/// The rule that picks a candidate: the static rank, overruled among ranges by a strictly smaller estimate; ties and
/// missing estimates keep the rank's choice.
/// </summary>
public class LsmAccessChooserTests
{
    private const int Excluded = int.MaxValue;

    [Fact]
    public void The_smallest_estimate_among_ranges_wins()
    {
        Assert.Equal(2, LsmAccessChooser.Choose([3, 4, 5], [true, true, true], [500, 40, 7]));
        Assert.Equal(1, LsmAccessChooser.Choose([4, 4], [true, true], [570, 10]));
    }

    [Fact]
    public void Ties_keep_the_rank_then_the_declaration_order()
    {
        Assert.Equal(0, LsmAccessChooser.Choose([4, 4], [true, true], [10, 10]));
        Assert.Equal(1, LsmAccessChooser.Choose([5, 3], [true, true], [10, 10]));
    }

    [Fact]
    public void No_estimate_for_the_best_ranked_keeps_it()
    {
        Assert.Equal(0, LsmAccessChooser.Choose([3, 4], [true, true], [null, 1]));
        Assert.Equal(0, LsmAccessChooser.Choose([3, 4], [true, true], [50, null]));
    }

    [Fact]
    public void Non_range_and_excluded_candidates_are_not_overruled_or_chosen()
    {
        // A unique equality (not a range) ranked first stays; an index not ready is never chosen.
        Assert.Equal(0, LsmAccessChooser.Choose([2, 3, 4], [false, true, true], [null, 100, 1]));
        Assert.Equal(0, LsmAccessChooser.Choose([3, Excluded], [true, true], [100, 1]));
        Assert.Equal(-1, LsmAccessChooser.ByRank([Excluded, Excluded]));
    }

    [Fact]
    public void Lists_are_extrapolated_from_the_ranges_estimated()
    {
        Assert.Equal(100, LsmAccessChooser.Extrapolate(16, 16, 100));
        Assert.Equal(7, LsmAccessChooser.Extrapolate(7, 3, 3));
        Assert.Equal(0, LsmAccessChooser.Extrapolate(0, 0, 0));
    }

    [Fact]
    public void The_log_text_is_empty_without_estimates()
    {
        Assert.Equal("", LsmAccessChooser.Describe([], null));
    }
}
