using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Pipelines;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace CareCoordination.Gateway.Common;

/// <summary>
/// Checks the gRPC framing of a request that carries one message (every call of this API: unary or server
/// streaming) before Grpc.AspNetCore reads it. A length prefix longer or shorter than the body, a second message, an
/// empty body, an unknown compressed flag, a compressed flag without grpc-encoding or a gzip body that does not
/// decompress are bad input: INVALID_ARGUMENT "the request could not be decoded", one Debug line, nothing changed.
/// Grpc.AspNetCore answers these INTERNAL, or UNKNOWN with an Error-level stack trace (a bad gzip body), and has no
/// hook for them: <see cref="DecodingServiceMethodProvider{TService}"/> only sees a message once it is framed.
/// The body is peeked, not consumed: gRPC reads the same bytes after. Bodies larger than <see cref="Peeked"/> go
/// unchecked (Kestrel holds at most a flow-control window of a request that nobody reads; this API's requests are
/// far smaller).
/// </summary>
public sealed class RequestFraming(RequestDelegate next, IOptions<GrpcServiceOptions> options,
    ILogger<RequestFraming> logger)
{
    private const int Peeked = 32 * 1024;
    private const int Prefix = 5;

    public async Task InvokeAsync(HttpContext context)
    {
        var grpc = context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>();
        if (grpc?.Method.Type is not (MethodType.Unary or MethodType.ServerStreaming))
        {
            await next(context);
            return;
        }
        var reader = context.Request.BodyReader;
        ReadResult read;
        while (true)
        {
            read = await reader.ReadAsync(context.RequestAborted);
            if (read.IsCompleted || read.IsCanceled || read.Buffer.Length > Peeked) break;
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
        var problem = read.IsCompleted ? Problem(read.Buffer, context.Request.Headers["grpc-encoding"]) : null;
        reader.AdvanceTo(read.Buffer.Start); // nothing consumed, nothing examined: gRPC reads it all again
        if (problem is null)
        {
            await next(context);
            return;
        }
        // One line, no payload: the bytes may hold personal data.
        logger.LogDebug("Badly framed request for {Method}: {Problem}", grpc.Method.FullName, problem);
        // A trailers-only answer, as gRPC gives when it fails before any message.
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = ((int)StatusCode.InvalidArgument).ToString();
        context.Response.Headers["grpc-message"] =
            Uri.EscapeDataString($"the request could not be decoded: {problem}; nothing was changed");
    }

    /// <summary>What is wrong with the framing of one message, or null if nothing is (or gRPC will say, such as
    /// an encoding it does not support or a message too large).</summary>
    private string? Problem(ReadOnlySequence<byte> body, StringValues encoding)
    {
        if (body.Length < Prefix)
            return body.Length == 0 ? "the body holds no message" : "the message's 5-byte gRPC prefix is cut short";
        Span<byte> prefix = stackalloc byte[Prefix];
        body.Slice(0, Prefix).CopyTo(prefix);
        var declared = BinaryPrimitives.ReadUInt32BigEndian(prefix[1..]);
        var actual = body.Length - Prefix;
        if (prefix[0] > 1) return $"the compressed flag is {prefix[0]}, not 0 or 1";
        if (declared > actual) return "the message is shorter than its length prefix says";
        if (declared < actual) return "bytes follow the message (a second message, or a wrong length prefix)";
        if (prefix[0] == 0) return null;
        var name = encoding.ToString();
        if (name.Length == 0 || name == "identity")
            return "the message is flagged compressed but no grpc-encoding is set";
        return name == "gzip" && !Decompresses(body.Slice(Prefix)) ? "the gzip message does not decompress" : null;
    }

    /// <summary>Whether a gzip message decompresses, read up to the size gRPC accepts (past it, gRPC refuses it
    /// RESOURCE_EXHAUSTED).</summary>
    private bool Decompresses(ReadOnlySequence<byte> message)
    {
        var limit = options.Value.MaxReceiveMessageSize ?? int.MaxValue;
        var sink = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            using var gzip = new GZipStream(new MemoryStream(message.ToArray()), CompressionMode.Decompress);
            long total = 0;
            for (int n; total <= limit && (n = gzip.Read(sink)) > 0;) total += n;
            return true;
        }
        catch (InvalidDataException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sink);
        }
    }
}
