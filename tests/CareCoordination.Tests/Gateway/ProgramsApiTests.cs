using CareCoordination.Api.V1;
using Grpc.Core;

namespace CareCoordination.Tests.Gateway;

[Collection(GatewayCollection.Name)]
public sealed class ProgramsApiTests(GatewayFixture gateway)
{
    [Fact]
    public async Task The_referral_closed_loop_works_end_to_end_and_a_retried_refer_is_one_referral()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        await s.WithProgramAsync(capacity: 1);
        var id = await s.ClientAsync();
        var second = await s.ClientAsync();
        var refer = new ReferRequest { RequestId = TestKeys.Request(), ClientId = id, ProgramId = s.ProgramId, Domain = NeedDomain.Housing };

        var referral = await gateway.Programs.ReferAsync(refer, s.Worker);
        var retried = await gateway.Programs.ReferAsync(refer, s.Worker);
        var other = await gateway.Programs.ReferAsync(new ReferRequest { RequestId = TestKeys.Request(), ClientId = second, ProgramId = s.ProgramId, Domain = NeedDomain.Housing }, s.Worker);
        Assert.Equal(referral.ReferralId, retried.ReferralId);
        Assert.Equal(ReferralStatus.Sent, referral.Status);

        var coordinator = GatewayFixture.As("coord-1");
        await gateway.Programs.RespondToReferralAsync(new RespondToReferralRequest { RequestId = TestKeys.Request(), ProgramId = s.ProgramId, ReferralId = referral.ReferralId, Accept = true }, coordinator);
        await gateway.Programs.RespondToReferralAsync(new RespondToReferralRequest { RequestId = TestKeys.Request(), ProgramId = s.ProgramId, ReferralId = other.ReferralId, Accept = true }, coordinator);
        var enrolled = await gateway.Programs.EnrollAsync(new EnrollRequest { RequestId = TestKeys.Request(), ProgramId = s.ProgramId, ReferralId = referral.ReferralId }, coordinator);
        var waitlisted = await gateway.Programs.EnrollAsync(new EnrollRequest { RequestId = TestKeys.Request(), ProgramId = s.ProgramId, ReferralId = other.ReferralId }, coordinator);
        Assert.Equal(ReferralStatus.Enrolled, enrolled.Status);
        Assert.Equal(ReferralStatus.Waitlisted, waitlisted.Status);

        var answeredTwice = await Assert.ThrowsAsync<RpcException>(() => gateway.Programs.RespondToReferralAsync(
            new RespondToReferralRequest { RequestId = TestKeys.Request(), ProgramId = s.ProgramId, ReferralId = referral.ReferralId, Accept = false, ReasonCode = "x" }, coordinator).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, answeredTwice.StatusCode);

        await gateway.Programs.DischargeAsync(new DischargeRequest { RequestId = TestKeys.Request(), ProgramId = s.ProgramId, ReferralId = referral.ReferralId, Outcome = "housed" }, coordinator);
        var client = await gateway.Clients.GetClientAsync(new GetClientRequest { ClientId = id });
        Assert.Equal(ReferralStatus.Completed, Assert.Single(client.Referrals).Status);
        Assert.NotNull(Assert.Single(client.Enrollments).EndedAt);

        var program = await gateway.Programs.GetProgramAsync(new GetProgramRequest { ProgramId = s.ProgramId });
        Assert.Equal(2, program.Referrals.Count);
        Assert.Equal(0, program.Enrolled);

        // The region's directory of programs does not carry who was referred: that is for GetProgram.
        var listed = Assert.Single((await gateway.Programs.ListProgramsAsync(new ListProgramsRequest { Region = s.Region })).Programs);
        Assert.Equal(s.ProgramId, listed.ProgramId);
        Assert.Empty(listed.Referrals);
    }

    [Fact]
    public async Task A_referral_of_a_person_with_the_longest_id_is_answered_enrolled_and_discharged_by_its_id()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        await s.WithProgramAsync();
        // A platform's pseudonym: 64 hex characters, the longest id a person may have. The referral's id is longer.
        var person = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Guid.NewGuid().ToByteArray()));
        await gateway.Clients.RegisterClientAsync(new RegisterClientRequest { RequestId = TestKeys.Request(), ClientId = person, Region = s.Region }, s.Worker);
        await gateway.Clients.RecordConsentAsync(new RecordConsentRequest
            { RequestId = TestKeys.Request(), ClientId = person, Scopes = { ConsentScope.CareTeam, ConsentScope.ReferredPrograms } }, s.Worker);
        await gateway.Teams.AssignClientAsync(new AssignClientRequest { RequestId = TestKeys.Request(), TeamId = s.TeamId, ClientId = person, LeadWorkerId = s.WorkerId }, s.Worker);
        var referral = await gateway.Programs.ReferAsync(new ReferRequest
            { RequestId = TestKeys.Request(), ClientId = person, ProgramId = s.ProgramId, Domain = NeedDomain.Housing }, s.Worker);
        Assert.True(referral.ReferralId.Length > 64, referral.ReferralId);

        var coordinator = GatewayFixture.As(ApiScenario.Coordinator);
        Assert.Equal(ReferralStatus.Accepted, (await gateway.Programs.RespondToReferralAsync(new RespondToReferralRequest
            { RequestId = TestKeys.Request(), ProgramId = s.ProgramId, ReferralId = referral.ReferralId, Accept = true }, coordinator)).Status);
        Assert.Equal(ReferralStatus.Enrolled, (await gateway.Programs.EnrollAsync(new EnrollRequest
            { RequestId = TestKeys.Request(), ProgramId = s.ProgramId, ReferralId = referral.ReferralId }, coordinator)).Status);
        Assert.Equal(ReferralStatus.Completed, (await gateway.Programs.DischargeAsync(new DischargeRequest
            { RequestId = TestKeys.Request(), ProgramId = s.ProgramId, ReferralId = referral.ReferralId, Outcome = "housed" }, coordinator)).Status);

        // What no referral id can be is refused by name, before any program is asked.
        foreach (var bad in new[] { "r-1", person, person + ".r", person + ".rx", "-" + person[1..] + ".r1" })
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => gateway.Programs.EnrollAsync(new EnrollRequest
                { RequestId = TestKeys.Request(), ProgramId = s.ProgramId, ReferralId = bad }, coordinator).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
            Assert.Contains("referral_id", refused.Status.Detail);
        }
    }

    [Fact]
    public async Task A_program_files_its_ended_referrals_and_still_lists_counts_and_answers_for_every_one()
    {
        var s = await new ApiScenario(gateway).WithTeamAsync();
        await s.WithProgramAsync();
        var person = await s.ClientAsync();
        var coordinator = GatewayFixture.As(ApiScenario.Coordinator);
        // One person referred 40 times over the years, each referral declined: more than a filing's worth ends.
        var declines = new List<RespondToReferralRequest>();
        for (var i = 0; i < 40; i++)
        {
            var referral = await gateway.Programs.ReferAsync(new ReferRequest
                { RequestId = TestKeys.Request(), ClientId = person, ProgramId = s.ProgramId, Domain = NeedDomain.Housing }, s.Worker);
            var decline = new RespondToReferralRequest
                { RequestId = TestKeys.Request(), ProgramId = s.ProgramId, ReferralId = referral.ReferralId, Accept = false, ReasonCode = "no-place" };
            await gateway.Programs.RespondToReferralAsync(decline, coordinator);
            declines.Add(decline);
        }
        var open = await gateway.Programs.ReferAsync(new ReferRequest
            { RequestId = TestKeys.Request(), ClientId = person, ProgramId = s.ProgramId, Domain = NeedDomain.Housing }, s.Worker);

        // The program's record carries the open one and at most a filing's worth of ended ones.
        var program = await gateway.Programs.GetProgramAsync(new GetProgramRequest { ProgramId = s.ProgramId }, coordinator);
        Assert.Contains(program.Referrals, r => r.ReferralId == open.ReferralId);
        Assert.True(program.Referrals.Count <= 17, $"the program's state still carries {program.Referrals.Count} referrals");

        // Every referral is listed, page by page, in id order, with how it ended.
        var listed = new List<ProgramReferral>();
        var token = "";
        do
        {
            var page = await gateway.Programs.ListReferralsAsync(new ListReferralsRequest { ProgramId = s.ProgramId, PageSize = 7, PageToken = token }, coordinator);
            Assert.True(page.Referrals.Count <= 7);
            listed.AddRange(page.Referrals);
            token = page.NextPageToken;
        } while (token.Length > 0);
        Assert.Equal(41, listed.Count);
        Assert.Equal(listed.Select(r => r.ReferralId).Order(StringComparer.Ordinal), listed.Select(r => r.ReferralId));
        Assert.Equal(40, listed.Count(r => r.Status == ReferralStatus.Declined && r.ReasonCode == "no-place"));

        var report = await gateway.Reports.ProgramReportAsync(new ProgramReportRequest { ProgramId = s.ProgramId }, coordinator);
        Assert.Equal(41, report.Referrals.Sent);
        Assert.Equal(40, report.Referrals.Declined);

        // The first decline, long filed: its retry answers as the first time; a new answer is refused, naming the field.
        var retried = await gateway.Programs.RespondToReferralAsync(declines[0], coordinator);
        Assert.Equal(ReferralStatus.Declined, retried.Status);
        Assert.Equal(declines[0].ReferralId, retried.ReferralId);
        var again = await Assert.ThrowsAsync<RpcException>(() => gateway.Programs.RespondToReferralAsync(
            new RespondToReferralRequest { RequestId = TestKeys.Request(), ProgramId = s.ProgramId, ReferralId = declines[0].ReferralId, Accept = true }, coordinator).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
        Assert.Contains("referral_id", again.Status.Detail);

        // A token of another list is refused.
        var foreign = await Assert.ThrowsAsync<RpcException>(() => gateway.Programs.ListReferralsAsync(
            new ListReferralsRequest { ProgramId = s.ProgramId, PageToken = "not-a-token" }, coordinator).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, foreign.StatusCode);
    }

    [Fact]
    public async Task Programs_of_a_region_are_listed_page_by_page()
    {
        var s = new ApiScenario(gateway);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var id = $"p{i}-{Guid.NewGuid():N}"[..12];
            ids.Add(id);
            await gateway.Programs.RegisterProgramAsync(new RegisterProgramRequest
            {
                RequestId = TestKeys.Request(), ProgramId = id, Region = s.Region, Name = $"Program {i}", Kind = ProgramKind.LanguageClasses,
                Domains = { NeedDomain.Language }, Capacity = 10,
            });
        }

        var listed = new List<string>();
        var token = "";
        do
        {
            var page = await gateway.Programs.ListProgramsAsync(new ListProgramsRequest { Region = s.Region, PageSize = 2, PageToken = token });
            Assert.Equal(5, page.Total);
            listed.AddRange(page.Programs.Select(p => p.ProgramId));
            token = page.NextPageToken;
        } while (token != "");

        Assert.Equal(ids.Order(StringComparer.Ordinal), listed);
    }
}
