using CareCoordination.Clients;
using CareCoordination.Common;
using CareCoordination.Regions;
using CareCoordination.Reports;

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
    // False until the client grain has taken the assignment; re-sent on activation until it has.
    [property: Id(3)] bool ClientConfirmed);

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
    [Id(8)] public string AssignedBy { get; set; } = "";
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
public sealed record CaseloadPage([property: Id(0)] IReadOnlyList<CaseloadEntry> Entries, [property: Id(1)] string? NextAfter, [property: Id(2)] int Total);

[Alias("cc.ICareTeamGrain")]
public interface ICareTeamGrain : IGrainWithStringKey
{
    [Alias("Create")] Task<TeamView> CreateAsync(WriteRequest request, string region, string name, string organisation, CancellationToken cancellationToken = default);
    [Alias("Get")] Task<TeamView> GetAsync(CancellationToken cancellationToken = default);
    [Alias("AddMember")] Task<TeamView> AddMemberAsync(WriteRequest request, string workerId, WorkerRole role, string organisation, CancellationToken cancellationToken = default);
    [Alias("RemoveMember")] Task<TeamView> RemoveMemberAsync(WriteRequest request, string workerId, CancellationToken cancellationToken = default);
    /// <summary>Takes a client onto the caseload with a lead worker from the team; the client's alerts then reach this team's feed.</summary>
    [Alias("Assign")] Task<CaseloadEntry> AssignClientAsync(WriteRequest request, string clientId, string leadWorkerId, string actor, CancellationToken cancellationToken = default);
    /// <summary>From a client grain that moved to another team at <paramref name="movedAt"/>. Idempotent; a later re-assignment here stays.</summary>
    [Alias("Release")] Task ReleaseClientAsync(string clientId, DateTimeOffset movedAt);
    [Alias("Caseload")] Task<CaseloadPage> GetCaseloadAsync(string? after, int max, CancellationToken cancellationToken = default);
    /// <summary>Open gaps of the clients on the caseload, oldest first.</summary>
    [Alias("OpenGaps")] Task<IReadOnlyList<Alerts.OwnedGap>> GetOpenGapsAsync(CancellationToken cancellationToken = default);
    [Alias("Report")] Task<TeamReport> GetReportAsync(CancellationToken cancellationToken = default);
}

[GrainType("care-team")]
public sealed class CareTeamGrain(
    [PersistentState("team", "state")] IPersistentState<CareTeamState> team,
    CareClock time) : Grain, ICareTeamGrain
{
    private CareTeamState S => team.State;
    private string Id => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (S.Caseload.Values.Any(c => !c.ClientConfirmed)) await ConfirmAssignmentsAsync();
    }

    public async Task<TeamView> CreateAsync(WriteRequest request, string region, string name, string organisation, CancellationToken cancellationToken = default)
    {
        if (S.Requests.Find(request) is null)
        {
            if (S.Created) throw CareCoordinationException.Exists("team_id", $"team {Id} already exists");
            await GrainFactory.GetGrain<IRegionGrain>(region).AddAsync(RegionMember.Team, Id);
            S.TeamId = Id;
            S.Region = region;
            S.Created = true;
            S.Name = name;
            S.Organisation = organisation;
            S.Requests.Remember(request, Id);
            await PersistAsync();
        }
        return View();
    }

    public Task<TeamView> GetAsync(CancellationToken cancellationToken = default)
    {
        RequireCreated();
        return Task.FromResult(View());
    }

    public async Task<TeamView> AddMemberAsync(WriteRequest request, string workerId, WorkerRole role, string organisation, CancellationToken cancellationToken = default)
    {
        RequireCreated();
        if (S.Requests.Find(request) is null)
        {
            if (S.Members.Any(m => m.WorkerId == workerId))
                throw CareCoordinationException.Exists("worker_id", $"worker {workerId} is already a member of team {Id}");
            S.Members.Add(new TeamMember(workerId, role, organisation, time.GetUtcNow()));
            S.Requests.Remember(request, workerId);
            await PersistAsync();
        }
        return View();
    }

    public async Task<TeamView> RemoveMemberAsync(WriteRequest request, string workerId, CancellationToken cancellationToken = default)
    {
        RequireCreated();
        if (S.Requests.Find(request) is null)
        {
            var member = S.Members.Find(m => m.WorkerId == workerId)
                ?? throw CareCoordinationException.NotFound("worker_id", $"worker {workerId} is not a member of team {Id}");
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

    public async Task<CaseloadEntry> AssignClientAsync(WriteRequest request, string clientId, string leadWorkerId, string actor, CancellationToken cancellationToken = default)
    {
        RequireCreated();
        if (S.Requests.Find(request) is null)
        {
            if (!S.Members.Any(m => m.WorkerId == leadWorkerId))
                throw CareCoordinationException.Precondition("lead_worker_id", $"worker {leadWorkerId} is not a member of team {Id}; add them first");
            var client = await GrainFactory.GetGrain<IClientGrain>(clientId).GetAsync(cancellationToken);
            if (client.Closed) throw CareCoordinationException.Precondition("client_id", $"the case of client {clientId} is closed");
            if (client.Region != S.Region) throw CareCoordinationException.Precondition("client_id", $"client {clientId} is in another region");
            S.Caseload[clientId] = new CaseloadEntry(clientId, leadWorkerId, time.GetUtcNow(), false);
            S.AssignedBy = actor;
            S.Requests.Remember(request, clientId);
            await PersistAsync();
        }
        await ConfirmAssignmentsAsync(failFor: clientId);
        return S.Caseload.TryGetValue(clientId, out var entry) ? entry
            : throw CareCoordinationException.Precondition("client_id", $"client {clientId} has since moved to another team");
    }

    public async Task ReleaseClientAsync(string clientId, DateTimeOffset movedAt)
    {
        if (S.Caseload.TryGetValue(clientId, out var entry) && entry.AssignedAt <= movedAt && S.Caseload.Remove(clientId))
            await PersistAsync();
    }

    public Task<CaseloadPage> GetCaseloadAsync(string? after, int max, CancellationToken cancellationToken = default)
    {
        RequireCreated();
        var entries = S.Caseload.Values.Where(c => string.IsNullOrEmpty(after) || string.CompareOrdinal(c.ClientId, after) > 0).Take(max + 1).ToList();
        return Task.FromResult(new CaseloadPage(entries.Take(max).ToList(), entries.Count > max ? entries[max - 1].ClientId : null, S.Caseload.Count));
    }

    public async Task<IReadOnlyList<Alerts.OwnedGap>> GetOpenGapsAsync(CancellationToken cancellationToken = default)
    {
        RequireCreated();
        var gaps = await Task.WhenAll(S.Caseload.Keys.Select(async id =>
            (Owner: new Alerts.GapOwner(Alerts.GapOwnerKind.Client, id), Open: await GrainFactory.GetGrain<IClientGrain>(id).GetOpenGapsAsync(cancellationToken))));
        return gaps
            .SelectMany(c => c.Open.Select(g => new Alerts.OwnedGap(c.Owner, g)))
            .OrderBy(g => g.Gap.OpenedAt).ThenBy(g => g.Gap.GapId, StringComparer.Ordinal).ToList();
    }

    public async Task<TeamReport> GetReportAsync(CancellationToken cancellationToken = default)
    {
        RequireCreated();
        var summaries = await Task.WhenAll(S.Caseload.Keys.Select(id => GrainFactory.GetGrain<IClientGrain>(id).GetSummaryAsync(cancellationToken)));
        var now = time.GetUtcNow();
        return new TeamReport(Id,
            summaries.Count(s => s.Active), summaries.Count(s => s.Registered && !s.Active),
            ReportMath.Gaps(summaries.SelectMany(s => s.OpenGaps), summaries.SelectMany(s => s.ClosedGaps), now),
            ReportMath.Funnel(summaries.SelectMany(s => s.Referrals)),
            summaries.Sum(s => s.GoalsTotal), summaries.Sum(s => s.GoalsAchieved), S.Members.Count);
    }

    /// <summary>Tells clients of their assignment. Failures are retried later, except for <paramref name="failFor"/>, whose caller is told.</summary>
    private async Task ConfirmAssignmentsAsync(string? failFor = null)
    {
        var changed = false;
        foreach (var entry in S.Caseload.Values.Where(c => !c.ClientConfirmed).ToList())
        {
            try
            {
                // The client releases its previous team on the way: let a call chain that comes back here in.
                using var reentry = RequestContext.AllowCallChainReentrancy();
                await GrainFactory.GetGrain<IClientGrain>(entry.ClientId).AssignTeamAsync(Id, entry.LeadWorkerId, S.AssignedBy);
                S.Caseload[entry.ClientId] = entry with { ClientConfirmed = true };
            }
            catch (CareCoordinationException)
            {
                // The client refused (its case closed meanwhile): the assignment cannot stand.
                S.Caseload.Remove(entry.ClientId);
                if (entry.ClientId == failFor) { await PersistAsync(); throw; }
            }
            catch when (entry.ClientId != failFor) { continue; }
            changed = true;
        }
        if (changed) await PersistAsync();
    }

    private async Task PersistAsync()
    {
        await team.WriteOrDeactivateAsync(DeactivateOnIdle);
    }

    private void RequireCreated()
    {
        if (!S.Created) throw CareCoordinationException.NotFound("team_id", $"team {Id} does not exist");
    }

    private TeamView View() => new(Id, S.Region, S.Name, S.Organisation, S.Members.ToList(), S.Caseload.Count);
}
