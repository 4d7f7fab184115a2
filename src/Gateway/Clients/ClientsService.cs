using CareCoordination.Common;
using CareCoordination.Api.V1;
using CareCoordination.Clients;
using CareCoordination.Gateway.Common;
using CareCoordination.Gateway.Security;
using Grpc.Core;
using D = CareCoordination.Common;

namespace CareCoordination.Gateway.Clients;

/// <summary>Clients: validation of the wire request, then one call to the client's grain.</summary>
public sealed class ClientsService(IGrainFactory grains, PageTokens pageTokens) : Api.V1.Clients.ClientsBase
{
    private const int MaxTitle = 200;

    private IClientGrain Client(string clientId) => grains.Ref<IClientGrain>(Validate.Key(clientId, "client_id"));

    [Access(On.Client, Act.Create, "client_id")]
    public override async Task<ClientResponse> RegisterClient(RegisterClientRequest request, ServerCallContext context)
    {
        var write = Validate.Write(request);
        var grain = Client(request.ClientId);
        var region = Validate.Key(request.Region, "region");
        var p = request.Profile ?? new Profile();
        var language = p.PreferredLanguage.Length == 0 ? ""
            : Validate.LanguageTag(p.PreferredLanguage, "profile.preferred_language");
        if (p.BirthYear != 0) Validate.Range(p.BirthYear, "profile.birth_year", 1900, DateTime.UtcNow.Year);
        foreach (var c in p.Circumstances) Validate.Enum(c, "profile.circumstances");
        Validate.Enum(p.Risk, "profile.risk", allowZero: true);
        var profile = new ClientProfile(language, p.BirthYear == 0 ? null : p.BirthYear,
            p.Circumstances.Distinct().Select(c => (D.Circumstance)c).ToList(), p.InterpreterNeeded,
            (D.RiskLevel)p.Risk);
        var result = await grain.RegisterAsync(write, new RegisterClient(region, profile, Caller.Actor(context)),
            context.CancellationToken);
        return Response(result);
    }

    [Access(On.Client, Act.Read, "client_id", ReferralView = true)]
    public override async Task<Client> GetClient(GetClientRequest request, ServerCallContext context)
    {
        var decision = AuthorizationInterceptor.DecisionOf(context);
        // The record the access decision was taken on (ClientPolicy reads both at once).
        var client = (decision?.Record ?? await Client(request.ClientId).GetAsync(context.CancellationToken)).ToProto();
        // A program coordinator sees what the referral shares: the person's language needs and their referrals to
        // the coordinator's programs; not the assessment, plan, contacts, consent details or other referrals.
        return decision is { View: View.Referral, SharedPrograms: { } shared }
            ? Mapping.ReferralView(client, shared)
            : client;
    }

    [Access(On.Client, Act.Write, "client_id")]
    public override async Task<ClientResponse> RecordConsent(RecordConsentRequest request, ServerCallContext context)
    {
        var write = Validate.Write(request);
        var grain = Client(request.ClientId);
        foreach (var s in request.Scopes) Validate.Enum(s, "scopes");
        var expires = Validate.OptionalTime(request.ExpiresAt, "expires_at");
        var command = new RecordConsent(request.Scopes.Distinct().Select(s => (D.ConsentScope)s).ToList(), expires,
            Caller.Actor(context));
        return Response(await grain.RecordConsentAsync(write, command, context.CancellationToken));
    }

    [Access(On.Client, Act.Write, "client_id")]
    public override async Task<ClientResponse> RecordAssessment(RecordAssessmentRequest request,
        ServerCallContext context)
    {
        var write = Validate.Write(request);
        var grain = Client(request.ClientId);
        if (request.Needs.Count == 0) throw Validate.Invalid("needs", "needs must list at least one assessed domain");
        for (var i = 0; i < request.Needs.Count; i++)
        {
            Validate.Enum(request.Needs[i].Domain, $"needs[{i}].domain");
            Validate.Range(request.Needs[i].Severity, $"needs[{i}].severity", 1, 5);
        }
        if (request.Needs.GroupBy(n => n.Domain).FirstOrDefault(g => g.Count() > 1) is { } dup)
            throw Validate.Invalid("needs", $"needs lists domain {dup.Key} more than once");
        var command = new RecordAssessment(
            request.Needs.Select(n => new CareCoordination.Clients.Need((D.NeedDomain)n.Domain, n.Severity)).ToList(),
            Validate.OptionalTime(request.ReviewDue, "review_due"), Caller.Actor(context));
        return Response(await grain.RecordAssessmentAsync(write, command, context.CancellationToken));
    }

    [Access(On.Client, Act.Write, "client_id")]
    public override async Task<ClientResponse> SetGoal(SetGoalRequest request, ServerCallContext context)
    {
        var write = Validate.Write(request);
        var grain = Client(request.ClientId);
        var command = new SetGoal(
            Validate.OptionalKey(request.GoalId, "goal_id"),
            (D.NeedDomain)Validate.Enum(request.Domain, "domain"),
            Validate.Text(request.Title, "title", MaxTitle),
            Validate.OptionalTime(request.TargetDate, "target_date"),
            (D.GoalStatus)Validate.Enum(request.Status, "status", allowZero: true),
            Validate.Range(request.Progress, "progress", 0, 100),
            Caller.Actor(context));
        return Response(await grain.SetGoalAsync(write, command, context.CancellationToken));
    }

    [Access(On.Client, Act.Write, "client_id")]
    public override async Task<ClientResponse> ReviewPlan(ReviewPlanRequest request, ServerCallContext context)
    {
        var write = Validate.Write(request);
        var grain = Client(request.ClientId);
        var command = new ReviewPlan(Validate.OptionalTime(request.NextReviewDue, "next_review_due"),
            Caller.Actor(context));
        return Response(await grain.ReviewPlanAsync(write, command, context.CancellationToken));
    }

    [Access(On.Client, Act.Write, "client_id")]
    public override async Task<ClientResponse> RecordContact(RecordContactRequest request, ServerCallContext context)
    {
        var write = Validate.Write(request);
        var grain = Client(request.ClientId);
        var kind = request.Missed
            ? Validate.Enum(request.Kind, "kind", allowZero: true)
            : Validate.Enum(request.Kind, "kind");
        var command = new RecordContact((D.ContactKind)kind, Validate.OptionalTime(request.OccurredAt, "occurred_at"),
            Validate.OptionalKey(request.AppointmentId, "appointment_id"), request.Missed, Caller.Actor(context));
        return Response(await grain.RecordContactAsync(write, command, context.CancellationToken));
    }

    [Access(On.Client, Act.Write, "client_id")]
    public override async Task<ClientResponse> ScheduleAppointment(ScheduleAppointmentRequest request,
        ServerCallContext context)
    {
        var write = Validate.Write(request);
        var grain = Client(request.ClientId);
        var command = new ScheduleAppointment(Validate.Time(request.At, "at"),
            Validate.Key(request.WorkerId, "worker_id"), Caller.Actor(context));
        return Response(await grain.ScheduleAppointmentAsync(write, command, context.CancellationToken));
    }

    [Access(On.Client, Act.Write, "client_id")]
    public override async Task<ClientResponse> CloseCase(CloseCaseRequest request, ServerCallContext context)
    {
        var write = Validate.Write(request);
        var grain = Client(request.ClientId);
        var reason = Validate.Text(request.Reason, "reason", 100);
        return Response(await grain.CloseCaseAsync(write, reason, Caller.Actor(context), context.CancellationToken));
    }

    [Access(On.Client, Act.Read, "client_id")]
    public override async Task<GetTimelineResponse> GetTimeline(GetTimelineRequest request, ServerCallContext context)
    {
        var grain = Client(request.ClientId);
        var size = Validate.PageSize(request.PageSize);
        var query = $"timeline:{request.ClientId}";
        var after = pageTokens.Read(request.PageToken, query) is { } token ? long.Parse(token) : 0;
        var page = await grain.GetTimelineAsync(after, size, context.CancellationToken);
        return new GetTimelineResponse
        {
            Entries = { page.Entries.Select(e => new Api.V1.TimelineEntry
            {
                Sequence = e.Sequence, At = Mapping.Ts(e.At), Kind = e.Kind, Detail = e.Detail, Actor = e.Actor,
            }) },
            NextPageToken = page.NextAfter > 0 ? pageTokens.Issue(query, page.NextAfter.ToString()) : "",
        };
    }

    private static ClientResponse Response(ClientWriteResult result) =>
        new() { ResultId = result.ResultId, Client = result.Client.ToProto() };
}
