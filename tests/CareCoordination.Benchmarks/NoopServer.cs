using CareCoordination.Benchmarks.Noop;
using Grpc.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace CareCoordination.Benchmarks;

/// <summary>
/// The anchor every figure is divided by: a bare Grpc.AspNetCore server whose one method returns at once, on the same
/// Kestrel settings as the gateway (h2c, HTTP/2 only, loopback) and the same server GC, in a process of its own.
/// </summary>
public static class NoopServer
{
    public static async Task RunAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var app = builder.Build();
        app.MapGrpcService<NoopService>();
        await app.RunAsync();
    }

    private sealed class NoopService : Noop.Noop.NoopBase
    {
        public override Task<Pong> Call(Ping request, ServerCallContext context) => Task.FromResult(new Pong { ClientId = request.ClientId });
    }
}
