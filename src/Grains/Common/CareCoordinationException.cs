namespace CareCoordination.Common;

/// <summary>What went wrong, in the terms a caller can act on. The gateway maps each kind to a gRPC status.</summary>
public enum ErrorKind
{
    InvalidArgument,
    NotFound,
    AlreadyExists,
    FailedPrecondition,
    PermissionDenied,
}

/// <summary>
/// A rule of the domain refused a request. It crosses grain boundaries, so it carries only the kind,
/// the field it concerns and a message naming the problem — never personal data.
/// </summary>
[GenerateSerializer, Alias("cc.error")]
public sealed class CareCoordinationException : Exception
{
    public CareCoordinationException(ErrorKind kind, string field, string message) : base(message)
    {
        Kind = kind;
        Field = field;
    }

    [Id(0)] public ErrorKind Kind { get; init; }
    [Id(1)] public string Field { get; init; }

    public static CareCoordinationException Invalid(string field, string message) =>
        new(ErrorKind.InvalidArgument, field, message);
    public static CareCoordinationException NotFound(string field, string message) =>
        new(ErrorKind.NotFound, field, message);
    public static CareCoordinationException Exists(string field, string message) =>
        new(ErrorKind.AlreadyExists, field, message);
    public static CareCoordinationException Precondition(string field, string message) =>
        new(ErrorKind.FailedPrecondition, field, message);
}
