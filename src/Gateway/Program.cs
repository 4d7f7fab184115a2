using CareCoordination.Gateway.Demo;
using CareCoordination.Gateway.Hosting;
using CareCoordination.Gateway.Security;

if (args.Contains("demo"))
{
    return await DemoCommand.RunAsync(args.Where(a => a != "demo").ToArray());
}
if (args.FirstOrDefault() == "token")
{
    return TokenCommand.Run(args[1..]);
}

var app = GatewayApp.Build(args);
app.Lifetime.ApplicationStarted.Register(() =>
    Console.WriteLine($"Care coordination gateway listening on {string.Join(", ", app.Addresses())} (gRPC over "
        + $"HTTP/2; calls need a bearer token: see README). Ctrl+C stops it."));
await app.RunAsync();
return 0;

/// <summary>Visible to tests (WebApplicationFactory-style hosting uses the entry point's assembly).</summary>
public partial class Program;
