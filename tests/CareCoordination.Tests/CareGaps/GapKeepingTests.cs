using CareCoordination.Alerts;
using CareCoordination.CareGaps;

namespace CareCoordination.Tests.CareGaps;

public sealed class GapKeepingTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly GapOwner Owner = new(GapOwnerKind.Client, "c1");

    [Fact]
    public void A_client_moving_team_takes_its_open_gaps_along_and_an_escalated_one_stays_escalated()
    {
        var book = new GapBook();
        book.Open.Add(new OpenGap("client/c1/g1", CareGapRule.NoRecentContact, "contact", Now.AddDays(-3), Now.AddDays(-3), GapSeverity.Warning, "Contact",
            EscalatedAt: Now.AddDays(-1), FeedId: "team:a"));
        book.Open.Add(new OpenGap("client/c1/g2", CareGapRule.NoLeadWorker, "lead-worker", Now, Now, GapSeverity.Warning, "Assign", FeedId: "team:a"));
        var outbox = new List<Alert>();

        GapKeeping.MoveOpenGaps(book, "team:b", Owner, "r", Now, "system", outbox);

        Assert.Equal(
            [("team:a", AlertKind.Closed, "client/c1/g1"), ("team:b", AlertKind.Opened, "client/c1/g1"), ("team:b", AlertKind.Escalated, "client/c1/g1"),
             ("team:a", AlertKind.Closed, "client/c1/g2"), ("team:b", AlertKind.Opened, "client/c1/g2")],
            outbox.Select(a => (a.FeedId, a.Kind, a.Gap.GapId)));
        Assert.Equal("TeamLead", outbox[2].EscalateToRole);
        Assert.All(book.Open, g => Assert.Equal("team:b", g.FeedId));
        Assert.Equal(outbox.Count, outbox.Select(a => a.AlertId).Distinct().Count());

        outbox.Clear();
        GapKeeping.MoveOpenGaps(book, "team:b", Owner, "r", Now, "system", outbox);
        Assert.Empty(outbox);
    }
}
