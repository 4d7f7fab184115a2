using Orleans.Serialization;
using CareCoordination.Clients;
using CareCoordination.Common;
using CareCoordination.Regions;
using CareCoordination.Reports;
using Orleans.Concurrency;

namespace CareCoordination.CareTeams;

[GenerateSerializer, Alias("cc.team-member")]
public sealed record TeamMember(
    [property: Id(0)] string WorkerId,
    [property: Id(1)] WorkerRole Role,
    [property: Id(2)] string Organisation,
    [property: Id(3)] DateTimeOffset AddedAt);

[GenerateSerializer, Alias("cc.caseload-entry")]
public sealed record CaseloadEntry(
    [property: Id(0)] string ClientId,
    [property: Id(1)] string LeadWorkerId,
    [property: Id(2)] DateTimeOffset AssignedAt,
    // The client's assignment number: the client grain alone decides its team and numbers each decision.
    [property: Id(4)] long Version);

/// <summary>
/// From a client grain: where it stands with this team as of its assignment number <see cref="Version"/>, either on
/// the caseload (with its lead worker) or gone. Teams apply notices in version order and ignore older ones.
/// </summary>
[GenerateSerializer, Alias("cc.caseload-notice")]
public sealed record CaseloadNotice(
    [property: Id(0)] string ClientId,
    [property: Id(1)] long Version,
    [property: Id(2)] bool OnTeam,
    [property: Id(3)] string LeadWorkerId,
    [property: Id(4)] DateTimeOffset At);

/// <summary>The client's answer to an assignment: its assignment number and when it took it.</summary>
[GenerateSerializer, Alias("cc.team-assignment")]
public sealed record TeamAssignment([property: Id(0)] long Version, [property: Id(1)] DateTimeOffset At);

[GenerateSerializer, Alias("cc.team-state")]
public sealed class CareTeamState
{
    [Id(0)] public string TeamId { get; set; } = "";
    [Id(1)] public string Region { get; set; } = "";
    [Id(2)] public bool Created { get; set; }
    [Id(3)] public string Name { get; set; } = "";
    [Id(4)] public string Organisation { get; set; } = "";
    [Id(5)] public List<TeamMember> Members { get; set; } = [];
    [Id(6)] public SortedDictionary<string, CaseloadEntry> Caseload { get; set; } = new(StringComparer.Ordinal);
    [Id(7)] public RequestLog Requests { get; set; } = new();
    /// <summary>
    /// Clients that left, with the assignment number they left at: a delayed older notice must not bring them back.
    /// Kept a day (notices are retried, never delayed that long), so it does not grow with the team's history.
    /// </summary>
    [Id(9)] public Dictionary<string, CaseloadNotice> Departed { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Who created the team: it manages the team (members, assignments) alongside its team leads.</summary>
    [Id(10)] public string CreatedBy { get; set; } = "";
}

[GenerateSerializer, Alias("cc.team-view")]
public sealed record TeamView(
    [property: Id(0)] string TeamId,
    [property: Id(1)] string Region,
    [property: Id(2)] string Name,
    [property: Id(3)] string Organisation,
    [property: Id(4)] IReadOnlyList<TeamMember> Members,
    [property: Id(5)] int CaseloadSize);

[GenerateSerializer, Alias("cc.caseload-page")]
public sealed record CaseloadPage(
    [property: Id(0)] IReadOnlyList<CaseloadEntry> Entries,
    [property: Id(1)] string? NextAfter,
    [property: Id(2)] int Total);

[Alias("cc.ICareTeamGrain")]
public interface ICareTeamGrain : IGrainWithStringKey
{
    [Alias("Create")]
    Task<TeamView> CreateAsync(WriteRequest request, string region, string name, string organisation, string actor,
        CancellationToken cancellationToken = default);
    [Alias("Get")] Task<TeamView> GetAsync(CancellationToken cancellationToken = default);
    [Alias("AddMember")] Task<TeamView> AddMemberAsync(WriteRequest request, string workerId, WorkerRole role,
        string organisation, CancellationToken cancellationToken = default);
    [Alias("RemoveMember")] Task<TeamView> RemoveMemberAsync(WriteRequest request, string workerId,
        CancellationToken cancellationToken = default);
    /// <summary>
    /// Takes a client onto the caseload with a lead worker from the team; the client's alerts then reach this team's
    /// feed. The client grain decides; this team records its answer.
    /// </summary>
    [Alias("Assign")]
    Task<CaseloadEntry> AssignClientAsync(WriteRequest request, string clientId, string leadWorkerId, string actor,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// From a client grain: it joined or left this team. Interleaves with whatever the team is doing, so a client
    /// never waits on a team that may be waiting on it (a team assigning that client, or reading its caseload).
    /// Idempotent and ordered by the client's assignment number.
    /// </summary>
    [AlwaysInterleave, Alias("CaseloadNotice")] Task ApplyCaseloadNoticeAsync(CaseloadNotice notice);
    [Alias("Caseload")] Task<CaseloadPage> GetCaseloadAsync(string? after, int max,
        CancellationToken cancellationToken = default);
    /// <summary>Open gaps of the clients on the caseload, oldest first.</summary>
    [Alias("OpenGaps")]
    Task<IReadOnlyList<Alerts.OwnedGap>> GetOpenGapsAsync(CancellationToken cancellationToken = default);
    [Alias("Report")] Task<TeamReport> GetReportAsync(CancellationToken cancellationToken = default);

    /// <summary>Members, organisation and creator, for the gateway's access policy; <see cref="TeamAccessFacts.None"/>
    /// if unknown.</summary>
    [Alias("AccessFacts")] Task<TeamAccessFacts> GetAccessFactsAsync(CancellationToken cancellationToken = default);
}

[GrainType("care-team")]
public sealed class CareTeamGrain(
    [PersistentState("team", "state")] IPersistentState<CareTeamState> team,
    CareClock time,
    IHistoryStore historyStore,
    Serializer serializer) : Grain, ICareTeamGrain
{
    private GrainHistory? _history;
    private GrainHistory History => _history ??= new GrainHistory(historyStore, serializer, "team/" + Id);
    private static readonly TimeSpan DepartedKept = TimeSpan.FromDays(1);
    // Caseload notices interleave with requests: one write of the state at a time.
    private readonly SerialWrites _writes = new();
    private CareTeamState S => team.State;
    private string Id => this.GetPrimaryKeyString();

    public async Task<TeamView> CreateAsync(WriteRequest request, string region, string name, string organisation,
        string actor, CancellationToken cancellationToken = default)
    {
        if (await History.FindAsync(S.Requests, request) is null)
        {
            if (S.Created) throw CareCoordinationException.Exists("team_id", $"team {Id} already exists");
            await GrainFactory.Ref<IRegionGrain>(region).AddAsync(RegionMember.Team, Id);
            S.TeamId = Id;
            S.Region = region;
            S.Created = true;
            S.Name = name;
            S.Organisation = organisation;
            S.CreatedBy = actor;
            S.Requests.Remember(request, Id);
            await PersistAsync();
        }
        return View();
    }

    public Task<TeamAccessFacts> GetAccessFactsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(!S.Created
            ? TeamAccessFacts.None
            : new TeamAccessFacts(true, S.Region, S.Organisation, S.CreatedBy,
                S.Members.Select(m => new TeamMemberFact(m.WorkerId, m.Role, m.Organisation)).ToList()));

    public Task<TeamView> GetAsync(CancellationToken cancellationToken = default)
    {
        RequireCreated();
        return Task.FromResult(View());
    }

    public async Task<TeamView> AddMemberAsync(WriteRequest request, string workerId, WorkerRole role,
        string organisation, CancellationToken cancellationToken = default)
    {
        RequireCreated();
        if (await History.FindAsync(S.Requests, request) is null)
        {
            if (S.Members.Any(m => m.WorkerId == workerId))
                throw CareCoordinationException.Exists("worker_id",
                    $"worker {workerId} is already a member of team {Id}");
            S.Members.Add(new TeamMember(workerId, role, organisation, time.GetUtcNow()));
            S.Requests.Remember(request, workerId);
            await PersistAsync();
        }
        return View();
    }

    public async Task<TeamView> RemoveMemberAsync(WriteRequest request, string workerId,
        CancellationToken cancellationToken = default)
    {
        RequireCreated();
        if (await History.FindAsync(S.Requests, request) is null)
        {
            var member = S.Members.Find(m => m.WorkerId == workerId)
                ?? throw CareCoordinationException.NotFound("worker_id",
                    $"worker {workerId} is not a member of team {Id}");
            var leading = S.Caseload.Values.Count(c => c.LeadWorkerId == workerId);
            if (leading > 0)
                throw CareCoordinationException.Precondition("worker_id",
                    $"worker {workerId} is lead worker for {leading} client(s); assign another lead worker first");
            S.Members.Remove(member);
            S.Requests.Remember(request, workerId);
            await PersistAsync();
        }
        return View();
    }

    public async Task<CaseloadEntry> AssignClientAsync(WriteRequest request, string clientId, string leadWorkerId,
        string actor, CancellationToken cancellationToken = default)
    {
        RequireCreated();
        // A retry answers what the first attempt answered, even if the client has moved on since.
        if (await History.FindAsync(S.Requests, request) is { } prior)
            return new CaseloadEntry(clientId, leadWorkerId, prior.At ?? default, 0);
        if (!S.Members.Any(m => m.WorkerId == leadWorkerId))
            throw CareCoordinationException.Precondition("lead_worker_id",
                $"worker {leadWorkerId} is not a member of team {Id}; add them first");
        // The client decides (and refuses a closed case or another region); it tells this team by a caseload notice
        // before it answers, and the answer is applied here too in case that notice was lost.
        var assigned = await GrainFactory.Ref<IClientGrain>(clientId)
            .AssignTeamAsync(Id, S.Region, leadWorkerId, actor, cancellationToken);
        Apply(new CaseloadNotice(clientId, assigned.Version, true, leadWorkerId, assigned.At));
        S.Requests.Remember(request, clientId, assigned.At);
        await PersistAsync();
        return new CaseloadEntry(clientId, leadWorkerId, assigned.At, assigned.Version);
    }

    public async Task ApplyCaseloadNoticeAsync(CaseloadNotice notice)
    {
        if (Apply(notice)) await PersistAsync();
    }

    /// <summary>Applies a client's notice unless a newer one was applied already; true if the caseload
    /// changed.</summary>
    private bool Apply(CaseloadNotice n)
    {
        if (S.Caseload.TryGetValue(n.ClientId, out var entry) && entry.Version >= n.Version) return false;
        if (S.Departed.TryGetValue(n.ClientId, out var gone) && gone.Version >= n.Version) return false;
        if (n.OnTeam)
        {
            S.Caseload[n.ClientId] = new CaseloadEntry(n.ClientId, n.LeadWorkerId, n.At, n.Version);
            S.Departed.Remove(n.ClientId);
        }
        else
        {
            S.Caseload.Remove(n.ClientId);
            S.Departed[n.ClientId] = n;
        }
        var forgetBefore = time.GetUtcNow() - DepartedKept;
        foreach (var old in S.Departed.Values.Where(d => d.At < forgetBefore).ToList()) S.Departed.Remove(old.ClientId);
        return true;
    }

    public Task<CaseloadPage> GetCaseloadAsync(string? after, int max, CancellationToken cancellationToken = default)
    {
        RequireCreated();
        var entries = S.Caseload.Values
            .Where(c => string.IsNullOrEmpty(after) || string.CompareOrdinal(c.ClientId, after) > 0)
            .Take(max + 1).ToList();
        return Task.FromResult(new CaseloadPage(entries.Take(max).ToList(),
            entries.Count > max ? entries[max - 1].ClientId : null, S.Caseload.Count));
    }

    public async Task<IReadOnlyList<Alerts.OwnedGap>> GetOpenGapsAsync(CancellationToken cancellationToken = default)
    {
        RequireCreated();
        var gaps = await Task.WhenAll(S.Caseload.Keys.Select(async id =>
            (Owner: new Alerts.GapOwner(Alerts.GapOwnerKind.Client, id),
                Open: await GrainFactory.Ref<IClientGrain>(id).GetOpenGapsAsync(cancellationToken))));
        return gaps
            .SelectMany(c => c.Open.Select(g => new Alerts.OwnedGap(c.Owner, g)))
            .OrderBy(g => g.Gap.OpenedAt).ThenBy(g => g.Gap.GapId, StringComparer.Ordinal).ToList();
    }

    public async Task<TeamReport> GetReportAsync(CancellationToken cancellationToken = default)
    {
        RequireCreated();
        var summaries = await Task.WhenAll(S.Caseload.Keys
            .Select(id => GrainFactory.Ref<IClientGrain>(id).GetSummaryAsync(cancellationToken)));
        return ReportMath.Team(Id, summaries, S.Members.Count, time.GetUtcNow());
    }

    private Task PersistAsync() => _writes.WriteAsync(async () =>
    {
        await team.WriteOrDeactivateAsync(DeactivateOnIdle);
        await History.FileAsync(S.Requests);
    });

    private void RequireCreated()
    {
        if (!S.Created) throw CareCoordinationException.NotFound("team_id", $"team {Id} does not exist");
    }

    private TeamView View() => new(Id, S.Region, S.Name, S.Organisation, S.Members.ToList(), S.Caseload.Count);
}
