using System.Security.Claims;
using CareCoordination.Common;
using Grpc.Core;

namespace CareCoordination.Gateway.Security;

/// <summary>The roles a token can carry (claim "role"), as the region's identity provider issues them.</summary>
public static class Roles
{
    public const string CaseManager = "case_manager";
    public const string SocialWorker = "social_worker";
    public const string TeamLead = "team_lead";
    public const string ProgramCoordinator = "program_coordinator";
    public const string RegionalOperator = "regional_operator";
    public const string Auditor = "auditor";
    public const string PlatformService = "platform_service";

    /// <summary>Runs the service: the Orleans dashboard; no person's record, over any call.</summary>
    public const string ClusterOperator = "cluster_operator";

    public static readonly IReadOnlyList<string> All =
        [CaseManager, SocialWorker, TeamLead, ProgramCoordinator, RegionalOperator, Auditor, PlatformService,
            ClusterOperator];

    /// <summary>Roles of people who work with clients directly.</summary>
    public static readonly IReadOnlyList<string> Care = [CaseManager, SocialWorker, TeamLead];
}

/// <summary>
/// The authenticated caller, from its bearer token: a worker, or a platform service acting for a region on behalf
/// of a worker (header <see cref="OnBehalfOfHeader"/>). Claims: "sub" (worker or service id), "role" (one or more of
/// <see cref="Roles"/>), "org" (organisation), "region" (the region a service or operator acts for).
/// </summary>
public sealed record Caller(string Id, IReadOnlySet<string> Roles, string Organisation, string? Region,
    string? OnBehalfOf, DateTimeOffset ExpiresAt, string Purpose)
{
    public const string OnBehalfOfHeader = "x-on-behalf-of";
    public const string PurposeHeader = "x-purpose";
    public const string DefaultPurpose = "care-coordination";

    public bool IsService => Has(Security.Roles.PlatformService);

    public bool Has(string role) => Roles.Contains(role);

    /// <summary>Who is recorded in timelines and acknowledgements: the worker, also when a platform service called
    /// for them.</summary>
    public string RecordedAs => OnBehalfOf ?? Id;

    /// <summary>The caller of this call. Every call to a carecoordination.v1 service is authenticated before it
    /// gets here.</summary>
    public static Caller Of(ServerCallContext context)
    {
        var http = context.GetHttpContext();
        if (http.Items.TryGetValue(typeof(Caller), out var known) && known is Caller caller) return caller;
        caller = From(http.User, context.RequestHeaders);
        http.Items[typeof(Caller)] = caller;
        return caller;
    }

    /// <summary>The actor of a write: see <see cref="RecordedAs"/>.</summary>
    public static string Actor(ServerCallContext context) => Of(context).RecordedAs;

    private static Caller From(ClaimsPrincipal user, Metadata headers)
    {
        var id = user.FindFirst("sub")?.Value;
        if (user.Identity?.IsAuthenticated != true || !Keys.IsValid(id))
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                "the bearer token must name its subject (claim sub)"));
        var roles = user.FindAll("role").Select(c => c.Value).Where(Security.Roles.All.Contains)
            .ToHashSet(StringComparer.Ordinal);
        var region = user.FindFirst("region")?.Value is { Length: > 0 } r && Keys.IsValid(r) ? r : null;
        var expires = long.TryParse(user.FindFirst("exp")?.Value, out var exp)
            ? DateTimeOffset.FromUnixTimeSeconds(exp)
            : DateTimeOffset.MaxValue;
        var onBehalfOf = headers.GetValue(OnBehalfOfHeader);
        if (onBehalfOf is not null) Keys.Require(onBehalfOf, OnBehalfOfHeader);
        if (onBehalfOf is not null && !roles.Contains(Security.Roles.PlatformService))
            throw CareCoordinationException.Invalid(OnBehalfOfHeader,
                $"only a platform service may send {OnBehalfOfHeader}");
        var purpose = headers.GetValue(PurposeHeader) ?? DefaultPurpose;
        Keys.Require(purpose, PurposeHeader);
        return new Caller(id!, roles, user.FindFirst("org")?.Value ?? "", region, onBehalfOf, expires, purpose);
    }
}
