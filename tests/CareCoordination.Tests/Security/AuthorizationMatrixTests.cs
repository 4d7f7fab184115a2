using System.Reflection;
using CareCoordination.Api.V1;
using CareCoordination.Gateway.Hosting;
using CareCoordination.Gateway.Security;
using CareCoordination.Tests.Gateway;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace CareCoordination.Tests.Security;

/// <summary>
/// Every RPC of the public contract, found from the .proto descriptors (so a new RPC is in it without anyone adding
/// it here), called as someone with no tie to the objects it touches (once per role, and with every worker role at
/// once), without a token, and as the object's own people. An RPC without an access rule fails the test.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class AuthorizationMatrixTests(GatewayFixture gateway)
{
    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(b => b, b => b);

    /// <summary>Calls open to any role of the API: the program directory (no referrals, no people).</summary>
    private static readonly string[] Directory = ["Programs/ListPrograms", "Programs/GetProgram"];

    public static IEnumerable<MethodDescriptor> Rpcs() =>
        typeof(GatewayApp).Assembly.GetTypes()
            .Where(t => t.Namespace == "CareCoordination.Api.V1" && t.Name.EndsWith("Reflection", StringComparison.Ordinal))
            .Select(t => (FileDescriptor)t.GetProperty("Descriptor")!.GetValue(null)!)
            .SelectMany(f => f.Services).SelectMany(s => s.Methods);

    private static string Name(MethodDescriptor m) => $"{m.Service.Name}/{m.Name}";

    [Fact]
    public void Every_rpc_of_the_contract_has_an_access_rule()
    {
        var rpcs = Rpcs().ToList();
        Assert.True(rpcs.Count >= 30, $"found only {rpcs.Count} RPCs: the descriptors were not all found");
        var missing = rpcs.Where(m => Rules(m).Count == 0).Select(Name).ToList();
        Assert.True(missing.Count == 0, $"RPCs without an [Access] rule: {string.Join(", ", missing)}");
    }

    private static IReadOnlyList<AccessAttribute> Rules(MethodDescriptor m)
    {
        var implementation = typeof(GatewayApp).Assembly.GetTypes()
            .Single(t => t.BaseType is { DeclaringType.Name: var outer } b && outer == m.Service.Name && b.Name == $"{m.Service.Name}Base");
        return implementation.GetMethod(m.Name, BindingFlags.Public | BindingFlags.Instance)?.GetCustomAttributes<AccessAttribute>().ToList() ?? [];
    }

    private sealed record World(string Region, string Team, string Client, string Program, string Referral, string Gap);

    private async Task<World> WorldAsync()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        await gateway.Teams.AddMemberAsync(new AddMemberRequest
            { RequestId = TestKeys.Request(), TeamId = s.TeamId, WorkerId = "cm-in", Role = WorkerRole.CaseManager, Organisation = "city" });
        await s.WithProgramAsync();
        var client = await s.ClientAsync(consent: false);
        await gateway.Clients.RecordConsentAsync(new RecordConsentRequest
        {
            RequestId = TestKeys.Request(), ClientId = client, Scopes = { ConsentScope.CareTeam, ConsentScope.ReferredPrograms },
            ExpiresAt = Timestamp.FromDateTimeOffset(gateway.Clock.GetUtcNow().AddDays(5)),
        });
        var referral = await gateway.Programs.ReferAsync(new ReferRequest
            { RequestId = TestKeys.Request(), ClientId = client, ProgramId = s.ProgramId, Domain = NeedDomain.Housing });
        var gap = (await gateway.Alerts.ListOpenGapsAsync(new ListOpenGapsRequest { ClientId = client })).Gaps[0].GapId;
        return new World(s.Region, s.TeamId, client, s.ProgramId, referral.ReferralId, gap);
    }

    /// <summary>A request that names the world's objects in every field that names an object.</summary>
    private static byte[] Request(MethodDescriptor m, World w)
    {
        var message = (IMessage)Activator.CreateInstance(m.InputType.ClrType)!;
        var oneofsSet = new HashSet<OneofDescriptor>();
        foreach (var field in m.InputType.Fields.InFieldNumberOrder())
        {
            if (field.RealContainingOneof is { } oneof && !oneofsSet.Add(oneof)) continue;
            object? value = field.Name switch
            {
                "request_id" => TestKeys.Request(),
                "client_id" => w.Client,
                "team_id" => w.Team,
                "program_id" => w.Program,
                "region" => w.Region,
                "gap_id" => w.Gap,
                "referral_id" => w.Referral,
                "worker_id" or "lead_worker_id" => "cm-ana",
                "name" or "title" or "organisation" or "reason" or "reason_code" or "outcome" => "x",
                _ => null,
            };
            if (value is not null) field.Accessor.SetValue(message, value);
            if (field.Name == "feeds")
                ((System.Collections.IList)field.Accessor.GetValue(message)).Add(new FeedCursor { FeedId = $"team:{w.Team}" });
        }
        return message.ToByteArray();
    }

    /// <summary>The status a call ends with (OK for a stream that opened).</summary>
    private async Task<StatusCode> CallAsync(MethodDescriptor m, byte[] request, Metadata headers)
    {
        var invoker = gateway.Channel.CreateCallInvoker();
        var options = new CallOptions(headers, DateTime.UtcNow.AddSeconds(10));
        try
        {
            if (m.IsServerStreaming)
            {
                var method = new Method<byte[], byte[]>(MethodType.ServerStreaming, m.Service.FullName, m.Name, Raw, Raw);
                using var call = invoker.AsyncServerStreamingCall(method, null, options, request);
                // A refused stream ends at once with its status; an open one keeps going until we stop reading.
                using var open = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                try { await call.ResponseStream.MoveNext(open.Token); }
                catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && open.IsCancellationRequested) { }
                return StatusCode.OK;
            }
            await invoker.AsyncUnaryCall(new Method<byte[], byte[]>(MethodType.Unary, m.Service.FullName, m.Name, Raw, Raw), null, options, request);
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    public static TheoryData<string> OutsiderRoles => new(Roles.All.Append("every-worker-role"));

    [Theory]
    [MemberData(nameof(OutsiderRoles))]
    public async Task An_outsider_of_the_object_is_denied_every_call_its_role_does_not_open(string role)
    {
        var w = await WorldAsync();
        var (roles, region) = role switch
        {
            "every-worker-role" => ([Roles.CaseManager, Roles.SocialWorker, Roles.TeamLead, Roles.ProgramCoordinator], w.Region),
            Roles.PlatformService => ([role], "another-region"),
            _ => (new[] { role }, w.Region),
        };
        // What each role opens without any tie to the objects: the programs' directory for every role of the API
        // (not for cluster operators, whose token opens the dashboard only), aggregates for operators, the trail for
        // auditors.
        var opened = new HashSet<string>(role == Roles.ClusterOperator ? [] : Directory);
        if (role == Roles.RegionalOperator) opened.UnionWith(["Reports/TeamReport", "Reports/ProgramReport", "Reports/RegionReport"]);
        if (role == Roles.Auditor) opened.UnionWith(["Audit/Query", "Audit/Verify"]);

        var wrong = new List<string>();
        foreach (var m in Rpcs())
        {
            var headers = GatewayFixture.As("outsider", roles, "elsewhere", region);
            if (role == Roles.PlatformService) headers.Add(Caller.OnBehalfOfHeader, "cm-ana");
            var status = await CallAsync(m, Request(m, w), headers);
            var denied = status == StatusCode.PermissionDenied;
            if (opened.Contains(Name(m)) ? denied || status == StatusCode.Unauthenticated : !denied)
                wrong.Add($"{Name(m)}: {status}");
        }
        Assert.True(wrong.Count == 0, $"as {role}: {string.Join("; ", wrong)}");
    }

    [Fact]
    public async Task Without_a_token_every_call_is_UNAUTHENTICATED()
    {
        var w = await WorldAsync();
        var wrong = new List<string>();
        foreach (var m in Rpcs())
            if (await CallAsync(m, Request(m, w), []) is var status && status != StatusCode.Unauthenticated)
                wrong.Add($"{Name(m)}: {status}");
        Assert.True(wrong.Count == 0, string.Join("; ", wrong));
    }

    [Fact]
    public async Task The_objects_own_people_are_not_denied()
    {
        var w = await WorldAsync();
        var wrong = new List<string>();
        // Reads first and writes last, and the case closes at the very end, so each call finds what it needs.
        foreach (var m in Rpcs().OrderBy(m => m.Name == "CloseCase"))
        {
            var rule = Rules(m)[0];
            var (who, roles, region) = (rule.On, rule.Act) switch
            {
                (On.Client or On.Gap or On.Feed, _) or (On.Team, Act.Read or Act.Report) => ("cm-in", GatewayFixture.DefaultRoles, (string?)null),
                (On.Team, _) => (GatewayFixture.DefaultWorker, GatewayFixture.DefaultRoles, null),
                (On.Program, _) => (ApiScenario.Coordinator, [Roles.ProgramCoordinator], null),
                (On.Region, Act.Report) => ("op-in", [Roles.RegionalOperator], w.Region),
                (On.AuditTrail, _) => ("auditor-in", [Roles.Auditor], null),
                _ => ("cm-in", GatewayFixture.DefaultRoles, null),
            };
            var status = await CallAsync(m, Request(m, w), GatewayFixture.As(who, roles, "city", region));
            if (status is StatusCode.PermissionDenied or StatusCode.Unauthenticated) wrong.Add($"{Name(m)} as {who}: {status}");
        }
        Assert.True(wrong.Count == 0, string.Join("; ", wrong));
    }
}
