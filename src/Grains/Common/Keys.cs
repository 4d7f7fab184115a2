using System.Text.RegularExpressions;

namespace CareCoordination.Common;

/// <summary>Rules for the opaque keys of clients, teams, programs, regions and workers.</summary>
public static partial class Keys
{
    // Opaque, URL- and log-safe identifiers; a name or a national id number would not fit, which is the point.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex KeyPattern();

    public static bool IsValid(string? key) => key is not null && KeyPattern().IsMatch(key);

    public static void Require(string? key, string field)
    {
        if (string.IsNullOrEmpty(key)) throw CareCoordinationException.Invalid(field, $"{field} is required");
        if (!IsValid(key))
            throw CareCoordinationException.Invalid(field,
                $"{field} must be 1-64 characters of letters, digits, '.', '_' or '-', "
                    + "starting with a letter or digit");
    }
}
