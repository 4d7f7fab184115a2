namespace CareCoordination.Common;

/// <summary>
/// The time care gaps are measured against. Kept apart from the <see cref="TimeProvider"/> the Orleans runtime
/// takes from the container, so tests (FakeTimeProvider) and the demo (an accelerated clock) can move care time
/// without moving membership, timers and health checks with it.
/// </summary>
public sealed class CareClock(TimeProvider time)
{
    public static CareClock System { get; } = new(TimeProvider.System);

    public DateTimeOffset GetUtcNow() => time.GetUtcNow();
}
