using Orleans.Concurrency;
using Orleans.Serialization;
using CareCoordination.Alerts;
using CareCoordination.CareGaps;
using CareCoordination.CareTeams;
using CareCoordination.Common;
using CareCoordination.Programs;
using CareCoordination.Regions;
using Microsoft.Extensions.Options;

namespace CareCoordination.Clients;

[Alias("cc.IClientGrain")]
public interface IClientGrain : ICareGapOwner
{
    [Alias("Register")] Task<ClientWriteResult> RegisterAsync(WriteRequest request, RegisterClient command,
        CancellationToken cancellationToken = default);
    /// <summary>The client; NOT_FOUND if never registered.</summary>
    [Alias("Get")] Task<ClientView> GetAsync(CancellationToken cancellationToken = default);
    [Alias("Consent")] Task<ClientWriteResult> RecordConsentAsync(WriteRequest request, RecordConsent command,
        CancellationToken cancellationToken = default);
    [Alias("Assess")] Task<ClientWriteResult> RecordAssessmentAsync(WriteRequest request, RecordAssessment command,
        CancellationToken cancellationToken = default);
    [Alias("Goal")] Task<ClientWriteResult> SetGoalAsync(WriteRequest request, SetGoal command,
        CancellationToken cancellationToken = default);
    [Alias("ReviewPlan")] Task<ClientWriteResult> ReviewPlanAsync(WriteRequest request, ReviewPlan command,
        CancellationToken cancellationToken = default);
    [Alias("Contact")] Task<ClientWriteResult> RecordContactAsync(WriteRequest request, RecordContact command,
        CancellationToken cancellationToken = default);
    [Alias("Appointment")] Task<ClientWriteResult> ScheduleAppointmentAsync(WriteRequest request,
        ScheduleAppointment command, CancellationToken cancellationToken = default);
    [Alias("Close")] Task<ClientWriteResult> CloseCaseAsync(WriteRequest request, string reason, string actor,
        CancellationToken cancellationToken = default);
    [Alias("Timeline")] Task<TimelinePage> GetTimelineAsync(long afterSequence, int pageSize,
        CancellationToken cancellationToken = default);
    /// <summary>Sends a referral to a program: stored here first, then delivered (and re-delivered until the program
    /// has it).</summary>
    [Alias("Refer")] Task<ClientWriteResult> ReferAsync(WriteRequest request, Refer command,
        CancellationToken cancellationToken = default);
    /// <summary>From a program grain: its answer to a referral. Idempotent by version. Interleaves: the program
    /// waits on it in its turn, and this person's own turn may be waiting on that program.</summary>
    [AlwaysInterleave, Alias("ReferralUpdate")] Task ApplyReferralUpdateAsync(ReferralUpdate update);
    /// <summary>
    /// From a care-team grain: the team and lead worker now responsible. The client alone decides its team: it
    /// numbers the decision and tells the teams concerned (the new one, and the one it left) by caseload notices.
    /// Idempotent: the same team and lead answer the current assignment.
    /// </summary>
    [Alias("AssignTeam")]
    Task<TeamAssignment> AssignTeamAsync(string teamId, string teamRegion, string leadWorkerId, string actor,
        CancellationToken cancellationToken = default);
    [Alias("Summary")] Task<ClientSummary> GetSummaryAsync(CancellationToken cancellationToken = default);

    /// <summary>Who may reach this person's record, for the gateway's access policy;
    /// <see cref="ClientAccessFacts.None"/> if unknown.</summary>
    [Alias("AccessFacts")] Task<ClientAccessFacts> GetAccessFactsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The access facts and the record, from one look at the person: a read is decided on the same state it answers
    /// with, in one call instead of two. No record (null) if the person was never registered.
    /// </summary>
    [Alias("AccessFactsAndView")]
    Task<ClientFactsAndView> GetAccessFactsAndViewAsync(CancellationToken cancellationToken = default);
}

[GrainType("client")]
public sealed class ClientGrain(
    [PersistentState("client", "state")] IPersistentState<ClientState> client,
    CareClock time,
    IOptions<CareGapOptions> options,
    IHistoryStore historyStore,
    Serializer serializer) : GapOwnerGrain<ClientState>(client, time, options, historyStore, serializer), IClientGrain
{
    private string Id => this.GetPrimaryKeyString();
    protected override GapOwner Owner => new(GapOwnerKind.Client, Id);
    private string Feed => S.TeamId is { } team ? AlertFeeds.Team(team) : AlertFeeds.RegionIntake(S.Region);
    private CareGapThresholds Thresholds => GapOptions.ForRegion(S.Region);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A state stored before the timeline was filed carries its lines (up to 2,000): they are filed with the next
        // write.
        if (S.TimelineLast == 0 && S.Timeline.Count > 0) S.TimelineLast = S.Timeline[^1].Sequence;
        // Finish what a crash may have interrupted: referrals not yet delivered, alerts not yet in the feed.
        if (S.PendingReleases.Count > 0)
        {
            // Releases stored before assignment numbers existed become departures numbered after every earlier join.
            S.AssignmentVersion++;
            foreach (var (team, movedAt) in S.PendingReleases)
                S.TeamNotices[team] = new CaseloadNotice(Id, S.AssignmentVersion, false, "", movedAt);
            S.PendingReleases.Clear();
        }
        if (S.Registered && (S.Outbox.Count > 0 || S.TeamNotices.Count > 0
            || S.Referrals.Any(r => r.ProgramKnows != SideOfClient(r))))
            await CommitAsync(mutated: false);
    }

    public async Task<ClientWriteResult> RegisterAsync(WriteRequest request, RegisterClient command,
        CancellationToken cancellationToken = default)
    {
        if (await History.FindAsync(S.Requests, request) is { } prior) return await ReplayAsync(prior);
        if (S.Registered) throw CareCoordinationException.Exists("client_id", $"client {Id} is already registered");
        await GrainFactory.Ref<IRegionGrain>(command.Region).AddAsync(RegionMember.Client, Id);
        var now = Time.GetUtcNow();
        S.ClientId = Id;
        S.Region = command.Region;
        S.Registered = true;
        S.RegisteredAt = now;
        S.Profile = command.Profile;
        S.RegisteredBy = command.Actor;
        Log(now, "registered", $"region {command.Region}", command.Actor);
        return await CompleteAsync(request, Id);
    }

    public Task<ClientView> GetAsync(CancellationToken cancellationToken = default)
    {
        RequireRegistered();
        return Task.FromResult(View());
    }

    public Task<ClientWriteResult> RecordConsentAsync(WriteRequest request, RecordConsent command,
        CancellationToken cancellationToken = default) =>
        WriteAsync(request, now => S.RecordConsent(command, now));

    public Task<ClientWriteResult> RecordAssessmentAsync(WriteRequest request, RecordAssessment command,
        CancellationToken cancellationToken = default) =>
        WriteAsync(request, now => S.RecordAssessment(command, now, Thresholds));

    public Task<ClientWriteResult> SetGoalAsync(WriteRequest request, SetGoal command,
        CancellationToken cancellationToken = default) =>
        WriteAsync(request, now => S.SetGoal(command, now, Thresholds));

    public Task<ClientWriteResult> ReviewPlanAsync(WriteRequest request, ReviewPlan command,
        CancellationToken cancellationToken = default) =>
        WriteAsync(request, now => S.ReviewPlan(command, now, Thresholds));

    public Task<ClientWriteResult> RecordContactAsync(WriteRequest request, RecordContact command,
        CancellationToken cancellationToken = default) =>
        WriteAsync(request, now => S.RecordContact(command, now));

    public Task<ClientWriteResult> ScheduleAppointmentAsync(WriteRequest request, ScheduleAppointment command,
        CancellationToken cancellationToken = default) =>
        WriteAsync(request, now => S.ScheduleAppointment(command, now));

    public Task<ClientWriteResult> CloseCaseAsync(WriteRequest request, string reason, string actor,
        CancellationToken cancellationToken = default) =>
        WriteAsync(request, now => S.CloseCase(reason, actor, now));

    public async Task<TimelinePage> GetTimelineAsync(long afterSequence, int pageSize,
        CancellationToken cancellationToken = default)
    {
        RequireRegistered();
        var (page, more) = await History.ReadTimelineAsync(afterSequence, pageSize, S.Timeline, S.TimelineLast);
        return new TimelinePage(page, more ? page[^1].Sequence : 0);
    }

    public async Task<ClientWriteResult> ReferAsync(WriteRequest request, Refer command,
        CancellationToken cancellationToken = default)
    {
        RequireRegistered();
        if (await History.FindAsync(S.Requests, request) is { } prior) return await ReplayAsync(prior);
        RequireActive();
        var now = Time.GetUtcNow();
        if (S.Consent is null || !S.Consent.Allows(ConsentScope.ReferredPrograms, now))
            throw CareCoordinationException.Precondition("client_id",
                "the person has no current consent to share with referred programs; record consent first");
        if (S.Referrals.Any(r => r.ProgramId == command.ProgramId && r.Domain == command.Domain && r.Open))
            throw CareCoordinationException.Precondition("program_id",
                $"an open referral to program {command.ProgramId} for {command.Domain} already exists");
        var program = await GrainFactory.Ref<IProgramGrain>(command.ProgramId).GetAsync(cancellationToken);
        if (program.Region != S.Region)
            throw CareCoordinationException.Precondition("program_id",
                $"program {command.ProgramId} is in another region");
        if (!program.Domains.Contains(command.Domain))
            throw CareCoordinationException.Precondition("domain",
                $"program {command.ProgramId} does not serve {command.Domain}");
        var id = Keys.Referral(Id, S.NextNumber++);
        S.Referrals.Add(new Referral(id, command.ProgramId, command.Domain, ReferralStatus.Sent, now, null, null, null,
            "", program.ResponseSla, command.Actor, ReferralStatus.Unspecified, 0));
        Log(now, "referral-sent", $"{id} to {command.ProgramId} for {command.Domain}", command.Actor);
        return await CompleteAsync(request, id);
    }

    public async Task ApplyReferralUpdateAsync(ReferralUpdate update)
    {
        if (S.ApplyReferralUpdate(update, Time.GetUtcNow())) await CommitAsync();
    }

    public async Task<TeamAssignment> AssignTeamAsync(string teamId, string teamRegion, string leadWorkerId,
        string actor, CancellationToken cancellationToken = default)
    {
        RequireActive();
        if (teamRegion != S.Region)
            throw CareCoordinationException.Precondition("client_id",
                $"client {Id} is in another region than team {teamId}");
        if (S.TeamId == teamId && S.LeadWorkerId == leadWorkerId && S.AssignedAt is { } since)
        {
            if (S.TeamNotices.Count > 0) await CommitAsync(mutated: false);
            return new TeamAssignment(S.AssignmentVersion, since);
        }
        var previous = S.TeamId;
        var now = Time.GetUtcNow();
        var version = ++S.AssignmentVersion;
        if (previous is not null && previous != teamId)
            S.TeamNotices[previous] = new CaseloadNotice(Id, version, false, "", now);
        S.TeamNotices[teamId] = new CaseloadNotice(Id, version, true, leadWorkerId, now);
        S.TeamId = teamId;
        S.LeadWorkerId = leadWorkerId;
        S.AssignedAt = now;
        Log(now, "team-assigned", $"team {teamId}, lead {leadWorkerId}", actor);
        await CommitAsync();
        return new TeamAssignment(version, now);
    }

    public Task<ClientSummary> GetSummaryAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new ClientSummary(Id, S.Active, S.Gaps.Open.ToList(), S.Gaps.History.ToList(),
            S.Referrals.ToList(), S.Goals.Count, S.Goals.Count(g => g.Status == GoalStatus.Achieved), S.Registered));

    public Task<ClientAccessFacts> GetAccessFactsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(AccessFacts());

    public Task<ClientFactsAndView> GetAccessFactsAndViewAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new ClientFactsAndView(AccessFacts(), S.Registered ? View() : null));

    private ClientAccessFacts AccessFacts()
    {
        if (!S.Registered) return ClientAccessFacts.None;
        var now = Time.GetUtcNow();
        var consent = S.Consent is { } c ? c.Scopes.Where(scope => c.Allows(scope, now)).ToList() : [];
        return new ClientAccessFacts(true, S.Region, S.TeamId, S.LeadWorkerId, S.RegisteredBy,
            S.Referrals.Where(r => r.Open).Select(r => r.ProgramId).Distinct().ToList(), consent);
    }

    protected override void OnGapWorked(DateTimeOffset at, string kind, OpenGap gap, string actor) =>
        Log(at, kind, $"{gap.GapId} {gap.Rule}", actor);


    /// <summary>Validates and applies a write to an active client exactly once per request id.</summary>
    private async Task<ClientWriteResult> WriteAsync(WriteRequest request, Func<DateTimeOffset, string> apply)
    {
        // A retry returns the first answer even if the case has closed since (e.g. a retried CloseCase).
        RequireRegistered();
        if (await History.FindAsync(S.Requests, request) is { } prior) return await ReplayAsync(prior);
        RequireActive();
        // apply validates before it mutates, so a refused request changes nothing.
        var resultId = apply(Time.GetUtcNow());
        return await CompleteAsync(request, resultId);
    }

    private async Task<ClientWriteResult> CompleteAsync(WriteRequest request, string resultId)
    {
        S.Requests.Remember(request, resultId);
        await CommitAsync();
        return new ClientWriteResult(resultId, View());
    }

    /// <summary>A retried request: same answer, and finish any delivery the first attempt may not have
    /// completed.</summary>
    private async Task<ClientWriteResult> ReplayAsync(RequestRecord prior)
    {
        await CommitAsync(mutated: false);
        return new ClientWriteResult(prior.ResultId, View());
    }

    /// <summary>
    /// Re-evaluates gaps against the clock, persists, then delivers what must leave this grain (referrals to
    /// programs, alerts to feeds) and registers the next due time. If the write fails the activation is
    /// dropped, so memory never runs ahead of storage.
    /// </summary>
    /// <param name="mutated">False for a wake, a retry or an activation: state is written only if the gaps
    /// moved.</param>
    protected override async Task CommitAsync(bool mutated = true)
    {
        var now = Time.GetUtcNow();
        var outboxBefore = S.Outbox.Count;
        var changes = S.ReconcileGaps(now, Thresholds, Owner, Feed);
        // The state and the clock's due time are written at once: two stores, one group commit instead of two in a
        // row. Either may land without the other: a due time without its state only wakes the owner to find nothing
        // due, and a failed write fails the call, which is retried by its request id.
        await SaveAsync(mutated || changes.Any || S.Outbox.Count != outboxBefore, PersistAsync, changes.NextDueAt);

        var (delivered, referralsChanged) = await DeliverReferralsAsync();
        var (released, releaseChanged) = await DeliverTeamNoticesAsync();
        delivered &= released;
        referralsChanged |= releaseChanged;
        var hadOutbox = S.Outbox.Count > 0;
        delivered &= await GapKeeping.TryFlushAsync(GrainFactory, S.Outbox);
        if (hadOutbox || referralsChanged) DeliveriesMade();
        // Anything left undelivered makes the owner due soon, so the clock retries it.
        if (!delivered) await ScheduleAsync(now + GapKeeping.DeliveryRetry);
    }

    private static ReferralStatus SideOfClient(Referral r) =>
        r.Status == ReferralStatus.Cancelled ? ReferralStatus.Cancelled : ReferralStatus.Sent;

    private async Task<(bool Ok, bool Changed)> DeliverReferralsAsync()
    {
        var ok = true;
        var changed = false;
        for (var i = 0; i < S.Referrals.Count; i++)
        {
            var r = S.Referrals[i];
            var want = SideOfClient(r);
            if (r.ProgramKnows == want) continue;
            try
            {
                // The program may be delivering an answer to this client right now and wait on it: let that
                // call chain back in instead of deadlocking (state is written, so a nested turn sees it whole).
                using var reentry = RequestContext.AllowCallChainReentrancy();
                var program = GrainFactory.Ref<IProgramGrain>(r.ProgramId);
                if (want == ReferralStatus.Cancelled)
                    await program.WithdrawReferralAsync(r.ReferralId, r.EndedAt ?? Time.GetUtcNow());
                else
                    await program.ReceiveReferralAsync(new ReferralNotice(r.ReferralId, Id, r.Domain, r.SentAt));
                S.Referrals[i] = S.Referrals[i] with { ProgramKnows = want };
                changed = true;
            }
            catch (Exception ex) when (ex is not CareCoordinationException) { ok = false; }
        }
        return (ok, changed);
    }

    /// <summary>
    /// Tells teams where the client stands; each notice is kept and retried until its team has it. Teams take
    /// notices interleaved, so this never waits on a team that is itself waiting on this client.
    /// </summary>
    private async Task<(bool Ok, bool Changed)> DeliverTeamNoticesAsync()
    {
        var ok = true;
        var changed = false;
        foreach (var (team, notice) in S.TeamNotices.ToList())
        {
            try
            {
                await GrainFactory.Ref<ICareTeamGrain>(team).ApplyCaseloadNoticeAsync(notice);
                S.TeamNotices.Remove(team);
                changed = true;
            }
            catch (Exception ex) when (ex is not CareCoordinationException) { ok = false; }
        }
        return (ok, changed);
    }

    private async Task PersistAsync()
    {
        await WriteStateAsync();
        await History.FileAsync(S.Requests, S.Timeline);
    }


    private void Log(DateTimeOffset at, string kind, string detail, string actor) => S.Log(at, kind, detail, actor);

    protected override void RequireRegistered()
    {
        if (!S.Registered) throw CareCoordinationException.NotFound("client_id", $"client {Id} does not exist");
    }

    private void RequireActive()
    {
        RequireRegistered();
        if (S.Closed) throw CareCoordinationException.Precondition("client_id", $"the case of client {Id} is closed");
    }

    private ClientView View() => new(Id, S.Region, S.Closed, S.RegisteredAt, S.Profile, S.Consent, S.TeamId,
        S.LeadWorkerId, S.Assessment, S.Goals.ToList(), S.PlanReviewDue, S.Referrals.ToList(), S.Enrollments.ToList(),
        S.LastContactAt, S.Appointments.ToList(), S.ConsecutiveMissedAppointments, S.Gaps.Open.ToList(),
        S.CloseReason, S.ClosedAt);
}
