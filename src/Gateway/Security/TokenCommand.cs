using CareCoordination.Gateway.Hosting;
using CareCoordination.Common;
using Microsoft.Extensions.Logging.Abstractions;

namespace CareCoordination.Gateway.Security;

/// <summary>
/// <c>dotnet run --project src/Gateway -- token --sub cm-ana --role case_manager [--role team_lead] --org city
/// [--region north] [--hours 8]</c>: prints a bearer token signed with the gateway's local key (the development
/// key the embedded mode makes on first start, or "Auth:SigningKey"). For local use and tests: a real region's
/// tokens come from its identity provider.
/// </summary>
public static class TokenCommand
{
    public static int Run(string[] args)
    {
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var subject = Value("--sub");
        var roles = args.Select((a, i) => (a, i)).Where(x => x.a == "--role" && x.i + 1 < args.Length)
            .Select(x => args[x.i + 1]).ToList();
        var unknown = roles.Where(r => !Roles.All.Contains(r)).ToList();
        if (!Keys.IsValid(subject) || roles.Count == 0 || unknown.Count > 0)
        {
            Console.Error.WriteLine("usage: token --sub <worker or service id> --role <role> [--role <role>...] " +
                                    "--org <organisation> [--region <region>] [--hours <1-24>]");
            Console.Error.WriteLine($"roles: {string.Join(", ", Roles.All)}" +
                                    (unknown.Count > 0 ? $" (unknown: {string.Join(", ", unknown)})" : ""));
            return 2;
        }
        var hours = 8.0;
        if (Value("--hours") is { } given
            && !(double.TryParse(given, System.Globalization.CultureInfo.InvariantCulture, out hours)
                && hours is > 0 and <= 24))
        {
            // Said, not silently replaced by 8: a token that lives longer or shorter than asked surprises later.
            Console.Error.WriteLine($"--hours must be a number of hours above 0 and at most 24, not '{given}'");
            return 2;
        }
        if (Value("--region") is { } region && !Keys.IsValid(region))
        {
            Console.Error.WriteLine("--region must be 1-64 letters, digits, '.', '_' or '-'");
            return 2;
        }
        // The same configuration the gateway reads, so the token is signed with the key it checks.
        var settings = args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=')).ToArray();
        var configuration = new ConfigurationBuilder().SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true).AddEnvironmentVariables().AddCommandLine(settings).Build();
        var key = GatewaySecrets.SigningKey(configuration, NullLogger.Instance);
        Console.WriteLine(Authentication.Mint(key, subject!, roles, Value("--org") ?? "", Value("--region"),
            TimeSpan.FromHours(hours),
            Authentication.Issuer(configuration), Authentication.Audience(configuration)));
        return 0;
    }
}
