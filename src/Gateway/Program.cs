using CareCoordination.Gateway.Demo;
using CareCoordination.Gateway.Hosting;

if (args.Contains("demo"))
{
    return await DemoCommand.RunAsync(args.Where(a => a != "demo").ToArray());
}

var app = GatewayApp.Build(args);
app.Lifetime.ApplicationStarted.Register(() =>
    Console.WriteLine($"Care coordination gateway listening on {string.Join(", ", app.Addresses())} (gRPC over HTTP/2, plaintext loopback). Ctrl+C stops it."));
await app.RunAsync();
return 0;

/// <summary>Visible to tests (WebApplicationFactory-style hosting uses the entry point's assembly).</summary>
public partial class Program;
