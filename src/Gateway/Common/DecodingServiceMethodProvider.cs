using System.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Routing;

namespace CareCoordination.Gateway.Common;

/// <summary>
/// Binds the generated gRPC services the way Grpc.AspNetCore's own binder does, except that each request
/// deserializer turns bytes it cannot decode (corrupt or truncated protobuf, a string that is not UTF-8) into
/// INVALID_ARGUMENT. Grpc.AspNetCore decodes a request before any interceptor runs and answers UNKNOWN with a
/// stack trace in the log for a decoding failure; this is the one place deep enough to catch it. Grpc.AspNetCore
/// has no hook for it, so this small binder replaces its default one (registered in <see cref="GatewayApp"/>).
/// </summary>
public sealed class DecodingServiceMethodProvider<TService>(ILogger<DecodingServiceMethodProvider<TService>> logger)
    : IServiceMethodProvider<TService> where TService : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        var bind = typeof(TService).GetCustomAttribute<BindServiceMethodAttribute>(inherit: true);
        var bindMethod = bind?.BindType.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .FirstOrDefault(m => m.Name == bind.BindMethodName && m.GetParameters() is [var binder, _]
                && binder.ParameterType == typeof(ServiceBinderBase));
        if (bindMethod is null) return; // not a generated service: nothing to bind
        // Generated code adds each method with a null handler when given no implementation; the handler is the
        // service's.
        bindMethod.Invoke(null, [new Binder(context, logger), null]);
    }

    private sealed class Binder(ServiceMethodProviderContext<TService> context, ILogger logger) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method,
            UnaryServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Handler<UnaryServerMethod<TService, TRequest, TResponse>>(method.Name,
                typeof(TRequest), typeof(ServerCallContext));
            context.AddUnaryMethod(Decoding(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method,
            ServerStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Handler<ServerStreamingServerMethod<TService, TRequest, TResponse>>(method.Name,
                typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddServerStreamingMethod(Decoding(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method,
            ClientStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Handler<ClientStreamingServerMethod<TService, TRequest, TResponse>>(method.Name,
                typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext));
            context.AddClientStreamingMethod(Decoding(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method,
            DuplexStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Handler<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(method.Name,
                typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>),
                typeof(ServerCallContext));
            context.AddDuplexStreamingMethod(Decoding(method), metadata, invoker);
        }

        /// <summary>The service's method as an open delegate, with its metadata as Grpc.AspNetCore gathers
        /// it.</summary>
        private static (TDelegate Invoker, List<object> Metadata) Handler<TDelegate>(string name,
            params Type[] parameters)
            where TDelegate : Delegate
        {
            var handler = typeof(TService).GetMethod(name, BindingFlags.Public | BindingFlags.Instance, parameters)
                ?? throw new InvalidOperationException($"{typeof(TService).Name} has no method {name}");
            // Type attributes first and method attributes last, so the method's win (e.g. [AllowAnonymous]).
            var metadata = new List<object>(typeof(TService).GetCustomAttributes(inherit: true));
            metadata.AddRange(handler.GetCustomAttributes(inherit: true));
            metadata.Add(new HttpMethodMetadata(["POST"], acceptCorsPreflight: true));
            return ((TDelegate)Delegate.CreateDelegate(typeof(TDelegate), handler), metadata);
        }

        private Method<TRequest, TResponse> Decoding<TRequest, TResponse>(Method<TRequest, TResponse> method)
            where TRequest : class where TResponse : class
        {
            var decode = method.RequestMarshaller.ContextualDeserializer;
            var requestType = typeof(TRequest).Name;
            var marshaller = Marshallers.Create(method.RequestMarshaller.ContextualSerializer, context =>
            {
                try
                {
                    return decode(context);
                }
                catch (Exception ex) when (ex is not (RpcException or OperationCanceledException))
                {
                    // One line, no payload: the bytes may hold personal data.
                    logger.LogDebug("Undecodable {RequestType} for {Method}: {ExceptionType}", requestType,
                        method.FullName, ex.GetType().Name);
                    throw new RpcException(new Status(StatusCode.InvalidArgument,
                        $"the request could not be decoded as {requestType}: {Reason(ex)}; nothing was changed"));
                }
            });
            return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, marshaller,
                method.ResponseMarshaller);
        }

        private static string Reason(Exception ex) => ex switch
        {
            System.Text.DecoderFallbackException =>
                "a string field is not valid UTF-8 (e.g. a lone surrogate or a cut character)",
            Google.Protobuf.InvalidProtocolBufferException => "the protobuf bytes are truncated or malformed",
            _ => "the protobuf bytes are malformed",
        };
    }
}
