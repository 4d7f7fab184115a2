using System.Collections.Concurrent;
using CareCoordination.Api.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace CareCoordination.Tests.Faults;

/// <summary>What a well-behaved platform does: retry retryable failures with the same request, over another gateway.</summary>
public sealed class RetryingCaller(IReadOnlyList<CallInvoker> channels)
{
    private static readonly StatusCode[] Retryable = [StatusCode.Unavailable, StatusCode.DeadlineExceeded, StatusCode.Cancelled, StatusCode.ResourceExhausted, StatusCode.Aborted];
    private int _next;

    public ConcurrentDictionary<StatusCode, int> Failures { get; } = new();
    public ConcurrentQueue<DateTime> FailureTimes { get; } = new();
    public ConcurrentQueue<DateTime> SuccessTimes { get; } = new();

    /// <summary>Calls until success or a non-retryable status (thrown), within <paramref name="budget"/>.</summary>
    public async Task<T> CallAsync<T>(Func<CallInvoker, DateTime, Task<T>> call, TimeSpan? budget = null)
    {
        var until = DateTime.UtcNow + (budget ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var channel = channels[Interlocked.Increment(ref _next) % channels.Count];
            try
            {
                // A deadline, not a local cancellation: the gateway sees it and answers DEADLINE_EXCEEDED itself.
                var result = await call(channel, DateTime.UtcNow.AddSeconds(15));
                SuccessTimes.Enqueue(DateTime.UtcNow);
                return result;
            }
            catch (RpcException e) when (Retryable.Contains(e.StatusCode) && DateTime.UtcNow < until)
            {
                Failures.AddOrUpdate(e.StatusCode, 1, (_, n) => n + 1);
                FailureTimes.Enqueue(DateTime.UtcNow);
                await Task.Delay(200);
            }
            catch (RpcException e)
            {
                Failures.AddOrUpdate(e.StatusCode, 1, (_, n) => n + 1);
                throw;
            }
        }
    }
}

/// <summary>A case manager's front end: subscribes, and on any break resubscribes from the last sequence it saw.</summary>
public sealed class ResumingSubscriber(IReadOnlyList<CallInvoker> channels, string feedId) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public List<AlertEvent> Received { get; } = [];
    public long LastSequence { get; private set; }
    public int Reconnects { get; private set; }

    public void Start() => _loop = Task.Run(RunAsync);

    private async Task RunAsync()
    {
        var attempt = 0;
        while (!_stop.IsCancellationRequested)
        {
            var channel = channels[attempt++ % channels.Count];
            try
            {
                using var call = new Api.V1.Alerts.AlertsClient(channel).Subscribe(
                    new SubscribeRequest { Feeds = { new FeedCursor { FeedId = feedId, AfterSequence = LastSequence } } }, cancellationToken: _stop.Token);
                await foreach (var alert in call.ResponseStream.ReadAllAsync(_stop.Token))
                {
                    lock (Received) Received.Add(alert);
                    LastSequence = alert.Sequence;
                }
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
                Reconnects++;
                await Task.Delay(300);
            }
            catch (Exception) { return; }
        }
    }

    public async Task<bool> WaitForSequenceAsync(long sequence, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (LastSequence >= sequence) return true;
            await Task.Delay(100);
        }
        return LastSequence >= sequence;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_loop is not null) await _loop;
    }
}
