using Orleans.Concurrency;
using Orleans.Serialization;
using CareCoordination.Alerts;
using CareCoordination.CareGaps;
using CareCoordination.Clients;
using CareCoordination.Common;
using CareCoordination.Regions;
using Microsoft.Extensions.Options;

namespace CareCoordination.Programs;

[Alias("cc.IProgramGrain")]
public interface IProgramGrain : ICareGapOwner
{
    [Alias("Register")]
    Task<ProgramView> RegisterAsync(WriteRequest request, RegisterProgram command,
        CancellationToken cancellationToken = default);

    /// <summary>The program; NOT_FOUND if it was never registered.</summary>
    [Alias("Get")]
    Task<ProgramView> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>From a client grain: a referral arrives. Idempotent by referral id. Interleaves, like the
    /// withdrawal: the person waits on it in their turn, and this program's own turn may be waiting on them.</summary>
    [AlwaysInterleave, Alias("Receive")]
    Task ReceiveReferralAsync(ReferralNotice notice);

    /// <summary>From a client grain: the referral is withdrawn (case closed). Idempotent.</summary>
    [AlwaysInterleave, Alias("Withdraw")]
    Task WithdrawReferralAsync(string referralId, DateTimeOffset at);

    [Alias("Respond")]
    Task<ProgramReferral> RespondAsync(WriteRequest request, string referralId, bool accept, string reasonCode,
        string actor, CancellationToken cancellationToken = default);

    /// <summary>Enrolls an accepted referral, or puts it on the waitlist when the program is full.</summary>
    [Alias("Enroll")]
    Task<ProgramReferral> EnrollAsync(WriteRequest request, string referralId, string actor,
        CancellationToken cancellationToken = default);

    [Alias("Report")]
    Task<Reports.ProgramReport> GetReportAsync(CancellationToken cancellationToken = default);

    /// <summary>Every referral the program received, in progress or ended, in referral-id order after
    /// <paramref name="after"/>.</summary>
    [Alias("ListReferrals")]
    Task<ReferralPage> ListReferralsAsync(string? after, int max, CancellationToken cancellationToken = default);

    /// <summary>Region and coordinators, for the gateway's access policy; <see cref="ProgramAccessFacts.None"/> if
    /// unknown.</summary>
    [Alias("AccessFacts")]
    Task<ProgramAccessFacts> GetAccessFactsAsync(CancellationToken cancellationToken = default);

    [Alias("Discharge")]
    Task<ProgramReferral> DischargeAsync(WriteRequest request, string referralId, string outcome, string actor,
        CancellationToken cancellationToken = default);
}

[GrainType("program")]
public sealed class ProgramGrain(
    [PersistentState("program", "state")] IPersistentState<ProgramState> program,
    CareClock time,
    IOptions<CareGapOptions> options,
    IHistoryStore historyStore,
    Serializer serializer)
    : GapOwnerGrain<ProgramState>(program, time, options, historyStore, serializer), IProgramGrain
{
    private const string ReferralLog = "referrals";
    protected override GapOwner Owner => new(GapOwnerKind.Program, this.GetPrimaryKeyString());

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Finish what a crash may have interrupted: answers not yet told to clients, alerts not yet in the feed.
        if (S.Registered && (S.Outbox.Count > 0 || S.Referrals.Values.Any(r => r.ClientKnowsVersion < r.Version)))
            await CommitAsync(mutated: false);
    }

    public Task<ProgramAccessFacts> GetAccessFactsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(S.Registered
            ? new ProgramAccessFacts(true, S.Region, S.Coordinators.ToList())
            : ProgramAccessFacts.None);

    public async Task<ProgramView> RegisterAsync(WriteRequest request, RegisterProgram command,
        CancellationToken cancellationToken = default)
    {
        if (await History.FindAsync(S.Requests, request) is null)
        {
            if (S.Registered)
                throw CareCoordinationException.Exists("program_id",
                    $"program {this.GetPrimaryKeyString()} is already registered");
            await GrainFactory.Ref<IRegionGrain>(command.Region)
                .AddAsync(RegionMember.Program, this.GetPrimaryKeyString());
            S.ProgramId = this.GetPrimaryKeyString();
            S.Region = command.Region;
            S.Registered = true;
            S.RegisteredAt = Time.GetUtcNow();
            S.Name = command.Name;
            S.Kind = command.Kind;
            S.Domains = command.Domains.Distinct().ToList();
            S.Capacity = command.Capacity;
            S.ResponseSla = command.ResponseSla;
            S.Coordinators = command.Coordinators.Distinct().ToList();
            S.Eligibility = command.Eligibility;
            S.Provider = command.Provider;
            S.Requests.Remember(request, S.ProgramId);
            await CommitAsync();
        }
        return View();
    }

    public Task<ProgramView> GetAsync(CancellationToken cancellationToken = default)
    {
        RequireRegistered();
        return Task.FromResult(View());
    }

    public async Task ReceiveReferralAsync(ReferralNotice notice)
    {
        RequireRegistered();
        // A late re-delivery of a referral that has since ended and been filed must not bring it back.
        if (S.Referrals.ContainsKey(notice.ReferralId)
            || (S.Filed.Sent > 0 && await History.ContainsAsync(ReferralLog, notice.ReferralId)))
            return;
        S.Referrals[notice.ReferralId] = new ProgramReferral(notice.ReferralId, notice.ClientId, notice.Domain,
            ReferralStatus.Sent, Time.GetUtcNow(), null, null, null, null, "", 0, 0, notice.SentAt);
        await CommitAsync();
    }

    public async Task WithdrawReferralAsync(string referralId, DateTimeOffset at)
    {
        if (!S.Referrals.TryGetValue(referralId, out var r)
            || r.Status is ReferralStatus.Cancelled or ReferralStatus.Completed or ReferralStatus.Declined)
            return;
        // The client initiated this: it already knows, so the version it knows moves along too.
        S.Referrals[referralId] = r with
        {
            Status = ReferralStatus.Cancelled, EndedAt = at, Version = r.Version + 1, ClientKnowsVersion = r.Version + 1
        };
        await CommitAsync();
    }

    public Task<ProgramReferral> RespondAsync(WriteRequest request, string referralId, bool accept, string reasonCode,
        string actor, CancellationToken cancellationToken = default) =>
        ChangeReferralAsync(request, referralId, (r, now) =>
        {
            if (r.Status != ReferralStatus.Sent)
                throw CareCoordinationException.Precondition("referral_id",
                    $"referral {referralId} was already answered ({r.Status})");
            CareTelemetry.ReferralAnswered(accept, now - r.ReceivedAt);
            return r with
            {
                Status = accept ? ReferralStatus.Accepted : ReferralStatus.Declined,
                RespondedAt = now,
                ReasonCode = reasonCode
            };
        });

    public Task<ProgramReferral> EnrollAsync(WriteRequest request, string referralId, string actor,
        CancellationToken cancellationToken = default) =>
        ChangeReferralAsync(request, referralId, (r, now) =>
        {
            if (r.Status is not (ReferralStatus.Accepted or ReferralStatus.Waitlisted))
                throw CareCoordinationException.Precondition("referral_id",
                    $"referral {referralId} is {r.Status}; only an accepted or waitlisted referral can be enrolled");
            if (S.Full)
                return r.Status == ReferralStatus.Waitlisted
                    ? throw CareCoordinationException.Precondition("referral_id",
                        $"program is at capacity ({S.Capacity}); referral {referralId} stays on the waitlist")
                    : r with { Status = ReferralStatus.Waitlisted, WaitlistedAt = now };
            return r with { Status = ReferralStatus.Enrolled, EnrolledAt = now };
        });

    public Task<ProgramReferral> DischargeAsync(WriteRequest request, string referralId, string outcome, string actor,
        CancellationToken cancellationToken = default) =>
        ChangeReferralAsync(request, referralId, (r, now) =>
        {
            if (r.Status != ReferralStatus.Enrolled)
                throw CareCoordinationException.Precondition("referral_id",
                    $"referral {referralId} is {r.Status}; only an enrolled person can be discharged");
            return r with { Status = ReferralStatus.Completed, EndedAt = now, ReasonCode = outcome };
        });

    public Task<Reports.ProgramReport> GetReportAsync(CancellationToken cancellationToken = default)
    {
        RequireRegistered();
        return Task.FromResult(Reports.ReportMath.Program(S, Time.GetUtcNow()));
    }

    public async Task<ReferralPage> ListReferralsAsync(string? after, int max,
        CancellationToken cancellationToken = default)
    {
        RequireRegistered();
        var (page, next) = await History.PageAsync(ReferralLog, S.Filed.Sent > 0, S.Referrals.Values, r => r.ReferralId,
            History.Read<ProgramReferral>, after, max);
        return new ReferralPage(page, next);
    }

    private async Task<ProgramReferral> ChangeReferralAsync(WriteRequest request, string referralId,
        Func<ProgramReferral, DateTimeOffset, ProgramReferral> change)
    {
        RequireRegistered();
        var isNew = await History.FindAsync(S.Requests, request) is null;
        if (!S.Referrals.TryGetValue(referralId, out var current))
        {
            var filed = S.Filed.Sent > 0
                ? await History.FindFiledAsync<ProgramReferral>(ReferralLog, referralId)
                : null;
            if (filed is null)
                throw CareCoordinationException.NotFound("referral_id",
                    $"referral {referralId} was not received by program {S.ProgramId}");
            // A retry of the write that ended it answers as the first time; anything else finds it ended.
            return isNew
                ? throw CareCoordinationException.Precondition("referral_id",
                    $"referral {referralId} has ended ({filed.Status})")
                : filed;
        }
        if (isNew)
        {
            var changed = change(current, Time.GetUtcNow());
            S.Referrals[referralId] = changed with { Version = current.Version + 1 };
            S.Requests.Remember(request, referralId);
        }
        var answer = S.Referrals[referralId];
        // Also on a retry: finish telling the client if the first attempt could not.
        await CommitAsync(mutated: isNew);
        // The commit may have filed it (it ended, and the client heard): it is what it was.
        return S.Referrals.GetValueOrDefault(referralId) ?? answer;
    }

    private string Feed => AlertFeeds.Program(this.GetPrimaryKeyString());

    /// <summary>Re-evaluates gaps, persists, then delivers to clients and feeds. On a failed write the activation is
    /// dropped so memory never runs ahead of storage.</summary>
    /// <param name="mutated">False for a wake, a retry or an activation: state is written only if the gaps
    /// moved.</param>
    protected override async Task CommitAsync(bool mutated = true)
    {
        var now = Time.GetUtcNow();
        var t = GapOptions.ForProgram(S.ProgramId, S.Region);
        var changes = S.ReconcileGaps(now, t, Owner, Feed);
        // State and due time at once, one group commit (see ClientGrain.CommitAsync).
        await SaveAsync(mutated || changes.Any, PersistAsync, changes.NextDueAt);
        await SyncAsync();
    }

    private async Task PersistAsync()
    {
        await WriteStateAsync();
        await History.FileAsync(S.Requests);
        // Ended referrals the client knows the end of leave the state once enough have gathered.
        var ended = S.Referrals.Values
            .Where(r => ReferralTally.Ended(r.Status) && r.ClientKnowsVersion >= r.Version).ToList();
        if (ended.Count >= GrainHistory.FileAt
            && await History.TryFileAsync(ReferralLog, ended.Select(r => (r.ReferralId, r))))
            foreach (var r in ended)
            {
                // Dropped from the state written next, counted in its tally; a crash before that files them again.
                S.Referrals.Remove(r.ReferralId);
                S.Filed.Add(r);
            }
    }

    private async Task SyncAsync()
    {
        var pending = S.Referrals.Values.Where(r => r.ClientKnowsVersion < r.Version).ToList();
        var allDelivered = true;
        var delivered = 0;
        foreach (var r in pending)
        {
            try
            {
                // The client may be delivering a referral to this program and wait on it: let that chain back in.
                using var reentry = RequestContext.AllowCallChainReentrancy();
                await GrainFactory.Ref<IClientGrain>(r.ClientId)
                    .ApplyReferralUpdateAsync(new ReferralUpdate(r.ReferralId, r.Status,
                        r.EndedAt ?? r.EnrolledAt ?? r.WaitlistedAt ?? r.RespondedAt ?? r.ReceivedAt,
                        r.ReasonCode, r.Version));
                // A nested turn (the client calling back) may have delivered and filed it meanwhile.
                if (S.Referrals.TryGetValue(r.ReferralId, out var now) && now.ClientKnowsVersion < r.Version)
                    S.Referrals[r.ReferralId] = now with { ClientKnowsVersion = r.Version };
                delivered++;
            }
            catch (Exception ex) when (ex is not CareCoordinationException) { allDelivered = false; }
        }
        var hadOutbox = S.Outbox.Count > 0;
        allDelivered &= await GapKeeping.TryFlushAsync(GrainFactory, S.Outbox);
        if (delivered > 0 || hadOutbox) DeliveriesMade();
        // Anything left undelivered makes the owner due now, so the clock retries it.
        if (!allDelivered) await ScheduleAsync(Time.GetUtcNow() + GapKeeping.DeliveryRetry);
    }


    protected override void RequireRegistered()
    {
        if (!S.Registered)
            throw CareCoordinationException.NotFound("program_id",
                $"program {this.GetPrimaryKeyString()} does not exist");
    }

    private ProgramView View() => new(S.ProgramId, S.Region, S.Name, S.Kind, S.Domains, S.Capacity, S.Enrolled,
        S.ResponseSla, S.Coordinators, S.Eligibility, S.Provider,
        S.Referrals.Values.OrderBy(r => r.ReceivedAt).ToList(), S.Gaps.Open.ToList());
}
