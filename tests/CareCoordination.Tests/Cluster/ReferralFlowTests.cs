using CareCoordination.Clients;
using CareCoordination.Programs;
using CareCoordination.Common;

namespace CareCoordination.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class ReferralFlowTests(ClusterFixture fixture)
{
    private async Task<ClusterScenario> ScenarioAsync(int capacity = 5)
    {
        var s = new ClusterScenario(fixture.Grains);
        await s.WithTeamAsync();
        await s.WithProgramAsync(capacity);
        await s.WithClientAsync();
        await s.AssignAsync();
        return s;
    }

    [Fact]
    public async Task A_referral_travels_the_closed_loop_from_sent_to_completed_on_both_sides()
    {
        var s = await ScenarioAsync();
        var sent = await s.Client.ReferAsync(ClusterScenario.Write(), new Refer(s.ProgramId, NeedDomain.Housing, "cm-1"));
        var referralId = sent.ResultId;

        Assert.Equal(ReferralStatus.Sent, (await s.Program.GetAsync()).Referrals.Single(r => r.ReferralId == referralId).Status);

        await s.Program.RespondAsync(ClusterScenario.Write(), referralId, accept: true, "", "coord-1");
        Assert.Equal(ReferralStatus.Accepted, (await s.Client.GetAsync()).Referrals.Single().Status);

        await s.Program.EnrollAsync(ClusterScenario.Write(), referralId, "coord-1");
        var enrolled = await s.Client.GetAsync();
        Assert.Equal(ReferralStatus.Enrolled, enrolled.Referrals.Single().Status);
        Assert.True(Assert.Single(enrolled.Enrollments).Active);

        await s.Program.DischargeAsync(ClusterScenario.Write(), referralId, "goal-achieved", "coord-1");
        var done = await s.Client.GetAsync();
        Assert.Equal(ReferralStatus.Completed, done.Referrals.Single().Status);
        Assert.False(done.Enrollments.Single().Active);
        Assert.Equal(0, (await s.Program.GetAsync()).Enrolled);
    }

    /// <summary>Ends either way, with its answer or a refusal of the work; a deadlock is what fails.</summary>
    private static async Task Settles(Task call)
    {
        try { await call; }
        catch (CareCoordinationException) { }
    }

    private static async Task<bool> BothSidesAgreeAsync(ClusterScenario s, string referralId)
    {
        var program = (await s.Program.GetAsync()).Referrals.SingleOrDefault(r => r.ReferralId == referralId);
        var client = (await s.Client.GetAsync()).Referrals.Single(r => r.ReferralId == referralId);
        return program is not null && program.Status == client.Status;
    }

    [Fact]
    public async Task A_person_and_a_program_writing_to_each_other_at_once_neither_wait_on_the_other()
    {
        // Each pair of calls below runs a turn of the person's record and a turn of the program that each call the
        // other: before, both waited until the 30 s response timeout and the program answered nobody meanwhile.
        for (var round = 0; round < 4; round++)
        {
            var s = await ScenarioAsync();
            var referral = (await s.Client.ReferAsync(ClusterScenario.Write(), new Refer(s.ProgramId, NeedDomain.Housing, "cm-1"))).ResultId;
            await s.Program.RespondAsync(ClusterScenario.Write(), referral, accept: true, "", "coord-1");

            await Task.WhenAll(
                    Settles(s.Program.EnrollAsync(ClusterScenario.Write(), referral, "coord-1")),
                    Settles(s.Client.CloseCaseAsync(ClusterScenario.Write(), "moved to another region", "cm-1")))
                .WaitAsync(TimeSpan.FromSeconds(5));
            await Eventually.HoldsAsync(() => BothSidesAgreeAsync(s, referral), "the person and the program agree on the referral");
        }

        for (var round = 0; round < 4; round++)
        {
            var s = new ClusterScenario(fixture.Grains);
            await s.WithTeamAsync();
            await s.Program.RegisterAsync(ClusterScenario.Write(), new RegisterProgram(s.Region, "Inclusion service",
                ProgramKind.InclusionService, [NeedDomain.Housing, NeedDomain.Employment], 5, TimeSpan.FromHours(72), ["coord-1"], "", "ngo"));
            await s.WithClientAsync();
            await s.AssignAsync();
            var housing = (await s.Client.ReferAsync(ClusterScenario.Write(), new Refer(s.ProgramId, NeedDomain.Housing, "cm-1"))).ResultId;

            // The program answers the first referral while the person is referred to it again.
            var refer = s.Client.ReferAsync(ClusterScenario.Write(), new Refer(s.ProgramId, NeedDomain.Employment, "cm-1"));
            await Task.WhenAll(Settles(s.Program.RespondAsync(ClusterScenario.Write(), housing, accept: true, "", "coord-1")), Settles(refer))
                .WaitAsync(TimeSpan.FromSeconds(5));
            var employment = (await refer).ResultId;
            await Eventually.HoldsAsync(async () => await BothSidesAgreeAsync(s, housing) && await BothSidesAgreeAsync(s, employment),
                "the person and the program agree on both referrals");
            Assert.Equal(ReferralStatus.Accepted, (await s.Client.GetAsync()).Referrals.Single(r => r.ReferralId == housing).Status);
        }
    }

    [Fact]
    public async Task A_retried_referral_returns_the_first_answer_and_creates_nothing_twice()
    {
        var s = await ScenarioAsync();
        var request = ClusterScenario.Write("refer housing");
        var command = new Refer(s.ProgramId, NeedDomain.Housing, "cm-1");

        var first = await s.Client.ReferAsync(request, command);
        var retried = await s.Client.ReferAsync(request, command);

        Assert.Equal(first.ResultId, retried.ResultId);
        Assert.Single((await s.Client.GetAsync()).Referrals);
        Assert.Single((await s.Program.GetAsync()).Referrals);
    }

    [Fact]
    public async Task Retried_answers_from_the_program_are_applied_once()
    {
        var s = await ScenarioAsync(capacity: 1);
        var referralId = (await s.Client.ReferAsync(ClusterScenario.Write(), new Refer(s.ProgramId, NeedDomain.Housing, "cm-1"))).ResultId;
        var respond = ClusterScenario.Write("accept");
        var enroll = ClusterScenario.Write("enroll");

        await s.Program.RespondAsync(respond, referralId, true, "", "coord-1");
        await s.Program.RespondAsync(respond, referralId, true, "", "coord-1");
        await s.Program.EnrollAsync(enroll, referralId, "coord-1");
        var again = await s.Program.EnrollAsync(enroll, referralId, "coord-1");

        Assert.Equal(ReferralStatus.Enrolled, again.Status);
        Assert.Equal(1, (await s.Program.GetAsync()).Enrolled);
        Assert.Single((await s.Client.GetAsync()).Enrollments);
    }

    [Fact]
    public async Task A_full_program_puts_an_accepted_referral_on_the_waitlist()
    {
        var s = await ScenarioAsync(capacity: 1);
        var other = new ClusterScenario(fixture.Grains);
        await fixture.Grains.GetGrain<IClientGrain>(other.ClientId).RegisterAsync(ClusterScenario.Write(),
            new RegisterClient(s.Region, new ClientProfile("ar", null, [], true, RiskLevel.Standard), "cm-1"));
        await fixture.Grains.GetGrain<IClientGrain>(other.ClientId).RecordConsentAsync(ClusterScenario.Write(),
            new RecordConsent([ConsentScope.ReferredPrograms], null, "cm-1"));

        var first = (await s.Client.ReferAsync(ClusterScenario.Write(), new Refer(s.ProgramId, NeedDomain.Housing, "cm-1"))).ResultId;
        var second = (await fixture.Grains.GetGrain<IClientGrain>(other.ClientId)
            .ReferAsync(ClusterScenario.Write(), new Refer(s.ProgramId, NeedDomain.Housing, "cm-1"))).ResultId;
        foreach (var id in new[] { first, second }) await s.Program.RespondAsync(ClusterScenario.Write(), id, true, "", "coord-1");

        await s.Program.EnrollAsync(ClusterScenario.Write(), first, "coord-1");
        var waitlisted = await s.Program.EnrollAsync(ClusterScenario.Write(), second, "coord-1");

        Assert.Equal(ReferralStatus.Waitlisted, waitlisted.Status);
        Assert.Equal(ReferralStatus.Waitlisted, (await fixture.Grains.GetGrain<IClientGrain>(other.ClientId).GetAsync()).Referrals.Single().Status);
    }

    [Fact]
    public async Task Referring_without_consent_to_share_is_refused_and_changes_nothing()
    {
        var s = new ClusterScenario(fixture.Grains);
        await s.WithProgramAsync();
        await s.WithClientAsync(consent: false);

        var error = await Assert.ThrowsAsync<CareCoordinationException>(() =>
            s.Client.ReferAsync(ClusterScenario.Write(), new Refer(s.ProgramId, NeedDomain.Housing, "cm-1")));

        Assert.Equal(ErrorKind.FailedPrecondition, error.Kind);
        Assert.Empty((await s.Client.GetAsync()).Referrals);
        Assert.Empty((await s.Program.GetAsync()).Referrals);
    }

    [Fact]
    public async Task Closing_a_case_withdraws_its_open_referrals_from_the_program()
    {
        var s = await ScenarioAsync();
        var referralId = (await s.Client.ReferAsync(ClusterScenario.Write(), new Refer(s.ProgramId, NeedDomain.Housing, "cm-1"))).ResultId;

        await s.Client.CloseCaseAsync(ClusterScenario.Write(), "moved-away", "cm-1");

        Assert.Equal(ReferralStatus.Cancelled, (await s.Program.GetAsync()).Referrals.Single(r => r.ReferralId == referralId).Status);
        Assert.Empty((await s.Client.GetAsync()).OpenGaps);
    }
}
