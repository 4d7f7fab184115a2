using CareCoordination.Common;
using CareCoordination.Api.V1;
using CareCoordination.Audit;
using CareCoordination.Gateway.Common;
using CareCoordination.Gateway.Security;
using Grpc.Core;

namespace CareCoordination.Gateway.Audit;

/// <summary>The audit trail, for auditors: paged records and verification of the hash chain.</summary>
public sealed class AuditService(IGrainFactory grains, PageTokens pageTokens) : Api.V1.Audit.AuditBase
{
    private IAuditTrailGrain Trail => grains.Ref<IAuditTrailGrain>(AuditTrailGrain.Key);

    [Access(On.AuditTrail, Act.Read, "client_id")]
    public override async Task<AuditQueryResponse> Query(AuditQueryRequest request, ServerCallContext context)
    {
        var clientId = Validate.OptionalKey(request.ClientId, "client_id");
        var size = Validate.PageSize(request.PageSize);
        var query = $"audit:{clientId}";
        var after = pageTokens.Read(request.PageToken, query) is { } token ? long.Parse(token) : 0;
        var page = await Trail.QueryAsync(after, size, clientId, context.CancellationToken);
        return new AuditQueryResponse
        {
            Records = { page.Records.Select(ToProto) },
            NextPageToken = page.NextAfter > 0 ? pageTokens.Issue(query, page.NextAfter.ToString()) : "",
        };
    }

    [Access(On.AuditTrail, Act.Read, "")]
    public override async Task<VerifyAuditResponse> Verify(VerifyAuditRequest request, ServerCallContext context)
    {
        var result = await Trail.VerifyAsync(context.CancellationToken);
        return new VerifyAuditResponse
        {
            Intact = result.Intact, RecordsChecked = result.RecordsChecked,
            FirstBrokenSequence = result.FirstBrokenSequence ?? 0,
            Problem = result.Problem,
        };
    }

    private static Api.V1.AuditRecord ToProto(CareCoordination.Audit.AuditRecord r) => new()
    {
        Sequence = r.Sequence, At = Mapping.Ts(r.Entry.At), Actor = r.Entry.Actor,
        OnBehalfOf = r.Entry.OnBehalfOf ?? "", Organisation = r.Entry.Organisation, Roles = r.Entry.Roles,
        Action = r.Entry.Action, ObjectKind = r.Entry.ObjectKind, ObjectId = r.Entry.ObjectId,
        ClientId = r.Entry.ClientId ?? "", Purpose = r.Entry.Purpose, Outcome = r.Entry.Outcome,
        TraceId = r.Entry.TraceId, PreviousHash = r.PreviousHash, Hash = r.Hash,
    };
}
