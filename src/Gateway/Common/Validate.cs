using CareCoordination.Common;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace CareCoordination.Gateway.Common;

/// <summary>Checks of request fields. Each failure is INVALID_ARGUMENT naming the field, before anything
/// changes.</summary>
public static partial class Validate
{
    public const int MaxPageSize = 200;
    public const int DefaultPageSize = 50;
    // The range google.protobuf.Timestamp allows: 0001-01-01 to 9999-12-31.
    private const long MinSeconds = -62135596800;
    private const long MaxSeconds = 253402300799;

    public static string Key(string value, string field)
    {
        Keys.Require(value, field);
        return value;
    }

    /// <summary>A referral id as the service issued it (longer than a key: the person's key and a number).</summary>
    public static string ReferralId(string value, string field)
    {
        Keys.RequireReferral(value, field);
        return value;
    }

    public static string? OptionalKey(string value, string field) =>
        string.IsNullOrEmpty(value) ? null : Key(value, field);

    public static string Text(string value, string field, int max, bool required = true)
    {
        if (required && string.IsNullOrWhiteSpace(value)) throw Invalid(field, $"{field} is required");
        if (value.Length > max) throw Invalid(field, $"{field} must be at most {max} characters");
        // Line and paragraph separators break lines like control characters do, in a front end and in an export.
        if (value.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029'))
            throw Invalid(field, $"{field} must not contain control characters or line separators");
        // Whitespace and invisible format characters (a zero-width space) alone are no text.
        if (required && value.All(c => char.IsWhiteSpace(c)
                || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format))
            throw Invalid(field, $"{field} is required: it has no visible character");
        // Bidi embeddings, overrides and isolates make text display as something else than it is (U+202E reverses
        // what follows); zero-width joiners stay allowed: emoji and several scripts need them.
        if (value.Any(c => c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069'))
            throw Invalid(field, $"{field} must not contain bidirectional override characters");
        return value.Trim();
    }

    /// <summary>A BCP 47 language tag (RFC 5646 well-formed: language, script, region, variants, extensions, private
    /// use).</summary>
    public static string LanguageTag(string value, string field)
    {
        if (value.Length > 35 || !LanguageTagPattern().IsMatch(value))
            throw Invalid(field, $"{field} must be a BCP 47 language tag such as es, ar-MA, zh-Hant or uk");
        return value;
    }

    [System.Text.RegularExpressions.GeneratedRegex(
        "^[A-Za-z]{2,3}(-[A-Za-z]{3}){0,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?"
        + "(-([A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
        + "(-[0-9A-WYZa-wyz](-[A-Za-z0-9]{2,8})+)*(-x(-[A-Za-z0-9]{1,8})+)?\\z|^x(-[A-Za-z0-9]{1,8})+\\z")]
    private static partial System.Text.RegularExpressions.Regex LanguageTagPattern();

    public static T Enum<T>(T value, string field, bool allowZero = false) where T : struct, System.Enum
    {
        var number = Convert.ToInt32(value);
        if (!System.Enum.IsDefined(value)) throw Invalid(field, $"{field} has unknown value {number}");
        if (!allowZero && number == 0) throw Invalid(field, $"{field} must be set");
        return value;
    }

    public static int Range(int value, string field, int min, int max)
    {
        if (value < min || value > max) throw Invalid(field, $"{field} must be between {min} and {max}");
        return value;
    }

    public static DateTimeOffset Time(Timestamp? value, string field) =>
        OptionalTime(value, field) ?? throw Invalid(field, $"{field} is required");

    public static DateTimeOffset? OptionalTime(Timestamp? value, string field)
    {
        if (value is null) return null;
        if (value.Nanos is < 0 or > 999_999_999 || value.Seconds < MinSeconds || value.Seconds > MaxSeconds)
            throw Invalid(field, $"{field} is not a valid timestamp");
        return value.ToDateTimeOffset();
    }

    /// <summary>
    /// A duration within (0, <paramref name="max"/>], or null if absent. The range is checked on the exact value:
    /// Duration.ToTimeSpan() throws on values a TimeSpan cannot hold (an INTERNAL otherwise), and drops what is finer
    /// than its 100 ns ticks (1 ns became 0, past the "more than 0" rule). A fraction of a tick counts as a tick.
    /// </summary>
    public static TimeSpan? OptionalDuration(Duration? value, string field, TimeSpan max)
    {
        if (value is null) return null;
        if (value.Nanos is <= -1_000_000_000 or >= 1_000_000_000 || (value.Seconds > 0 && value.Nanos < 0)
            || (value.Seconds < 0 && value.Nanos > 0))
            throw Invalid(field, $"{field} is not a valid duration");
        var nanoseconds = (Int128)value.Seconds * 1_000_000_000 + value.Nanos;
        if (nanoseconds <= 0 || nanoseconds > (Int128)max.Ticks * 100)
            throw Invalid(field, $"{field} must be more than 0 and at most {max.TotalDays:0} days");
        return TimeSpan.FromTicks((long)((nanoseconds + 99) / 100));
    }

    public static int PageSize(int value, string field = "page_size")
    {
        if (value == 0) return DefaultPageSize;
        return Range(value, field, 1, MaxPageSize);
    }

    /// <summary>The idempotency key of a write: the request_id plus a fingerprint of the call and everything else
    /// in the request.</summary>
    public static WriteRequest Write<T>(T request) where T : IMessage<T>
    {
        var field = request.Descriptor.FindFieldByName("request_id")
            ?? throw new InvalidOperationException($"{request.Descriptor.Name} has no request_id");
        var requestId = (string)field.Accessor.GetValue(request);
        if (string.IsNullOrEmpty(requestId))
            throw Invalid("request_id", "request_id is required: choose a unique id per write and reuse it on retry");
        // Visible ASCII only: no spaces, control, zero-width or bidi characters that make two ids look alike.
        if (requestId.Length > 128 || requestId.Any(c => c is < '!' or > '~'))
            throw Invalid("request_id",
                "request_id must be 1-128 visible ASCII characters (e.g. a UUID), without spaces");
        var copy = request.Clone();
        field.Accessor.Clear(copy);
        return WriteRequest.OfCall(requestId, request.Descriptor.FullName, Convert.ToBase64String(copy.ToByteArray()));
    }

    public static CareCoordinationException Invalid(string field, string message) =>
        CareCoordinationException.Invalid(field, message);
}
