using CareCoordination.Common;

namespace CareCoordination.Tests.Common;

public sealed class RequestLogTests
{
    [Fact]
    public void An_answer_recorded_before_calls_were_fingerprinted_still_matches_its_retry()
    {
        var log = new RequestLog();
        // Recorded by a gateway whose fingerprint was the request's content alone.
        log.Remember(WriteRequest.Of("req-1", "content"), "goal-1");

        var retry = WriteRequest.OfCall("req-1", "carecoordination.v1.SetGoalRequest", "content");
        Assert.NotEqual(retry.Fingerprint, WriteRequest.Of("req-1", "content").Fingerprint);
        Assert.Equal("goal-1", log.Find(retry)!.ResultId);
        // Other content under the same id is still refused.
        var other = WriteRequest.OfCall("req-1", "carecoordination.v1.SetGoalRequest", "other");
        Assert.Equal("request_id", Assert.Throws<CareCoordinationException>(() => log.Find(other)).Field);
    }

    [Fact]
    public void One_request_id_serves_one_call_even_when_two_calls_send_the_same_content()
    {
        var log = new RequestLog();
        log.Remember(WriteRequest.OfCall("req-2", "carecoordination.v1.AcknowledgeRequest", "gap"), "gap-1");

        Assert.NotNull(log.Find(WriteRequest.OfCall("req-2", "carecoordination.v1.AcknowledgeRequest", "gap")));
        Assert.Throws<CareCoordinationException>(() =>
            log.Find(WriteRequest.OfCall("req-2", "carecoordination.v1.ResolveRequest", "gap")));
    }
}
