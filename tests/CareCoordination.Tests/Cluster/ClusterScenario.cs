using CareCoordination.CareTeams;
using CareCoordination.Clients;
using CareCoordination.Common;
using CareCoordination.Programs;

namespace CareCoordination.Tests.Cluster;

/// <summary>Builds a small region straight on the grains: a team with a case manager, a program, a client.</summary>
public sealed class ClusterScenario(IGrainFactory grains)
{
    public string Region { get; } = TestKeys.New("region");
    public string TeamId { get; } = TestKeys.New("team");
    public string ProgramId { get; } = TestKeys.New("prog");
    public string ClientId { get; } = TestKeys.New("client");
    public const string Worker = "cm-1";

    public IClientGrain Client => grains.GetGrain<IClientGrain>(ClientId);
    public IProgramGrain Program => grains.GetGrain<IProgramGrain>(ProgramId);
    public ICareTeamGrain Team => grains.GetGrain<ICareTeamGrain>(TeamId);

    public static WriteRequest Write(string content = "") => WriteRequest.Of(TestKeys.Request(), content);

    public async Task<ClusterScenario> WithTeamAsync()
    {
        await Team.CreateAsync(Write(), Region, "Team", "org", "tl-1");
        await Team.AddMemberAsync(Write(), Worker, WorkerRole.CaseManager, "org");
        return this;
    }

    public async Task<ClusterScenario> WithProgramAsync(int capacity = 5, NeedDomain domain = NeedDomain.Housing)
    {
        await Program.RegisterAsync(Write(), new RegisterProgram(Region, "Housing first", ProgramKind.HousingFirst, [domain], capacity,
            TimeSpan.FromHours(72), ["coord-1"], "", "ngo"));
        return this;
    }

    public async Task<ClusterScenario> WithClientAsync(RiskLevel risk = RiskLevel.Standard, bool consent = true)
    {
        await Client.RegisterAsync(Write(), new RegisterClient(Region, new ClientProfile("es", 1980, [Circumstance.Migration], false, risk), Worker));
        if (consent)
            await Client.RecordConsentAsync(Write(), new RecordConsent([ConsentScope.CareTeam, ConsentScope.ReferredPrograms], null, Worker));
        return this;
    }

    public Task AssignAsync() => Team.AssignClientAsync(Write(), ClientId, Worker, Worker);
}
