using System.Diagnostics;
using CareCoordination.Audit;
using CareCoordination.Common;
using CareCoordination.Gateway.Common;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace CareCoordination.Gateway.Security;

/// <summary>
/// Object-level authorization and audit of every call to a carecoordination.v1 service. The service method's
/// <see cref="AccessAttribute"/>s name the objects the call touches; their policies decide before the service
/// runs. A refusal is PERMISSION_DENIED, the same for an id that does not exist as for one the caller may not see.
/// Every call, allowed or refused, leaves an audit record per object it touched, stored before the answer leaves. A
/// method without an access declaration is refused: a new RPC is closed until someone writes its rule.
/// </summary>
public sealed class AuthorizationInterceptor(AccessPolicies policies, AuditWriter audit,
    ILogger<AuthorizationInterceptor> logger)
    : Interceptor
{
    private const string Package = "/carecoordination.v1.";
    private const string DecisionKey = "cc.access";

    /// <summary>The decision taken for this call (the service shapes what it returns by its view).</summary>
    public static AccessDecision? DecisionOf(ServerCallContext context) =>
        context.UserState.TryGetValue(DecisionKey, out var d) ? d as AccessDecision : null;

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request,
        ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (!context.Method.StartsWith(Package, StringComparison.Ordinal)) return await continuation(request, context);
        var records = await AuthorizeAsync((IMessage)request, context);
        TResponse response;
        try
        {
            response = await continuation(request, context);
        }
        catch (Exception ex)
        {
            await RecordAsync(records, Outcome(ex, context));
            throw;
        }
        await RecordAsync(records, "OK");
        return response;
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        if (!context.Method.StartsWith(Package, StringComparison.Ordinal))
        {
            await continuation(request, responseStream, context);
            return;
        }
        var records = await AuthorizeAsync((IMessage)request, context);
        // A subscription is recorded when it is taken, and again when it ends with how it ended: it keeps checking
        // access itself while it runs, and a loss of access (or an expired token) ends it.
        await RecordAsync(records, "OPENED");
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception ex)
        {
            await RecordAsync(records, Outcome(ex, context));
            throw;
        }
        await RecordAsync(records, "CLOSED");
    }

    private async Task<IReadOnlyList<AuditEntry>> AuthorizeAsync(IMessage request, ServerCallContext context)
    {
        var caller = Caller.Of(context);
        var http = context.GetHttpContext();
        var rules = http.GetEndpoint()?.Metadata.GetOrderedMetadata<AccessAttribute>() ?? [];
        var action = context.Method[Package.Length..];
        var record = new AuditEntry(DateTimeOffset.UtcNow, caller.Id, caller.OnBehalfOf, caller.Organisation,
            string.Join(' ', caller.Roles.Order(StringComparer.Ordinal)), action, "", "", null, caller.Purpose, "",
            Activity.Current?.TraceId.ToString() ?? "");
        if (caller.IsService && caller.OnBehalfOf is null)
            await DenyAsync(record with { ObjectKind = "none", Outcome = "DENIED: no x-on-behalf-of" },
                $"a platform service must name the worker it calls for in {Caller.OnBehalfOfHeader}");
        if (caller.Roles.All(r => r == Roles.ClusterOperator))
            // Not even the programs' public directory: a dashboard-only (or role-less) token opens no call.
            await DenyAsync(record with { ObjectKind = "none", Outcome = "DENIED: no role of this API" },
                "the bearer token carries no role of this API (cluster_operator opens the Orleans dashboard only)");
        if (rules.Count == 0)
        {
            logger.LogError("{Method} has no access rule: refused until it has one", context.Method);
            await DenyAsync(record with { ObjectKind = "none" }, "this call has no access rule yet");
        }

        AccessDecision? kept = null;
        var named = false;
        var records = new List<AuditEntry>();
        foreach (var rule in rules)
        {
            var ids = Ids(request, rule).ToList();
            // Checked before any decision: each object named costs a decision and an audit record.
            if (rule.MaxObjects > 0 && ids.Count > rule.MaxObjects)
                throw CareCoordinationException.Invalid(rule.Field, $"at most {rule.MaxObjects} {rule.Field} per call");
            foreach (var id in ids)
            {
                named = true;
                // malformed: the service's validation refuses it
                if (!AccessPolicies.IsLookup(rule.On, id)) continue;
                var (decision, kind, objectId) = await policies.DecideAsync(caller, rule.On, rule.Act, id, request,
                    context.CancellationToken);
                if (decision.Allowed && decision.View == View.Referral && !rule.ReferralView)
                    decision = AccessDecision.Deny(
                        "a referral shares the person's referral, not the rest of the record", decision.ClientId);
                // One record per object the call touches (a subscription's every feed, an assignment's team and
                // person).
                var touched = record with
                {
                    ObjectKind = kind.ToString(), ObjectId = objectId,
                    ClientId = kind == On.Client ? objectId : decision.ClientId ?? ReferredClient(request),
                };
                if (!decision.Allowed)
                {
                    await RecordAsync(records, "DENIED: with another object of the call");
                    await DenyAsync(touched with { Outcome = $"DENIED: {decision.Reason}" }, null);
                }
                records.Add(touched);
                kept ??= decision;
            }
        }
        if (!named)
        {
            // Nothing names the object: refused here, so no call ever runs without a decision.
            var fields = rules.Select(r => r.Field).Distinct().ToList();
            throw CareCoordinationException.Invalid(fields[0], fields.Count == 1
                ? $"{fields[0]} is required" : $"set one of {string.Join(", ", fields)}");
        }
        if (kept is not null) context.UserState[DecisionKey] = kept;
        return records.Count > 0 ? records : [record];
    }

    private Task RecordAsync(IReadOnlyList<AuditEntry> records, string outcome) =>
        Task.WhenAll(records.Select(r => audit.RecordAsync(r with { Outcome = outcome })));

    private async Task DenyAsync(AuditEntry record, string? message)
    {
        await audit.RecordAsync(record.Outcome.Length == 0 ? record with { Outcome = "DENIED" } : record);
        // One answer for "does not exist" and "not yours": existence does not leak.
        throw new RpcException(new Status(StatusCode.PermissionDenied,
            message ?? $"permission denied: this {record.ObjectKind.ToLowerInvariant()} is not one you may "
                + $"{Verb(record.Action)}"));
    }

    private static string Verb(string action) =>
        action.Contains("/Get") || action.Contains("/List") ? "read" : "act on";

    /// <summary>
    /// The person a call on a program concerns through the referral it names (answer, enrollment, discharge): its
    /// record then shows in that person's trail (Audit.Query by client_id).
    /// </summary>
    private static string? ReferredClient(IMessage request) =>
        Keys.ClientOfReferral(request.Descriptor.FindFieldByName("referral_id")?.Accessor.GetValue(request) as string);

    /// <summary>The ids a rule names in the request: one string field, or each feed of a repeated FeedCursor
    /// field.</summary>
    private static IEnumerable<string> Ids(IMessage request, AccessAttribute rule)
    {
        if (rule.On == On.AuditTrail)
        {
            yield return "trail"; // one trail; its field is a filter, not the object
            yield break;
        }
        var field = request.Descriptor.FindFieldByName(rule.Field);
        if (field is null) yield break;
        var value = field.Accessor.GetValue(request);
        switch (value)
        {
            case string s when s.Length > 0:
                yield return s;
                break;
            case System.Collections.IList list:
                foreach (var item in list)
                    if (item is IMessage m
                        && m.Descriptor.FindFieldByName("feed_id")?.Accessor.GetValue(m) is string feed
                        && feed.Length > 0)
                        yield return feed;
                break;
        }
    }

    private static string Outcome(Exception ex, ServerCallContext context) =>
        ex is RpcException r
            ? r.StatusCode.ToString()
            : ErrorMappingInterceptor.ToStatus(ex, context).StatusCode.ToString();
}
