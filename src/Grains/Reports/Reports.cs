using CareCoordination.CareGaps;
using CareCoordination.Clients;
using CareCoordination.Common;
using CareCoordination.Programs;

namespace CareCoordination.Reports;

[GenerateSerializer, Alias("cc.gap-stats")]
public sealed record GapStats(
    [property: Id(0)] IReadOnlyDictionary<CareGapRule, int> OpenByRule,
    [property: Id(1)] IReadOnlyDictionary<string, int> OpenByAge,
    [property: Id(2)] int Open,
    [property: Id(3)] int Escalated,
    [property: Id(4)] int Acknowledged,
    [property: Id(5)] double? MeanHoursToAcknowledge,
    [property: Id(6)] int ClosedByThemselves,
    [property: Id(7)] int ResolvedByWorkers);

[GenerateSerializer, Alias("cc.referral-funnel")]
public sealed record ReferralFunnel(
    [property: Id(0)] int Sent,
    [property: Id(1)] int Accepted,
    [property: Id(2)] int Declined,
    [property: Id(3)] int Waitlisted,
    [property: Id(4)] int Enrolled,
    [property: Id(5)] int Completed,
    [property: Id(6)] int Cancelled,
    [property: Id(7)] double? MeanHoursToRespond);

[GenerateSerializer, Alias("cc.team-report")]
public sealed record TeamReport(
    [property: Id(0)] string TeamId,
    [property: Id(1)] int ActiveClients,
    [property: Id(2)] int ClosedClients,
    [property: Id(3)] GapStats Gaps,
    [property: Id(4)] ReferralFunnel Referrals,
    [property: Id(5)] int GoalsTotal,
    [property: Id(6)] int GoalsAchieved,
    [property: Id(7)] int Members);

[GenerateSerializer, Alias("cc.program-report")]
public sealed record ProgramReport(
    [property: Id(0)] string ProgramId,
    [property: Id(1)] int Capacity,
    [property: Id(2)] int Enrolled,
    [property: Id(3)] int Waitlisted,
    [property: Id(4)] ReferralFunnel Referrals,
    [property: Id(5)] GapStats Gaps);

[GenerateSerializer, Alias("cc.region-report")]
public sealed record RegionReport(
    [property: Id(0)] string Region,
    [property: Id(1)] int Clients,
    [property: Id(2)] int Teams,
    [property: Id(3)] int Programs,
    [property: Id(4)] int ActiveClients,
    [property: Id(5)] GapStats Gaps,
    [property: Id(6)] ReferralFunnel Referrals,
    [property: Id(7)] int GoalsTotal,
    [property: Id(8)] int GoalsAchieved,
    [property: Id(9)] int ProgramCapacity,
    [property: Id(10)] int ProgramEnrolled,
    [property: Id(11)] int ProgramWaitlisted);

/// <summary>
/// Pure aggregation into report figures. The grains only gather what a report reads (their own state, the summaries
/// of a caseload, the reports of a region's teams and programs); what the figures are is decided here, once.
/// </summary>
public static class ReportMath
{
    /// <summary>A team's report from the summaries of the people on its caseload.</summary>
    public static TeamReport Team(string teamId, IReadOnlyCollection<ClientSummary> caseload, int members,
        DateTimeOffset now) =>
        new(teamId,
            caseload.Count(s => s.Active), caseload.Count(s => s.Registered && !s.Active),
            Gaps(caseload.SelectMany(s => s.OpenGaps), caseload.SelectMany(s => s.ClosedGaps), now),
            Funnel(caseload.SelectMany(s => s.Referrals)),
            caseload.Sum(s => s.GoalsTotal), caseload.Sum(s => s.GoalsAchieved), members);

    /// <summary>A program's report from its state: the referrals it holds and the tally of those it filed.</summary>
    public static ProgramReport Program(ProgramState p, DateTimeOffset now) =>
        new(p.ProgramId, p.Capacity, p.Enrolled, p.Waitlist.Count(), Funnel(p.Referrals.Values, p.Filed),
            Gaps(p.Gaps.Open, p.Gaps.History, now));

    /// <summary>A region's report: its teams' and programs' reports summed.</summary>
    public static RegionReport Region(string region, int clients, IReadOnlyCollection<TeamReport> teams,
        IReadOnlyCollection<ProgramReport> programs) =>
        new(region, clients, teams.Count, programs.Count,
            teams.Sum(t => t.ActiveClients),
            Merge(teams.Select(t => t.Gaps).Concat(programs.Select(p => p.Gaps))),
            Merge(teams.Select(t => t.Referrals)),
            teams.Sum(t => t.GoalsTotal), teams.Sum(t => t.GoalsAchieved),
            programs.Sum(p => p.Capacity), programs.Sum(p => p.Enrolled), programs.Sum(p => p.Waitlisted));

    public static GapStats Gaps(IEnumerable<OpenGap> open, IEnumerable<ClosedGap> closed, DateTimeOffset now)
    {
        var openList = open.ToList();
        var closedList = closed.ToList();
        var ackTimes = openList.Concat(closedList.Select(c => c.Gap))
            .Where(g => g.AcknowledgedAt is not null)
            .Select(g => (g.AcknowledgedAt!.Value - g.OpenedAt).TotalHours).ToList();
        return new GapStats(
            openList.GroupBy(g => g.Rule).ToDictionary(g => g.Key, g => g.Count()),
            openList.GroupBy(g => AgeBucket(now - g.OpenedAt)).ToDictionary(g => g.Key, g => g.Count()),
            openList.Count,
            openList.Count(g => g.EscalatedAt is not null),
            ackTimes.Count,
            ackTimes.Count == 0 ? null : Math.Round(ackTimes.Average(), 2),
            closedList.Count(c => c.Closure == GapClosure.ConditionEnded),
            closedList.Count(c => c.Closure == GapClosure.ResolvedByWorker));
    }

    public static string AgeBucket(TimeSpan age) =>
        age < TimeSpan.FromDays(1) ? "under-1d"
            : age < TimeSpan.FromDays(7) ? "1-7d"
            : age < TimeSpan.FromDays(30) ? "7-30d"
            : "over-30d";

    public static ReferralFunnel Funnel(
        IEnumerable<(ReferralStatus Status, DateTimeOffset SentAt, DateTimeOffset? RespondedAt)> referrals)
    {
        var list = referrals.ToList();
        var responses = list.Where(r => r.RespondedAt is not null)
            .Select(r => (r.RespondedAt!.Value - r.SentAt).TotalHours).ToList();
        int Count(params ReferralStatus[] s) => list.Count(r => s.Contains(r.Status));
        // A funnel counts how far each referral got: an enrolled referral was also accepted.
        return new ReferralFunnel(list.Count,
            Count(ReferralStatus.Accepted, ReferralStatus.Waitlisted, ReferralStatus.Enrolled,
                ReferralStatus.Completed),
            Count(ReferralStatus.Declined),
            Count(ReferralStatus.Waitlisted),
            Count(ReferralStatus.Enrolled, ReferralStatus.Completed),
            Count(ReferralStatus.Completed),
            Count(ReferralStatus.Cancelled),
            responses.Count == 0 ? null : Math.Round(responses.Average(), 2));
    }

    public static ReferralFunnel Funnel(IEnumerable<Referral> referrals) =>
        Funnel(referrals.Select(r => (r.Status, r.SentAt, r.RespondedAt)));

    public static ReferralFunnel Funnel(IEnumerable<ProgramReferral> referrals) =>
        Funnel(referrals.Select(r => (r.Status, r.SentAt, r.RespondedAt)));

    /// <summary>A program's funnel: the referrals in its state, and what its filed ones add (all ended).</summary>
    public static ReferralFunnel Funnel(IEnumerable<ProgramReferral> referrals, ReferralTally filed)
    {
        var list = referrals.ToList();
        var now = Funnel(list);
        var responses = list.Where(r => r.RespondedAt is not null)
            .Select(r => (r.RespondedAt!.Value - r.SentAt).TotalHours).ToList();
        var count = responses.Count + filed.Responses;
        // A completed referral was also accepted and enrolled; a cancelled or declined one counts only as such.
        return new ReferralFunnel(now.Sent + filed.Sent, now.Accepted + filed.Completed,
            now.Declined + filed.Declined, now.Waitlisted, now.Enrolled + filed.Completed,
            now.Completed + filed.Completed, now.Cancelled + filed.Cancelled,
            count == 0 ? null : Math.Round((responses.Sum() + filed.ResponseHours) / count, 2));
    }

    public static GapStats Merge(IEnumerable<GapStats> parts)
    {
        var list = parts.ToList();
        var acked = list.Sum(p => p.Acknowledged);
        return new GapStats(
            Sum(list.Select(p => p.OpenByRule)), Sum(list.Select(p => p.OpenByAge)),
            list.Sum(p => p.Open), list.Sum(p => p.Escalated), acked,
            acked == 0 ? null : Math.Round(list.Where(p => p.MeanHoursToAcknowledge is not null)
                .Sum(p => p.MeanHoursToAcknowledge!.Value * p.Acknowledged) / acked, 2),
            list.Sum(p => p.ClosedByThemselves), list.Sum(p => p.ResolvedByWorkers));
    }

    public static ReferralFunnel Merge(IEnumerable<ReferralFunnel> parts)
    {
        var list = parts.ToList();
        var responded = list.Sum(p => p.Accepted + p.Declined);
        return new ReferralFunnel(list.Sum(p => p.Sent), list.Sum(p => p.Accepted), list.Sum(p => p.Declined),
            list.Sum(p => p.Waitlisted), list.Sum(p => p.Enrolled), list.Sum(p => p.Completed),
            list.Sum(p => p.Cancelled),
            responded == 0 ? null : Math.Round(list.Where(p => p.MeanHoursToRespond is not null)
                .Sum(p => p.MeanHoursToRespond!.Value * (p.Accepted + p.Declined)) / responded, 2));
    }

    private static Dictionary<TKey, int> Sum<TKey>(IEnumerable<IReadOnlyDictionary<TKey, int>> parts)
        where TKey : notnull
    {
        var total = new Dictionary<TKey, int>();
        foreach (var part in parts)
            foreach (var (k, v) in part) total[k] = total.GetValueOrDefault(k) + v;
        return total;
    }
}
