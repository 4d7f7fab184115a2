using System.Text.RegularExpressions;

namespace CareCoordination.Common;

/// <summary>Rules for the opaque keys of clients, teams, programs, regions and workers.</summary>
public static partial class Keys
{
    // Opaque, URL- and log-safe identifiers; a name or a national id number would not fit, which is the point.
    // Anchored with \z, not $: .NET's $ also matches before a final newline, so "c-1\n" passed as a second "c-1".
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\\z")]
    private static partial Regex KeyPattern();

    // A referral's id is issued by the service: its person's key and a number, so it may be longer than a key.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\\.r[0-9]{1,18}\\z")]
    private static partial Regex ReferralPattern();

    public static bool IsValid(string? key) => key is not null && KeyPattern().IsMatch(key);

    /// <summary>The id of a person's <paramref name="number"/>th referral: "{clientId}.r{number}".</summary>
    public static string Referral(string clientId, long number) => $"{clientId}.r{number}";

    /// <summary>The person a referral id names ("{clientId}.r{number}"), or null if it is no referral id.</summary>
    public static string? ClientOfReferral(string? id) =>
        id is not null && ReferralPattern().IsMatch(id) ? id[..id.LastIndexOf(".r", StringComparison.Ordinal)] : null;

    public static void RequireReferral(string? id, string field)
    {
        if (string.IsNullOrEmpty(id)) throw CareCoordinationException.Invalid(field, $"{field} is required");
        if (!ReferralPattern().IsMatch(id))
            throw CareCoordinationException.Invalid(field,
                $"{field} must be a referral id as Refer returned it: {{client_id}}.r{{number}}");
    }

    public static void Require(string? key, string field)
    {
        if (string.IsNullOrEmpty(key)) throw CareCoordinationException.Invalid(field, $"{field} is required");
        if (!IsValid(key))
            throw CareCoordinationException.Invalid(field,
                $"{field} must be 1-64 characters of letters, digits, '.', '_' or '-', "
                    + "starting with a letter or digit");
    }
}
