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
