using System.Diagnostics;
using System.Diagnostics.Metrics;
using CareCoordination.CareGaps;

namespace CareCoordination.Common;

/// <summary>
/// The service's own traces and metrics (DESIGN §9), as plain System.Diagnostics instruments: the hosts decide
/// whether anything listens and where it goes. Tags are bounded sets (rule, kind, outcome) — never an id and never
/// personal data, since they travel to every telemetry backend.
/// </summary>
public static class CareTelemetry
{
    public const string Name = "CareCoordination";

    public static readonly ActivitySource Source = new(Name);
    private static readonly Meter Meter = new(Name);

    private static readonly Counter<long> GapsOpened = Meter.CreateCounter<long>("care.gaps.opened", "{gap}",
        "Care gaps opened, by rule");
    private static readonly Counter<long> GapsClosed = Meter.CreateCounter<long>("care.gaps.closed", "{gap}",
        "Care gaps closed, by rule and how (by themselves, or resolved by a worker)");
    private static readonly Counter<long> GapsEscalated = Meter.CreateCounter<long>("care.gaps.escalated", "{gap}",
        "Care gaps escalated, by rule");
    private static readonly UpDownCounter<long> GapsOpen = Meter.CreateUpDownCounter<long>("care.gaps.open", "{gap}",
        "Care gaps opened minus closed by this process, by rule (sum over processes for the open total)");
    private static readonly Histogram<double> AlertDelivery = Meter.CreateHistogram<double>(
        "care.alerts.delivery", "ms", "From an alert stored in its feed to its push to a live subscriber");
    private static readonly Histogram<double> TimeToAcknowledge = Meter.CreateHistogram<double>(
        "care.gaps.time_to_acknowledge", "h", "From a gap opening to a worker acknowledging it, by rule");
    private static readonly Histogram<double> ReferralResponse = Meter.CreateHistogram<double>(
        "care.referrals.response_time", "h", "From a referral reaching a program to the program's answer, by outcome");
    private static readonly UpDownCounter<long> Subscriptions = Meter.CreateUpDownCounter<long>(
        "care.alerts.subscriptions", "{subscription}", "Live alert subscriptions open on this gateway");
    private static readonly Histogram<double> ClockLag = Meter.CreateHistogram<double>("care.clock.lag", "ms",
        "From an owner's due time to the care-gap clock waking it, by owner kind");

    public static void Opened(CareGapRule rule)
    {
        GapsOpened.Add(1, new KeyValuePair<string, object?>("rule", rule.ToString()));
        GapsOpen.Add(1, new KeyValuePair<string, object?>("rule", rule.ToString()));
    }

    public static void Closed(CareGapRule rule, bool byWorker)
    {
        GapsClosed.Add(1, new("rule", rule.ToString()), new("how", byWorker ? "resolved" : "closed"));
        GapsOpen.Add(-1, new KeyValuePair<string, object?>("rule", rule.ToString()));
    }

    public static void Escalated(CareGapRule rule) =>
        GapsEscalated.Add(1, new KeyValuePair<string, object?>("rule", rule.ToString()));

    public static void Acknowledged(CareGapRule rule, TimeSpan afterOpening) =>
        TimeToAcknowledge.Record(afterOpening.TotalHours, new KeyValuePair<string, object?>("rule", rule.ToString()));

    public static void ReferralAnswered(bool accepted, TimeSpan afterReceipt) =>
        ReferralResponse.Record(afterReceipt.TotalHours,
            new KeyValuePair<string, object?>("outcome", accepted ? "accepted" : "declined"));

    public static void Delivered(TimeSpan sinceStored) => AlertDelivery.Record(sinceStored.TotalMilliseconds);

    public static void Subscribed(int change) => Subscriptions.Add(change);

    public static void Woken(string ownerKind, TimeSpan late) =>
        ClockLag.Record(Math.Max(0, late.TotalMilliseconds), new KeyValuePair<string, object?>("kind", ownerKind));
}
