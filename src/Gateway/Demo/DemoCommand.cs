using System.Diagnostics;
using CareCoordination.Api.V1;
using CareCoordination.Gateway.Hosting;
using CareCoordination.Gateway.Security;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace CareCoordination.Gateway.Demo;

/// <summary>
/// "demo": starts the embedded service on its own ports with a clock that runs one simulated day every few
/// seconds, builds a small region over the public gRPC API, drives a realistic week of casework, and prints
/// the care-gap alerts as a case manager's subscription receives them.
/// </summary>
public static class DemoCommand
{
    private const string Region = "demo-north";
    private const string Team = "north-inclusion";
    private static readonly TimeSpan RealPerDay = TimeSpan.FromSeconds(3);

    public static async Task<int> RunAsync(string[] args)
    {
        var start = new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);
        var clock = new AcceleratedTimeProvider(start, TimeSpan.FromDays(1) / RealPerDay);
        // The demo's own signing key: its case manager gets a token as the region's identity provider would issue
        // it.
        var signingKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        await using var app = GatewayApp.Build(args, b =>
        {
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Kestrel:Endpoints:Grpc:Url"] = "http://127.0.0.1:0",
                ["Orleans:SiloPort"] = "11211",
                ["Orleans:GatewayPort"] = "30211",
                ["CareGaps:ClockTick"] = "00:00:00.250",
                ["Alerts:CatchUpInterval"] = "00:00:01",
                ["Logging:LogLevel:Default"] = "Warning",
                // The demo's region is made up and its clock runs fast: keep it out of the real database.
                ["Storage:Provider"] = "Memory",
                ["Auth:SigningKey"] = Convert.ToBase64String(signingKey),
                ["Management:Url"] = "",
            });
            b.Services.AddSingleton(new CareCoordination.Common.CareClock(clock));
        });
        await app.StartAsync();
        var address = app.Addresses()[0];
        Console.WriteLine($"Demo service on {address}; one simulated day every {RealPerDay.TotalSeconds:0} s, " +
                          $"starting {start:ddd d MMM yyyy}.");

        using var channel = GrpcChannel.ForAddress(address);
        var token = Authentication.Mint(signingKey, "cm-ana",
            [Roles.CaseManager, Roles.TeamLead, Roles.ProgramCoordinator],
            "municipal-inclusion", Region, TimeSpan.FromHours(1));
        var headers = new Metadata { { "authorization", $"Bearer {token}" } };
        var clients = new Api.V1.Clients.ClientsClient(channel);
        var teams = new Api.V1.CareTeams.CareTeamsClient(channel);
        var programs = new Api.V1.Programs.ProgramsClient(channel);
        var alerts = new Api.V1.Alerts.AlertsClient(channel);
        var reports = new Api.V1.Reports.ReportsClient(channel);
        var n = 0;
        string Id() => $"demo-{++n}";
        Timestamp At(double days) => Timestamp.FromDateTimeOffset(clock.GetUtcNow() + TimeSpan.FromDays(days));

        Section(clock, start, "Day 0 — the region, a care team, two programs, three people");
        await teams.CreateTeamAsync(new CreateTeamRequest { RequestId = Id(), TeamId = Team, Region = Region,
            Name = "North inclusion team", Organisation = "municipal-inclusion" }, headers);
        foreach (var (worker, role) in new[] { ("cm-ana", WorkerRole.CaseManager), ("tl-marco", WorkerRole.TeamLead),
                     ("med-sara", WorkerRole.Mediator) })
            await teams.AddMemberAsync(new AddMemberRequest { RequestId = Id(), TeamId = Team, WorkerId = worker,
                Role = role, Organisation = "municipal-inclusion" }, headers);
        await programs.RegisterProgramAsync(new RegisterProgramRequest
        {
            RequestId = Id(), ProgramId = "housing-first-north", Region = Region, Name = "Housing First North",
            Kind = ProgramKind.HousingFirst, Domains = { NeedDomain.Housing }, Capacity = 1,
            ResponseSla = Duration.FromTimeSpan(TimeSpan.FromHours(72)), Provider = "ngo-casa",
        }, headers);
        await programs.RegisterProgramAsync(new RegisterProgramRequest
        {
            RequestId = Id(), ProgramId = "job-coach-north", Region = Region, Name = "Supported employment",
            Kind = ProgramKind.SupportedEmployment, Domains = { NeedDomain.Employment }, Capacity = 5,
            ResponseSla = Duration.FromTimeSpan(TimeSpan.FromHours(48)), Provider = "employment-service",
        }, headers);

        // The case manager's front end subscribes to the team feed, the programs' feeds and the region intake.
        using var subscription = alerts.Subscribe(new SubscribeRequest
        {
            Feeds =
            {
                new FeedCursor { FeedId = $"team:{Team}" }, new FeedCursor { FeedId = $"region:{Region}" },
                new FeedCursor { FeedId = "program:housing-first-north" },
            },
        }, headers);
        var received = 0;
        var printer = Task.Run(async () =>
        {
            try
            {
                await foreach (var a in subscription.ResponseStream.ReadAllAsync())
                {
                    received++;
                    var owner = a.Gap.ClientId.Length > 0
                        ? $"client {a.Gap.ClientId}"
                        : $"program {a.Gap.ProgramId}";
                    var escalation = a.EscalateToRole.Length > 0 ? $" → {a.EscalateToRole}" : "";
                    var by = a.Actor.Length > 0 ? $" by {a.Actor}" : "";
                    Console.WriteLine($"  ⚑ {Day(a.OccurredAt.ToDateTimeOffset(), start)} {a.FeedId} #{a.Sequence} " +
                                      $"{a.Kind.ToString().ToUpperInvariant()}{escalation}{by}: " +
                                      $"{a.Gap.Rule} ({a.Gap.Severity}) {owner}" +
                                      (a.Kind == AlertKind.Opened ? $" — {a.Gap.Action}" : ""));
                }
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled) { }
        });

        await Register("c-1001", new Profile
            { PreferredLanguage = "es", InterpreterNeeded = true, Circumstances = { Circumstance.Migration } });
        await Register("c-1002", new Profile
            { PreferredLanguage = "ro", Risk = RiskLevel.High, Circumstances = { Circumstance.Homelessness } });
        await Register("c-1003", new Profile
            { PreferredLanguage = "it", Circumstances = { Circumstance.OlderPersonAlone } });
        await Task.Delay(TimeSpan.FromSeconds(1));
        Console.WriteLine("  → assigning the three people to the team (their NoLeadWorker gaps close)");
        foreach (var c in new[] { "c-1001", "c-1002", "c-1003" })
            await teams.AssignClientAsync(new AssignClientRequest
                { RequestId = Id(), TeamId = Team, ClientId = c, LeadWorkerId = "cm-ana" }, headers);

        await clients.RecordConsentAsync(new RecordConsentRequest
        {
            RequestId = Id(), ClientId = "c-1001", Scopes = { ConsentScope.CareTeam, ConsentScope.ReferredPrograms },
            ExpiresAt = At(10),
        }, headers);
        await clients.RecordAssessmentAsync(new RecordAssessmentRequest
        {
            RequestId = Id(), ClientId = "c-1001",
            Needs =
            {
                new Need { Domain = NeedDomain.Housing, Severity = 4 },
                new Need { Domain = NeedDomain.Employment, Severity = 3 },
                new Need { Domain = NeedDomain.Language, Severity = 3 }
            },
        }, headers);
        await clients.SetGoalAsync(new SetGoalRequest { RequestId = Id(), ClientId = "c-1001",
            Domain = NeedDomain.Language, Title = "Spanish-Italian A2 course enrolment", TargetDate = At(5) }, headers);
        var housing = await programs.ReferAsync(new ReferRequest { RequestId = Id(), ClientId = "c-1001",
            ProgramId = "housing-first-north", Domain = NeedDomain.Housing }, headers);
        var job = await programs.ReferAsync(new ReferRequest { RequestId = Id(), ClientId = "c-1001",
            ProgramId = "job-coach-north", Domain = NeedDomain.Employment }, headers);
        Console.WriteLine($"  → c-1001: consent until day 10, needs assessed, a goal, referrals " +
                          $"{housing.ReferralId} (housing) and {job.ReferralId} (employment)");
        await clients.RecordContactAsync(new RecordContactRequest { RequestId = Id(), ClientId = "c-1002",
            Kind = ContactKind.InPerson, OccurredAt = At(-13.5) }, headers);
        Console.WriteLine("  → c-1002 (high risk) was last seen 13 days ago");
        var appt1 = await clients.ScheduleAppointmentAsync(new ScheduleAppointmentRequest { RequestId = Id(),
            ClientId = "c-1003", At = At(1), WorkerId = "med-sara" }, headers);
        var appt2 = await clients.ScheduleAppointmentAsync(new ScheduleAppointmentRequest { RequestId = Id(),
            ClientId = "c-1003", At = At(3), WorkerId = "med-sara" }, headers);

        await UntilDay(clock, start, 1.2);
        Section(clock, start, "Day 1 — the employment program answers; c-1003 misses an appointment");
        await programs.RespondToReferralAsync(new RespondToReferralRequest { RequestId = Id(),
            ProgramId = "job-coach-north", ReferralId = job.ReferralId, Accept = true }, headers);
        await clients.RecordContactAsync(new RecordContactRequest { RequestId = Id(), ClientId = "c-1003",
            AppointmentId = appt1.ResultId, Missed = true }, headers);

        await UntilDay(clock, start, 2.2);
        Section(clock, start, "Day 2 — c-1001 starts supported employment");
        await programs.EnrollAsync(new EnrollRequest { RequestId = Id(), ProgramId = "job-coach-north",
            ReferralId = job.ReferralId }, headers);

        await UntilDay(clock, start, 3.4);
        Section(clock, start, "Day 3 — c-1003 misses the second appointment; housing has not answered in 72 h");
        await clients.RecordContactAsync(new RecordContactRequest { RequestId = Id(), ClientId = "c-1003",
            AppointmentId = appt2.ResultId, Missed = true }, headers);

        await UntilDay(clock, start, 4.6);
        Section(clock, start, "Day 4 — the case manager takes the housing follow-up and meets c-1002");
        var open = await alerts.ListOpenGapsAsync(new ListOpenGapsRequest { TeamId = Team }, headers);
        foreach (var gap in open.Gaps.Where(g => g.Rule == CareGapRule.ReferralNotAcknowledged))
            await alerts.AcknowledgeAsync(new AcknowledgeRequest { RequestId = Id(), GapId = gap.GapId }, headers);
        await clients.RecordContactAsync(new RecordContactRequest { RequestId = Id(), ClientId = "c-1002",
            Kind = ContactKind.InPerson }, headers);

        await UntilDay(clock, start, 5.3);
        Section(clock, start, "Day 5 — housing accepts; a home visit to c-1003");
        await programs.RespondToReferralAsync(new RespondToReferralRequest { RequestId = Id(),
            ProgramId = "housing-first-north", ReferralId = housing.ReferralId, Accept = true }, headers);
        await clients.RecordContactAsync(new RecordContactRequest { RequestId = Id(), ClientId = "c-1003",
            Kind = ContactKind.HomeVisit }, headers);

        await UntilDay(clock, start, 7);
        Section(clock, start, "Day 7 — the week in figures");
        var report = await reports.TeamReportAsync(new TeamReportRequest { TeamId = Team }, headers);
        Console.WriteLine($"  team {report.TeamId}: {report.ActiveClients} active clients, " +
                          $"{report.Gaps.Open} open gaps " +
                          $"({string.Join(", ", report.Gaps.OpenByRule.Select(r => $"{r.Rule} {r.Count}"))}), " +
                          $"{report.Gaps.ClosedByThemselves} closed by themselves, " +
                          $"{report.Gaps.Acknowledged} acknowledged; " +
                          $"referrals sent {report.Referrals.Sent}, accepted {report.Referrals.Accepted}, " +
                          $"enrolled {report.Referrals.Enrolled}");
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Console.WriteLine($"{received} alerts received live. Done.");
        subscription.Dispose();
        await printer;
        await app.StopAsync();
        return received > 0 ? 0 : 1;

        async Task Register(string id, Profile profile)
        {
            await clients.RegisterClientAsync(new RegisterClientRequest { RequestId = Id(), ClientId = id,
                Region = Region, Profile = profile }, headers);
            Console.WriteLine($"  → registered {id}");
        }
    }

    private static void Section(TimeProvider clock, DateTimeOffset start, string title) =>
        Console.WriteLine($"\n[{Day(clock.GetUtcNow(), start)}] {title}");

    private static string Day(DateTimeOffset at, DateTimeOffset start) => $"day {(at - start).TotalDays:0.0}";

    private static async Task UntilDay(TimeProvider clock, DateTimeOffset start, double day)
    {
        var wait = start + TimeSpan.FromDays(day) - clock.GetUtcNow();
        if (wait > TimeSpan.Zero) await Task.Delay(wait / (TimeSpan.FromDays(1) / RealPerDay));
    }
}

/// <summary>A clock that starts at a given instant and runs faster than real time, for the demo only.</summary>
public sealed class AcceleratedTimeProvider(DateTimeOffset start, double factor) : TimeProvider
{
    private readonly long _origin = Stopwatch.GetTimestamp();

    public override DateTimeOffset GetUtcNow() => start + Stopwatch.GetElapsedTime(_origin) * factor;
}
