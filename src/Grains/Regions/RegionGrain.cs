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
public sealed record RegionPage(
    [property: Id(0)] IReadOnlyList<string> Ids,
    [property: Id(1)] string? NextAfter,
    [property: Id(2)] int Total);

/// <summary>The directory of a region: which clients, teams and programs it has, for listing and region
/// reports.</summary>
[Alias("cc.IRegionGrain")]
public interface IRegionGrain : IGrainWithStringKey
{
    [Alias("Add")] Task AddAsync(RegionMember kind, string id);
    /// <summary>Region-wide figures, summed from the reports of its teams and programs.</summary>
    [Alias("Report")] Task<Reports.RegionReport> GetReportAsync(CancellationToken cancellationToken = default);
    /// <summary>Ids of one kind in order, after <paramref name="after"/> (exclusive), at most
    /// <paramref name="max"/>.</summary>
    [Alias("List")] Task<RegionPage> ListAsync(RegionMember kind, string? after, int max,
        CancellationToken cancellationToken = default);
}

[GenerateSerializer, Alias("cc.region-state")]
public sealed class RegionState
{
    /// <summary>
    /// Clients registered but not yet filed in the directory's history log: a region of 100,000 people writes as
    /// many bytes per registration as one of 100. (Before filing existed, every client of the region was here.)
    /// </summary>
    [Id(0)] public SortedSet<string> Clients { get; set; } = new(StringComparer.Ordinal);
    [Id(1)] public SortedSet<string> Teams { get; set; } = new(StringComparer.Ordinal);
    [Id(2)] public SortedSet<string> Programs { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Every client of the region, filed or not.</summary>
    [Id(3)] public int ClientCount { get; set; }
    /// <summary>How many clients were filed: none means there is nothing to look up in the log.</summary>
    [Id(4)] public long FiledClients { get; set; }
}

[GrainType("region")]
public sealed class RegionGrain(
    [PersistentState("region", "state")] IPersistentState<RegionState> region,
    IHistoryStore historyStore,
    Orleans.Serialization.Serializer serializer) : Grain, IRegionGrain
{
    private const string ClientLog = "clients";
    private static readonly byte[] Member = [1];
    private GrainHistory? _history;
    private GrainHistory History =>
        _history ??= new GrainHistory(historyStore, serializer, "region/" + this.GetPrimaryKeyString());
    private RegionState S => region.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A directory stored before filing existed holds every client: they count, and are filed with the next write.
        if (S.ClientCount == 0) S.ClientCount = S.Clients.Count;
        return Task.CompletedTask;
    }

    public async Task AddAsync(RegionMember kind, string id)
    {
        if (kind == RegionMember.Client)
        {
            if (S.Clients.Contains(id) || (S.FiledClients > 0 && await History.ContainsAsync(ClientLog, id))) return;
            S.Clients.Add(id);
            S.ClientCount++;
        }
        else if (!Set(kind).Add(id))
        {
            return;
        }
        await region.WriteOrDeactivateAsync(DeactivateOnIdle);
        if (S.Clients.Count >= GrainHistory.FileAt
            && await History.TryFileAsync(ClientLog, S.Clients.Select(c => (c, Member))))
        {
            // Dropped from the state written next; a crash before that files them again, to no effect.
            S.FiledClients += S.Clients.Count;
            S.Clients.Clear();
        }
    }

    public async Task<RegionPage> ListAsync(RegionMember kind, string? after, int max,
        CancellationToken cancellationToken = default)
    {
        bool After(string x) => string.IsNullOrEmpty(after) || string.CompareOrdinal(x, after) > 0;
        if (kind != RegionMember.Client)
        {
            var set = Set(kind);
            var ids = set.Where(After).Take(max + 1).ToList();
            return new RegionPage(ids.Take(max).ToList(), ids.Count > max ? ids[max - 1] : null, set.Count);
        }
        var (page, next) = await History.PageAsync(ClientLog, S.FiledClients > 0, S.Clients, id => id, e => e.Key,
            after, max);
        return new RegionPage(page, next, S.ClientCount);
    }

    public async Task<Reports.RegionReport> GetReportAsync(CancellationToken cancellationToken = default)
    {
        var teams = (await Task.WhenAll(region.State.Teams.Select(t =>
                Existing(GrainFactory.Ref<CareTeams.ICareTeamGrain>(t).GetReportAsync(cancellationToken)))))
            .OfType<Reports.TeamReport>().ToList();
        var programs = (await Task.WhenAll(region.State.Programs.Select(p =>
                Existing(GrainFactory.Ref<Programs.IProgramGrain>(p).GetReportAsync(cancellationToken)))))
            .OfType<Reports.ProgramReport>().ToList();
        return Reports.ReportMath.Region(this.GetPrimaryKeyString(), S.ClientCount, teams, programs);
    }

    /// <summary>A registration that failed after entering the directory leaves an id with nothing behind it: skip
    /// it.</summary>
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
