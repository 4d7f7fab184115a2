using CareCoordination.Silo.Operations;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;

namespace CareCoordination.Tests.Gateway;

/// <summary>Anonymous health probes share one readiness check a second: they cannot drive the storage.</summary>
public sealed class SharedResultCheckTests
{
    private sealed class CountingCheck : IHealthCheck
    {
        public int Runs;
        public TaskCompletionSource<HealthCheckResult> Next { get; set; } = new();

        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context,
            CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Runs);
            return Next.Task;
        }
    }

    [Fact]
    public async Task Probes_share_one_run_while_it_runs_and_for_a_second_after()
    {
        var inner = new CountingCheck();
        var time = new FakeTimeProvider();
        var check = new SharedResultCheck<CountingCheck>(inner, time);

        var probes = Enumerable.Range(0, 100).Select(_ => check.CheckHealthAsync(new HealthCheckContext())).ToList();
        time.Advance(TimeSpan.FromSeconds(5)); // a slow check is joined, not started again
        probes.Add(check.CheckHealthAsync(new HealthCheckContext()));
        inner.Next.SetResult(HealthCheckResult.Unhealthy("storage not reachable"));
        var answers = await Task.WhenAll(probes);
        Assert.Equal(1, inner.Runs);
        Assert.All(answers, a => Assert.Equal(HealthStatus.Unhealthy, a.Status));

        // Finished, and older than a second (it ran for five): the next probe runs it again and sees the recovery.
        inner.Next = new TaskCompletionSource<HealthCheckResult>();
        inner.Next.SetResult(HealthCheckResult.Healthy());
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
        Assert.Equal(2, inner.Runs);

        // Fresh for a second from the start of that run: the same answer, no new run; then a new one.
        time.Advance(SharedResultCheck<CountingCheck>.Freshness / 2);
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
        Assert.Equal(2, inner.Runs);
        time.Advance(SharedResultCheck<CountingCheck>.Freshness / 2);
        await check.CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(3, inner.Runs);
    }

    [Fact]
    public async Task A_probe_that_hangs_up_does_not_cancel_the_answer_the_others_wait_for()
    {
        var inner = new CountingCheck();
        var check = new SharedResultCheck<CountingCheck>(inner, new FakeTimeProvider());
        using var hangUp = new CancellationTokenSource();
        var leaving = check.CheckHealthAsync(new HealthCheckContext(), hangUp.Token);
        var staying = check.CheckHealthAsync(new HealthCheckContext());
        await hangUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);
        inner.Next.SetResult(HealthCheckResult.Healthy());
        Assert.Equal(HealthStatus.Healthy, (await staying).Status);
        Assert.Equal(1, inner.Runs);
    }
}
