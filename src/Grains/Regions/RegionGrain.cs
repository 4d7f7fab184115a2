using CareCoordination.Common;

namespace CareCoordination.Regions;

public enum RegionMember
{
    Unspecified = 0,
    Client = 1,
    Team = 2,
    Program = 3,
}

[GenerateSerializer, Alias("cc.region-page")]
public sealed record RegionPage([property: Id(0)] IReadOnlyList<string> Ids, [property: Id(1)] string? NextAfter, [property: Id(2)] int Total);

/// <summary>The directory of a region: which clients, teams and programs it has, for listing and region reports.</summary>
[Alias("cc.IRegionGrain")]
public interface IRegionGrain : IGrainWithStringKey
{
    [Alias("Add")] Task AddAsync(RegionMember kind, string id);
    /// <summary>Region-wide figures, summed from the reports of its teams and programs.</summary>
    [Alias("Report")] Task<Reports.RegionReport> GetReportAsync(CancellationToken cancellationToken = default);
    /// <summary>Ids of one kind in order, after <paramref name="after"/> (exclusive), at most <paramref name="max"/>.</summary>
    [Alias("List")] Task<RegionPage> ListAsync(RegionMember kind, string? after, int max, CancellationToken cancellationToken = default);
}

[GenerateSerializer, Alias("cc.region-state")]
public sealed class RegionState
{
    [Id(0)] public SortedSet<string> Clients { get; set; } = new(StringComparer.Ordinal);
    [Id(1)] public SortedSet<string> Teams { get; set; } = new(StringComparer.Ordinal);
    [Id(2)] public SortedSet<string> Programs { get; set; } = new(StringComparer.Ordinal);
}

[GrainType("region")]
public sealed class RegionGrain([PersistentState("region", "state")] IPersistentState<RegionState> region) : Grain, IRegionGrain
{
    public async Task AddAsync(RegionMember kind, string id)
    {
        if (!Set(kind).Add(id)) return;
        await region.WriteOrDeactivateAsync(DeactivateOnIdle);
    }

    public Task<RegionPage> ListAsync(RegionMember kind, string? after, int max, CancellationToken cancellationToken = default)
    {
        var set = Set(kind);
        var ids = set.Where(x => string.IsNullOrEmpty(after) || string.CompareOrdinal(x, after) > 0).Take(max + 1).ToList();
        var next = ids.Count > max ? ids[max - 1] : null;
        return Task.FromResult(new RegionPage(ids.Take(max).ToList(), next, set.Count));
    }

    public async Task<Reports.RegionReport> GetReportAsync(CancellationToken cancellationToken = default)
    {
        var teams = (await Task.WhenAll(region.State.Teams.Select(t => Existing(GrainFactory.Ref<CareTeams.ICareTeamGrain>(t).GetReportAsync(cancellationToken))))).OfType<Reports.TeamReport>().ToList();
        var programs = (await Task.WhenAll(region.State.Programs.Select(p => Existing(GrainFactory.Ref<Programs.IProgramGrain>(p).GetReportAsync(cancellationToken))))).OfType<Reports.ProgramReport>().ToList();
        return new Reports.RegionReport(this.GetPrimaryKeyString(), region.State.Clients.Count, teams.Count, programs.Count,
            teams.Sum(t => t.ActiveClients),
            Reports.ReportMath.Merge(teams.Select(t => t.Gaps).Concat(programs.Select(p => p.Gaps))),
            Reports.ReportMath.Merge(teams.Select(t => t.Referrals)),
            teams.Sum(t => t.GoalsTotal), teams.Sum(t => t.GoalsAchieved),
            programs.Sum(p => p.Capacity), programs.Sum(p => p.Enrolled), programs.Sum(p => p.Waitlisted));
    }

    /// <summary>A registration that failed after entering the directory leaves an id with nothing behind it: skip it.</summary>
    private static async Task<T?> Existing<T>(Task<T> report) where T : class
    {
        try { return await report; }
        catch (CareCoordinationException e) when (e.Kind == ErrorKind.NotFound) { return null; }
    }

    private SortedSet<string> Set(RegionMember kind) => kind switch
    {
        RegionMember.Client => region.State.Clients,
        RegionMember.Team => region.State.Teams,
        RegionMember.Program => region.State.Programs,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
