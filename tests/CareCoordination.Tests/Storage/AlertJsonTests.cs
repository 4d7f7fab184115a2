using CareCoordination.Alerts;
using CareCoordination.CareGaps;
using CareCoordination.Silo.Storage;

namespace CareCoordination.Tests.Storage;

/// <summary>Alert rows are JSON in the feed tables; rows written by earlier versions stay readable.</summary>
public sealed class AlertJsonTests
{
    [Fact]
    public void An_alert_round_trips_with_its_whole_gap()
    {
        var at = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
        var gap = new OpenGap("client/c-1/g3", CareGapRule.NoRecentContact, "contact", at.AddDays(-1), at.AddHours(-2), GapSeverity.Urgent,
            "Contact the person", at.AddHours(-1), "cm-ana", null, "team:t-1");
        var alert = Alert.For(gap, AlertKind.Acknowledged, new GapOwner(GapOwnerKind.Client, "c-1"), "north", at, "cm-ana", 7) with { Sequence = 4 };

        Assert.Equal(alert, AlertJson.Read(AlertJson.Write(alert)));
    }

    [Fact]
    public void A_row_written_before_alerts_carried_the_whole_gap_reads_with_the_event_time_as_opening()
    {
        const string legacy = """
            {"alertId":"client/c-1/g3/e1","sequence":1,"feedId":"team:t-1","kind":"Opened","gapId":"client/c-1/g3",
             "rule":"NoRecentContact","subject":"contact","owner":{"kind":"Client","id":"c-1"},"region":"north",
             "severity":"Urgent","action":"Contact the person","dueAt":"2026-02-28T09:00:00+00:00",
             "occurredAt":"2026-03-01T09:00:00+00:00","actor":"system","escalateToRole":null}
            """;

        var alert = AlertJson.Read(legacy);

        Assert.Equal(("client/c-1/g3", CareGapRule.NoRecentContact, GapSeverity.Urgent), (alert.Gap.GapId, alert.Gap.Rule, alert.Gap.Severity));
        Assert.Equal(alert.OccurredAt, alert.Gap.OpenedAt);
        Assert.Equal("team:t-1", alert.Gap.FeedId);
    }
}
