using System.Net;
using CareCoordination.Gateway.Security;
using CareCoordination.Silo.Operations;
using Orleans.Dashboard;

namespace CareCoordination.Gateway.Hosting;

/// <summary>
/// The Orleans dashboard's pages and API under <see cref="Path"/>, on their own port ("Dashboard:Url", default
/// http://127.0.0.1:5082), for callers whose bearer token has the role <see cref="Roles.ClusterOperator"/>. A browser
/// signs in once by opening <c>/dashboard/?access_token=&lt;token&gt;</c>: the token moves into an HTTP-only cookie
/// and the address loses it. Two of the dashboard's views are closed because they show people, not the cluster: a
/// grain's stored state (a client's record) and the reminder list (reminders are named by grain, a client's id).
/// </summary>
public static class OrleansDashboard
{
    public const string Path = "/dashboard";
    private const string Cookie = "care-dashboard";
    private const string QueryToken = "access_token";
    private static readonly string[] Closed = [$"{Path}/GrainState", $"{Path}/Reminders"];

    public static IPEndPoint Endpoint(IConfiguration configuration) =>
        Management.Endpoint(configuration["Dashboard:Url"] is { Length: > 0 } url ? url : "http://127.0.0.1:5082")!;

    /// <summary>The bearer token of a dashboard request that sent no authorization header: from the sign-in link or
    /// the cookie.</summary>
    public static string? Token(HttpRequest request) =>
        !request.Path.StartsWithSegments(Path) || request.Headers.Authorization.Count > 0 ? null
            : request.Query[QueryToken] is { Count: 1 } fromLink ? fromLink.ToString()
            : request.Cookies[Cookie];

    public static void MapCareCoordinationDashboard(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path;
            if (!path.StartsWithSegments(Path)) { await next(context); return; }
            // its pages load relative to the folder
            if (path == Path) { context.Response.Redirect($"{Path}/"); return; }
            if (Closed.Any(c => path.StartsWithSegments(c)))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsync("Closed: this view shows people's records, not the cluster.");
                return;
            }
            if (context.Request.Query.ContainsKey(QueryToken) && context.User.IsInRole(Roles.ClusterOperator))
            {
                // Signed in by link: keep the token in a cookie only this site's requests send, and drop it from the
                // address.
                var expires = long.TryParse(context.User.FindFirst("exp")?.Value, out var exp)
                    ? DateTimeOffset.FromUnixTimeSeconds(exp)
                    : (DateTimeOffset?)null;
                context.Response.Cookies.Append(Cookie, context.Request.Query[QueryToken].ToString(),
                    new CookieOptions
                    {
                        HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = context.Request.IsHttps,
                        Path = Path, Expires = expires,
                    });
                var query = QueryString.Create(context.Request.Query.Where(q => q.Key != QueryToken));
                context.Response.Redirect($"{context.Request.PathBase}{path}{query}");
                return;
            }
            await next(context);
        });
        app.MapOrleansDashboard(Path).RequireAuthorization(p => p.RequireRole(Roles.ClusterOperator));
    }
}
