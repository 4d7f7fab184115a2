using CareCoordination.Common;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Orleans.Runtime;
using Orleans.Storage;

namespace CareCoordination.Gateway.Common;

/// <summary>
/// Turns what went wrong behind the gateway into the gRPC status a caller can act on. Refusals of the domain
/// name their field; faults of the cluster or storage are UNAVAILABLE (retry with the same request_id);
/// only a genuine bug is INTERNAL, and its message carries no data, only a trace id to find it in logs.
/// </summary>
public sealed class ErrorMappingInterceptor(ILogger<ErrorMappingInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request,
        ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try { return await continuation(request, context); }
        catch (Exception ex) when (ex is not RpcException) { throw Map(ex, context); }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try { await continuation(request, responseStream, context); }
        catch (Exception ex) when (ex is not RpcException) { throw Map(ex, context); }
    }

    private RpcException Map(Exception ex, ServerCallContext context)
    {
        var status = ToStatus(ex, context);
        if (status.StatusCode == StatusCode.Internal)
            // The exception type and stack only: messages of unexpected exceptions may quote data.
            logger.LogError("Unexpected {ExceptionType} in {Method}: {StackTrace}", ex.GetType().FullName,
                context.Method, ex.StackTrace);
        else if (status.StatusCode == StatusCode.Unavailable)
            logger.LogWarning("{Method} unavailable: {ExceptionType}", context.Method, ex.GetType().FullName);
        else
            // An expected refusal is the caller's to fix, not the service's: Debug, without the detail (it quotes ids).
            logger.LogDebug("{Method} refused: {StatusCode}", context.Method, status.StatusCode);
        return new RpcException(status);
    }

    public static Status ToStatus(Exception ex, ServerCallContext context)
    {
        switch (ex)
        {
            case CareCoordinationException c:
                return new Status(c.Kind switch
                {
                    ErrorKind.InvalidArgument => StatusCode.InvalidArgument,
                    ErrorKind.NotFound => StatusCode.NotFound,
                    ErrorKind.AlreadyExists => StatusCode.AlreadyExists,
                    ErrorKind.FailedPrecondition => StatusCode.FailedPrecondition,
                    ErrorKind.PermissionDenied => StatusCode.PermissionDenied,
                    _ => StatusCode.InvalidArgument,
                }, NameField(c));
            case OperationCanceledException when context.Deadline <= DateTime.UtcNow:
                return new Status(StatusCode.DeadlineExceeded,
                    "the deadline passed before the call completed; retry with the same request_id");
            case OperationCanceledException:
                return new Status(StatusCode.Cancelled, "the call was cancelled");
            case TimeoutException:
            case SiloUnavailableException:
            case OrleansMessageRejectionException:
            case GatewayTooBusyException:
            case InconsistentStateException:
            case StorageUnavailableException:
            case System.Data.Common.DbException:      // the database is down or refused: nothing was acknowledged
            case System.Net.Sockets.SocketException:
            case IOException:
            // An exception type this process cannot deserialize came from inside the cluster: in practice a storage
            // driver's (Npgsql, SQLite). Known .NET exceptions (a bug's NullReferenceException) still reach INTERNAL.
            case Orleans.Serialization.UnavailableExceptionFallbackException:
                return Unavailable();
            case OrleansException when ex.InnerException is not null:
                // The runtime's wrapper says nothing itself: what it wraps decides (a bug inside stays INTERNAL).
                return ToStatus(ex.InnerException, context);
            default:
                return ex.InnerException is { } inner2
                        && ToStatus(inner2, context) is { StatusCode: not StatusCode.Internal } s
                    ? s
                    : new Status(StatusCode.Internal,
                        $"internal error (trace {System.Diagnostics.Activity.Current?.TraceId.ToString() ?? "none"})");
        }
    }

    /// <summary>Every refusal names the field it concerns, so a caller knows what to fix.</summary>
    private static string NameField(CareCoordinationException c) =>
        string.IsNullOrEmpty(c.Field) || c.Message.Contains(c.Field, StringComparison.Ordinal)
            ? c.Message
            : $"{c.Field}: {c.Message}";

    private static Status Unavailable() =>
        new(StatusCode.Unavailable, "the service is temporarily unavailable; retry with the same request_id");
}
