using CareCoordination.Common;
using Grpc.Core;

namespace CareCoordination.Gateway.Common;

/// <summary>
/// Who is making the call, as recorded in timelines and alert acknowledgements. Until authentication lands
/// this is the "x-worker-id" header (an opaque worker id); the authenticated subject will replace it.
/// </summary>
public static class Caller
{
    public const string Header = "x-worker-id";

    public static string Actor(ServerCallContext context)
    {
        var worker = context.RequestHeaders.GetValue(Header);
        if (string.IsNullOrEmpty(worker)) return "unidentified";
        Keys.Require(worker, Header);
        return worker;
    }
}
