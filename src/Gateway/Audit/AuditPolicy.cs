using CareCoordination.Gateway.Security;
using Google.Protobuf;

namespace CareCoordination.Gateway.Audit;

/// <summary>The audit trail is read by auditors, and only by them: not by the workers it records, nor by
/// services.</summary>
public sealed class AuditPolicy : IAccessPolicy
{
    public On Kind => On.AuditTrail;

    public Task<AccessDecision> DecideAsync(Caller caller, Act act, string id, IMessage request,
        CancellationToken cancellationToken) =>
        Task.FromResult(act == Act.Read && caller.Has(Roles.Auditor)
            ? AccessDecision.Allow("auditor")
            : AccessDecision.Deny("the audit trail is for auditors"));
}
