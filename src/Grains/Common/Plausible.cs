namespace CareCoordination.Common;

/// <summary>
/// The windows of time the service accepts, relative to the care clock's now. A date outside them is a typing or
/// conversion error (year 1, the Unix epoch, 9999-12-31 as "never"), refused before it can open or hide a gap.
/// The same windows are stated in the .proto comments and the README.
/// </summary>
public static class Plausible
{
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Year = TimeSpan.FromDays(365);

    /// <summary>Something that happened (a contact): within the last 5 years, and not ahead of now by more than clock
    /// skew.</summary>
    public static DateTimeOffset Past(DateTimeOffset value, DateTimeOffset now, string field)
    {
        if (value > now + ClockSkew) throw CareCoordinationException.Invalid(field, $"{field} cannot be in the future");
        if (value < now - 5 * Year)
            throw CareCoordinationException.Invalid(field, $"{field} must be within the last 5 years");
        return value;
    }

    /// <summary>Something still to come (an appointment, an expiry, a review): after now and at most
    /// <paramref name="years"/> ahead.</summary>
    public static DateTimeOffset Future(DateTimeOffset value, DateTimeOffset now, string field, int years)
    {
        if (value <= now) throw CareCoordinationException.Invalid(field, $"{field} must be in the future");
        if (value > now + years * Year)
            throw CareCoordinationException.Invalid(field, $"{field} must be at most {years} years ahead");
        return value;
    }

    /// <summary>A goal's target date: from a year ago (a goal carried over from an earlier plan) to 10 years
    /// ahead.</summary>
    public static DateTimeOffset Target(DateTimeOffset value, DateTimeOffset now, string field)
    {
        if (value < now - Year || value > now + 10 * Year)
            throw CareCoordinationException.Invalid(field, $"{field} must be between a year ago and 10 years ahead");
        return value;
    }
}
