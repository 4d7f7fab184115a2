using System.Diagnostics;
using CareCoordination.Alerts;
using CareCoordination.Api.V1;
using CareCoordination.CareGaps;
using CareCoordination.CareTeams;
using CareCoordination.Clients;
using CareCoordination.Common;
using CareCoordination.Gateway.CareTeams;
using CareCoordination.Gateway.Common;
using CareCoordination.Programs;
using CareCoordination.Gateway.Security;
using Grpc.Core;

namespace CareCoordination.Gateway.Alerts;

public sealed class AlertsService(IGrainFactory grains, AlertSubscriptions subscriptions, PageTokens pageTokens,
    AccessPolicies policies, TeamSharing sharing) : Api.V1.Alerts.AlertsBase
{
    public const int MaxFeedsPerSubscription = 50;

    [Access(On.Feed, Act.Read, "feeds", MaxObjects = MaxFeedsPerSubscription)]
    public override async Task Subscribe(SubscribeRequest request, IServerStreamWriter<AlertEvent> responseStream,
        ServerCallContext context)
    {
        if (request.Feeds.Count == 0)
            throw Validate.Invalid("feeds", "feeds must name at least one feed, e.g. team:{team_id}");
        if (request.Feeds.Count > MaxFeedsPerSubscription)
            throw Validate.Invalid("feeds", $"at most {MaxFeedsPerSubscription} feeds per subscription");
        var cursors = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < request.Feeds.Count; i++)
        {
            var f = request.Feeds[i];
            if (!AlertFeeds.TryParse(f.FeedId, out _, out _))
                throw Validate.Invalid($"feeds[{i}].feed_id",
                    "feed_id must be team:{team_id}, program:{program_id} or region:{region}");
            if (f.AfterSequence < 0)
                throw Validate.Invalid($"feeds[{i}].after_sequence", "after_sequence cannot be negative");
            if (!cursors.TryAdd(f.FeedId, f.AfterSequence))
                throw Validate.Invalid($"feeds[{i}].feed_id", $"feed {f.FeedId} is named twice");
            // Unknown teams and programs never get here: AuthorizationInterceptor refused them like any feed not the
            // caller's.
        }
        // A cursor past a feed's end was never handed out by that feed (one whose store was reset, another feed's
        // cursor): the alerts up to it would never come. Said now rather than waited on. Sequences have no holes, so
        // the alert numbered after_sequence exists if the cursor is real.
        var index = 0;
        foreach (var (feed, after) in cursors)
        {
            if (after > 0 && (await grains.Ref<IAlertFeedGrain>(feed).ReadAsync(after - 1, 1,
                    context.CancellationToken)).Alerts.Count == 0)
                throw new RpcException(new Status(StatusCode.OutOfRange,
                    $"feeds[{index}].after_sequence {after} is past the end of feed {feed}: subscribe again from the "
                        + "last sequence received from this feed, or from 0 to replay it all"));
            index++;
        }
        // Taken by AuthorizationInterceptor for every feed; the guard keeps it so while the stream runs.
        var guard = new SubscriptionGuard(Caller.Of(context), cursors.Keys, request, policies, sharing);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var watching = await guard.StartAsync(stop);
        var since = DateTimeOffset.UtcNow;
        CareTelemetry.Subscribed(+1);
        try
        {
            await subscriptions.RunAsync(cursors, async a =>
            {
                if (!await guard.MayDeliverAsync(a, stop.Token)) return;
                // Each delivery is a span of this subscription, linked to the write that raised the alert.
                using var activity = CareTelemetry.Source.StartActivity("alert deliver", ActivityKind.Producer,
                    default(ActivityContext), links: ActivityContext.TryParse(a.TraceParent, null, out var raisedBy)
                        ? [new ActivityLink(raisedBy)] : null);
                activity?.SetTag("alert.kind", a.Kind.ToString());
                activity?.SetTag("gap.rule", a.Gap.Rule.ToString());
                await responseStream.WriteAsync(a.ToProto(), stop.Token);
                // Latency of live delivery only: alerts stored before the subscription began are a replay.
                if (a.StoredAt is { } stored && stored >= since)
                    CareTelemetry.Delivered(DateTimeOffset.UtcNow - stored);
            }, () => context.WriteResponseHeadersAsync([]), stop.Token);
        }
        catch (OperationCanceledException) when (guard.Ended is not null) { }
        finally
        {
            CareTelemetry.Subscribed(-1);
            await stop.CancelAsync();
            await watching;
        }
        if (guard.Ended is { } ended) throw new RpcException(ended);
    }

    [Access(On.Client, Act.Read, "client_id")]
    [Access(On.Team, Act.Read, "team_id")]
    [Access(On.Program, Act.Manage, "program_id")]
    public override async Task<ListOpenGapsResponse> ListOpenGaps(ListOpenGapsRequest request,
        ServerCallContext context)
    {
        var size = Validate.PageSize(request.PageSize);
        var ct = context.CancellationToken;
        IReadOnlyList<OwnedGap> gaps = request.ScopeCase switch
        {
            ListOpenGapsRequest.ScopeOneofCase.ClientId => Own(GapOwnerKind.Client, request.ClientId,
                await grains.Ref<IClientGrain>(Validate.Key(request.ClientId, "client_id")).GetOpenGapsAsync(ct)),
            ListOpenGapsRequest.ScopeOneofCase.ProgramId => Own(GapOwnerKind.Program, request.ProgramId,
                await grains.Ref<IProgramGrain>(Validate.Key(request.ProgramId, "program_id")).GetOpenGapsAsync(ct)),
            ListOpenGapsRequest.ScopeOneofCase.TeamId => await VisibleAsync(
                await grains.Ref<ICareTeamGrain>(Validate.Key(request.TeamId, "team_id")).GetOpenGapsAsync(ct),
                await sharing.ForAsync(Caller.Of(context), request.TeamId, ct), ct),
            _ => throw Validate.Invalid("scope", "set one of client_id, team_id or program_id"),
        };
        // Keyset paging on (opened at, gap id): a gap resolved while a worker pages on neither restarts nor skips the
        // list.
        var query = $"gaps:{request.ScopeCase}:{request.ClientId}{request.TeamId}{request.ProgramId}";
        var after = GapCursor.From(pageTokens.Read(request.PageToken, query));
        var ordered = gaps.OrderBy(g => g.Gap.OpenedAt).ThenBy(g => g.Gap.GapId, StringComparer.Ordinal)
            .Where(g => after is null || GapCursor.Of(g).CompareTo(after.Value) > 0).ToList();
        var page = ordered.Take(size).ToList();
        return new ListOpenGapsResponse
        {
            Gaps = { page.Select(g => g.Gap.ToProto(g.Owner)) },
            NextPageToken = ordered.Count > page.Count
                ? pageTokens.Issue(query, GapCursor.Of(page[^1]).ToPosition())
                : "",
        };
    }

    /// <summary>Where a page of open gaps ended: the last gap's opening time and id.</summary>
    private readonly record struct GapCursor(long OpenedAtTicks, string GapId) : IComparable<GapCursor>
    {
        public static GapCursor Of(OwnedGap g) => new(g.Gap.OpenedAt.UtcTicks, g.Gap.GapId);

        public int CompareTo(GapCursor other) =>
            OpenedAtTicks != other.OpenedAtTicks
                ? OpenedAtTicks.CompareTo(other.OpenedAtTicks)
                : string.CompareOrdinal(GapId, other.GapId);

        public string ToPosition() => $"{OpenedAtTicks}|{GapId}";

        public static GapCursor? From(string? position)
        {
            if (position is null) return null;
            var bar = position.IndexOf('|');
            return new GapCursor(long.Parse(position[..bar]), position[(bar + 1)..]);
        }
    }

    [Access(On.Gap, Act.Write, "gap_id")]
    public override async Task<CareGap> Acknowledge(AcknowledgeRequest request, ServerCallContext context)
    {
        var write = Validate.Write(request);
        var owner = Owner(request.GapId);
        var gap = await OwnerGrain(owner).AcknowledgeGapAsync(write, request.GapId, Caller.Actor(context),
            context.CancellationToken);
        return gap.ToProto(owner);
    }

    [Access(On.Gap, Act.Write, "gap_id")]
    public override async Task<CareGap> Resolve(ResolveRequest request, ServerCallContext context)
    {
        var write = Validate.Write(request);
        var owner = Owner(request.GapId);
        var gap = await OwnerGrain(owner).ResolveGapAsync(write, request.GapId, Caller.Actor(context),
            context.CancellationToken);
        return gap.ToProto(owner);
    }

    /// <summary>A team's gaps about the people the caller may see on it (<see cref="TeamSharing"/>).</summary>
    private static async Task<IReadOnlyList<OwnedGap>> VisibleAsync(IReadOnlyList<OwnedGap> gaps,
        TeamSharing.Visible visible, CancellationToken ct)
    {
        var shown = new List<OwnedGap>(gaps.Count);
        foreach (var g in gaps)
            if (g.Owner.Kind != GapOwnerKind.Client || await visible(g.Owner.Id, ct)) shown.Add(g);
        return shown;
    }

    private static IReadOnlyList<OwnedGap> Own(GapOwnerKind kind, string id, IReadOnlyList<OpenGap> gaps) =>
        gaps.Select(g => new OwnedGap(new GapOwner(kind, id), g)).ToList();

    private static GapOwner Owner(string gapId) =>
        GapOwner.TryParseGapId(gapId, out var owner) ? owner
            : throw Validate.Invalid("gap_id",
                "gap_id must look like client/{client_id}/g{n} or program/{program_id}/g{n}");

    private ICareGapOwner OwnerGrain(GapOwner owner) => owner.Kind == GapOwnerKind.Client
        ? grains.Ref<IClientGrain>(owner.Id)
        : grains.Ref<IProgramGrain>(owner.Id);
}
