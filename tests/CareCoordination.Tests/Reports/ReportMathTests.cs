using CareCoordination.Common;
using CareCoordination.Programs;
using CareCoordination.Reports;

namespace CareCoordination.Tests.Reports;

public sealed class ReportMathTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);

    private static ProgramReferral Referral(int n, ReferralStatus status, double? hoursToRespond) =>
        new($"r{n}", $"c{n}", NeedDomain.Housing, status, T0, hoursToRespond is { } h ? T0.AddHours(h) : null, null, null,
            ReferralTally.Ended(status) ? T0.AddDays(3) : null, "", 1, 1, T0);

    [Fact]
    public void A_programs_funnel_is_the_same_whether_its_ended_referrals_are_filed_or_not()
    {
        List<ProgramReferral> all =
        [
            Referral(1, ReferralStatus.Sent, null),
            Referral(2, ReferralStatus.Accepted, 2),
            Referral(3, ReferralStatus.Waitlisted, 5),
            Referral(4, ReferralStatus.Enrolled, 1),
            Referral(5, ReferralStatus.Declined, 4),
            Referral(6, ReferralStatus.Completed, 6),
            Referral(7, ReferralStatus.Cancelled, null),
            Referral(8, ReferralStatus.Cancelled, 3),
        ];
        var tally = new ReferralTally();
        foreach (var r in all.Where(r => ReferralTally.Ended(r.Status))) tally.Add(r);

        var filed = ReportMath.Funnel(all.Where(r => !ReferralTally.Ended(r.Status)), tally);

        Assert.Equal(ReportMath.Funnel(all), filed);
        Assert.Equal(new ReferralFunnel(8, 4, 1, 1, 2, 1, 2, Math.Round((2 + 5 + 1 + 4 + 6 + 3) / 6.0, 2)), filed);
    }

    [Fact]
    public void A_regions_report_sums_its_teams_and_programs_and_weighs_the_mean_response_by_answers()
    {
        var noGaps = ReportMath.Gaps([], [], T0);
        TeamReport Team(string id, int active, ReferralFunnel funnel) => new(id, active, 1, noGaps, funnel, 4, 1, 3);
        var teams = new[]
        {
            Team("t1", 10, new ReferralFunnel(4, 3, 1, 0, 2, 1, 0, 2.0)),
            Team("t2", 5, new ReferralFunnel(2, 1, 0, 1, 0, 0, 1, 8.0)),
        };
        var programs = new[] { new ProgramReport("p1", 20, 7, 2, new ReferralFunnel(0, 0, 0, 0, 0, 0, 0, null), noGaps) };

        var region = ReportMath.Region("north", 17, teams, programs);

        Assert.Equal(new RegionReport("north", 17, 2, 1, 15, region.Gaps, new ReferralFunnel(6, 4, 1, 1, 2, 1, 1, 3.2), 8, 2, 20, 7, 2),
            region);
    }
}
