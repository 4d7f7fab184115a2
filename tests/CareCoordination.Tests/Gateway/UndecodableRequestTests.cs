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
        await LoggedAtMostOneLineAndCreatedNothingAsync(clientId);
    }

    /// <summary>At most one line (the service's own, at Debug) without the payload or a stack trace, and no person
    /// created: the same client registers now as new.</summary>
    private async Task LoggedAtMostOneLineAndCreatedNothingAsync(string clientId)
    {
        var lines = _logs.Lines.Where(l => !l.Category.StartsWith("Orleans", StringComparison.Ordinal)
            && !l.Category.StartsWith("Microsoft.Orleans", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count <= 1, string.Join("\n", lines.Select(l => $"{l.Level} {l.Category}: {l.Text}")));
        Assert.DoesNotContain(lines, l => l.Text.Contains("Casa") || l.Text.Contains(clientId) || l.Text.Contains("   at "));
        await new Api.V1.Clients.ClientsClient(_channel).RegisterClientAsync(
            new RegisterClientRequest { RequestId = TestKeys.Request(), ClientId = clientId, Region = "north" }, GatewayFixture.As("cm-1"));
    }

    public static TheoryData<string, string> Framings => new()
    {
        { "a length prefix longer than the message", "long" },
        { "a length prefix shorter than the message", "short" },
        { "two messages in a unary call", "two" },
        { "an empty body", "empty" },
        { "a prefix cut short", "cut" },
        { "the compressed flag without grpc-encoding", "flag" },
        { "grpc-encoding gzip on bytes that are not gzip", "gzip" },
        { "a compressed flag of 7", "flag7" },
    };

    /// <summary>Framing as a hand-written or broken client library may send it: raw HTTP/2, not Grpc.Net.Client.</summary>
    [Theory]
    [MemberData(nameof(Framings))]
    public async Task A_badly_framed_request_is_INVALID_ARGUMENT_changes_nothing_and_logs_at_most_one_line(string because, string kind)
    {
        var clientId = TestKeys.New("c");
        var message = new RegisterClientRequest { RequestId = TestKeys.Request(), ClientId = clientId, Region = "north" }.ToByteArray();
        static byte[] Frame(byte flag, byte[] m, int? length = null)
        {
            var prefix = new byte[5];
            prefix[0] = flag;
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(prefix.AsSpan(1), length ?? m.Length);
            return [.. prefix, .. m];
        }
        var (body, encoding) = kind switch
        {
            "long" => (Frame(0, message, message.Length + 10), null),
            "short" => (Frame(0, message, message.Length - 3), null),
            "two" => ([.. Frame(0, message), .. Frame(0, message)], null),
            "empty" => ([], null),
            "cut" => (new byte[] { 0, 0, 0 }, null),
            "flag" => (Frame(1, message), null),
            "gzip" => (Frame(1, message), "gzip"),
            _ => (Frame(7, message), (string?)null),
        };
        _logs.Lines.Clear();

        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{_app.Addresses().Single()}/carecoordination.v1.Clients/RegisterClient")
        {
            Content = new ByteArrayContent(body), Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = new("application/grpc");
        request.Headers.TE.Add(new("trailers"));
        request.Headers.Authorization = new("Bearer", GatewayFixture.Token("cm-1"));
        if (encoding is not null) request.Headers.Add("grpc-encoding", encoding);
        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        string? Answer(string name) => response.Headers.TryGetValues(name, out var v) || response.TrailingHeaders.TryGetValues(name, out v)
            ? Uri.UnescapeDataString(v.Single()) : null;

        Assert.True(Answer("grpc-status") == "3",
            $"{because}: HTTP {(int)response.StatusCode}/{response.Version}, grpc-status {Answer("grpc-status")} {Answer("grpc-message")}");
        Assert.Contains("could not be decoded", Answer("grpc-message"));
        await LoggedAtMostOneLineAndCreatedNothingAsync(clientId);
    }

    [Fact]
    public async Task A_well_framed_compressed_request_still_works()
    {
        // The framing check reads the body before gRPC does: gRPC must still get all of it.
        var channel = GrpcChannel.ForAddress(_app.Addresses().Single(), new GrpcChannelOptions
            { CompressionProviders = [new Grpc.Net.Compression.GzipCompressionProvider(System.IO.Compression.CompressionLevel.Fastest)] });
        var headers = GatewayFixture.As("cm-1");
        headers.Add("grpc-internal-encoding-request", "gzip");
        var clientId = TestKeys.New("c");
        var answer = await new Api.V1.Clients.ClientsClient(channel).RegisterClientAsync(new RegisterClientRequest
            { RequestId = TestKeys.Request(), ClientId = clientId, Region = "north", Profile = new Profile { PreferredLanguage = "es" } }, headers);
        Assert.Equal(clientId, answer.Client.ClientId);
        channel.Dispose();
    }
}
