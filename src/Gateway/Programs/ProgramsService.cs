using CareCoordination.Common;
using CareCoordination.Api.V1;
using CareCoordination.Clients;
using CareCoordination.Gateway.Common;
using CareCoordination.Programs;
using CareCoordination.Regions;
using CareCoordination.Gateway.Security;
using Grpc.Core;
using D = CareCoordination.Common;

namespace CareCoordination.Gateway.Programs;

public sealed class ProgramsService(IGrainFactory grains, PageTokens pageTokens) : Api.V1.Programs.ProgramsBase
{
    private static readonly TimeSpan DefaultResponseSla = TimeSpan.FromHours(72);
    private const int MaxCoordinators = 50;

    private IProgramGrain Program(string programId) => grains.Ref<IProgramGrain>(Validate.Key(programId, "program_id"));

    [Access(On.Program, Act.Create, "program_id")]
    public override async Task<Api.V1.Program> RegisterProgram(RegisterProgramRequest request,
        ServerCallContext context)
    {
        var write = Validate.Write(request);
        var program = Program(request.ProgramId);
        if (request.Domains.Count == 0)
            throw Validate.Invalid("domains", "domains must list at least one need domain the program serves");
        foreach (var d in request.Domains) Validate.Enum(d, "domains");
        var sla = Validate.OptionalDuration(request.ResponseSla, "response_sla", TimeSpan.FromDays(90))
            ?? DefaultResponseSla;
        if (request.Coordinators.Count > MaxCoordinators)
            throw Validate.Invalid("coordinators", $"coordinators must list at most {MaxCoordinators} workers");
        for (var i = 0; i < request.Coordinators.Count; i++)
            Validate.Key(request.Coordinators[i], $"coordinators[{i}]");
        var command = new RegisterProgram(
            Validate.Key(request.Region, "region"),
            Validate.Text(request.Name, "name", 200),
            (D.ProgramKind)Validate.Enum(request.Kind, "kind"),
            request.Domains.Distinct().Select(d => (D.NeedDomain)d).ToList(),
            Validate.Range(request.Capacity, "capacity", 1, 100_000),
            sla,
            Coordinators(request, context),
            Validate.Text(request.Eligibility, "eligibility", 1000, required: false),
            Validate.Text(request.Provider, "provider", 200, required: false));
        return (await program.RegisterAsync(write, command, context.CancellationToken)).ToProto();
    }

    [Access(On.Program, Act.Read, "program_id")]
    public override async Task<Api.V1.Program> GetProgram(GetProgramRequest request, ServerCallContext context) =>
        // Its coordinators see its referrals and open gaps (client ids); anyone else its directory entry.
        (await Program(request.ProgramId).GetAsync(context.CancellationToken))
        .ToProto(withCaseDetail: AuthorizationInterceptor.DecisionOf(context)?.View != View.Directory);

    [Access(On.Region, Act.Read, "region")]
    public override async Task<ListProgramsResponse> ListPrograms(ListProgramsRequest request,
        ServerCallContext context)
    {
        var region = grains.Ref<IRegionGrain>(Validate.Key(request.Region, "region"));
        var query = $"programs:{request.Region}";
        var page = await region.ListAsync(RegionMember.Program, pageTokens.Read(request.PageToken, query),
            Validate.PageSize(request.PageSize), context.CancellationToken);
        var programs = await Task.WhenAll(page.Ids.Select(async id =>
        {
            // A registration that failed after entering the directory leaves an id with no program: skip it.
            try { return await grains.Ref<IProgramGrain>(id).GetAsync(context.CancellationToken); }
            catch (D.CareCoordinationException e) when (e.Kind == D.ErrorKind.NotFound) { return null; }
        }));
        return new ListProgramsResponse
        {
            Programs = { programs.OfType<ProgramView>().Select(p => p.ToProto(withCaseDetail: false)) },
            NextPageToken = page.NextAfter is { } next ? pageTokens.Issue(query, next) : "",
            Total = page.Total,
        };
    }

    [Access(On.Client, Act.Write, "client_id")]
    public override async Task<ReferralResponse> Refer(ReferRequest request, ServerCallContext context)
    {
        var write = Validate.Write(request);
        var client = grains.Ref<IClientGrain>(Validate.Key(request.ClientId, "client_id"));
        var command = new Refer(Validate.Key(request.ProgramId, "program_id"),
            (D.NeedDomain)Validate.Enum(request.Domain, "domain"), Caller.Actor(context));
        var result = await client.ReferAsync(write, command, context.CancellationToken);
        var referral = result.Client.Referrals.First(r => r.ReferralId == result.ResultId);
        return new ReferralResponse
            { ReferralId = referral.ReferralId, Status = (Api.V1.ReferralStatus)referral.Status };
    }

    [Access(On.Program, Act.Manage, "program_id")]
    public override async Task<Api.V1.ProgramReferral> RespondToReferral(RespondToReferralRequest request,
        ServerCallContext context)
    {
        var write = Validate.Write(request);
        var program = Program(request.ProgramId);
        var referralId = Validate.ReferralId(request.ReferralId, "referral_id");
        var reason = Validate.Text(request.ReasonCode, "reason_code", 100, required: !request.Accept);
        var result = await program.RespondAsync(write, referralId, request.Accept, reason, Caller.Actor(context),
            context.CancellationToken);
        return result.ToProto(request.ProgramId);
    }

    [Access(On.Program, Act.Manage, "program_id")]
    public override async Task<Api.V1.ProgramReferral> Enroll(EnrollRequest request, ServerCallContext context)
    {
        var write = Validate.Write(request);
        var program = Program(request.ProgramId);
        var result = await program.EnrollAsync(write, Validate.ReferralId(request.ReferralId, "referral_id"),
            Caller.Actor(context), context.CancellationToken);
        return result.ToProto(request.ProgramId);
    }

    [Access(On.Program, Act.Manage, "program_id")]
    public override async Task<Api.V1.ProgramReferral> Discharge(DischargeRequest request, ServerCallContext context)
    {
        var write = Validate.Write(request);
        var program = Program(request.ProgramId);
        var result = await program.DischargeAsync(write, Validate.ReferralId(request.ReferralId, "referral_id"),
            Validate.Text(request.Outcome, "outcome", 100), Caller.Actor(context), context.CancellationToken);
        return result.ToProto(request.ProgramId);
    }

    [Access(On.Program, Act.Manage, "program_id")]
    public override async Task<ListReferralsResponse> ListReferrals(ListReferralsRequest request,
        ServerCallContext context)
    {
        var program = Program(request.ProgramId);
        var query = $"referrals:{request.ProgramId}";
        var page = await program.ListReferralsAsync(pageTokens.Read(request.PageToken, query),
            Validate.PageSize(request.PageSize), context.CancellationToken);
        return new ListReferralsResponse
        {
            Referrals = { page.Referrals.Select(r => r.ToProto(request.ProgramId)) },
            NextPageToken = page.NextAfter is { } next ? pageTokens.Issue(query, next) : "",
        };
    }

    /// <summary>The coordinators named, and the worker who registers the program: it coordinates what it
    /// registers.</summary>
    private static List<string> Coordinators(RegisterProgramRequest request, ServerCallContext context)
    {
        var coordinators = request.Coordinators.ToList();
        var caller = Caller.Of(context);
        if (!caller.IsService && !coordinators.Contains(caller.Id)) coordinators.Add(caller.Id);
        return coordinators;
    }
}
