using CareCoordination.Api.V1;
using CareCoordination.Gateway.Hosting;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace CareCoordination.Tests.Gateway;

/// <summary>
/// Bytes a platform's client library may really send: invalid UTF-8, a lone surrogate, truncated or corrupt
/// protobuf. Sent raw, as an independent client would, not through this project's generated client.
/// </summary>
public sealed class UndecodableRequestTests : IAsyncLifetime
{
    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(b => b, b => b);
    private readonly LogCapture _logs = new();
    private WebApplication _app = null!;
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        // Logging as shipped (appsettings.json, Information), to see what an operator would see.
        _app = await GatewayFixture.StartAsync(new FakeTimeProvider(DateTimeOffset.UtcNow), new() { ["Storage:Provider"] = "Memory" }, b =>
        {
            b.Logging.SetMinimumLevel(LogLevel.Information);
            b.Logging.AddProvider(_logs);
        });
        _channel = GrpcChannel.ForAddress(_app.Addresses().Single());
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static byte[] WithString(string field, byte[] utf8, string clientId)
    {
        var d = RegisterClientRequest.Descriptor;
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        void Str(string name, byte[] value)
        {
            output.WriteTag(d.FindFieldByName(name).FieldNumber, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(value));
        }
        Str("request_id", "req-undecodable"u8.ToArray());
        Str("client_id", field == "client_id" ? utf8 : System.Text.Encoding.UTF8.GetBytes(clientId));
        Str("region", field == "region" ? utf8 : "north"u8.ToArray());
        output.Flush();
        return buffer.ToArray();
    }

    public static TheoryData<string, string> Cases => new()
    {
        { "invalid UTF-8 (61 FF FE) in client_id", "utf8" },
        { "a lone UTF-16 surrogate cut from an emoji, in region", "surrogate" },
        { "protobuf cut in the middle of a field", "truncated" },
        { "bytes that are not protobuf", "corrupt" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task An_undecodable_request_is_INVALID_ARGUMENT_changes_nothing_and_logs_at_most_one_line(string because, string kind)
    {
        var clientId = TestKeys.New("c");
        byte[] body = kind switch
        {
            "utf8" => WithString("client_id", [0x61, 0xFF, 0xFE], clientId),
            // "Casa 🏠" cut after the high surrogate, as a UTF-16 library encodes a lone surrogate (ED A0 BD).
            "surrogate" => WithString("region", [.. "Casa "u8.ToArray(), 0xED, 0xA0, 0xBD], clientId),
            "truncated" => WithString("region", "north"u8.ToArray(), clientId)[..^3],
            _ => [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7A],
        };
        _logs.Lines.Clear();

        var method = new Method<byte[], byte[]>(MethodType.Unary, "carecoordination.v1.Clients", "RegisterClient", Raw, Raw);
        var error = await Assert.ThrowsAsync<RpcException>(() => _channel.CreateCallInvoker()
            .AsyncUnaryCall(method, null, new CallOptions(GatewayFixture.As("cm-1")), body).ResponseAsync);

        Assert.True(error.StatusCode == StatusCode.InvalidArgument, $"{because}: {error.StatusCode} {error.Status.Detail}");
        Assert.Contains("could not be decoded", error.Status.Detail);
        var lines = _logs.Lines.Where(l => !l.Category.StartsWith("Orleans", StringComparison.Ordinal)
            && !l.Category.StartsWith("Microsoft.Orleans", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count <= 1, string.Join("\n", lines.Select(l => $"{l.Level} {l.Category}: {l.Text}")));
        Assert.DoesNotContain(lines, l => l.Text.Contains("Casa") || l.Text.Contains(clientId) || l.Text.Contains("   at "));

        // Nothing was created: the same client registers now as new.
        await new Api.V1.Clients.ClientsClient(_channel).RegisterClientAsync(
            new RegisterClientRequest { RequestId = TestKeys.Request(), ClientId = clientId, Region = "north" }, GatewayFixture.As("cm-1"));
    }
}
