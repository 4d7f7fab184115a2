using CareCoordination.CareGaps;
using CareCoordination.Silo;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CareCoordination.Tests.CareGaps;

/// <summary>Thresholds as an operator sets them: appsettings.json, then environment variables, bound as the silo binds them.</summary>
public sealed class ThresholdConfigurationTests
{
    [Fact]
    public void Overrides_layer_per_field_catalogue_defaults_region_program_through_appsettings_and_environment()
    {
        var region = TestKeys.New("south");
        var program = TestKeys.New("p");
        var file = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.json");
        File.WriteAllText(file, $$"""
            {
              "CareGaps": {
                "Defaults": { "NoRecentContact": "21.00:00:00", "Escalation": "1.00:00:00" },
                "Regions": { "{{region}}": { "NoRecentContact": "10.00:00:00" } },
                "Programs": { "{{program}}": { "ReferralNotAcknowledged": "1.00:00:00" } }
              }
            }
            """);
        // The environment adds one threshold to the region and one to the program; it changes nothing else.
        var regionVariable = $"CareGaps__Regions__{region}__MissedAppointments";
        var programVariable = $"CareGaps__Programs__{program}__ProgramWaitlistStalled";
        Environment.SetEnvironmentVariable(regionVariable, "3");
        Environment.SetEnvironmentVariable(programVariable, "5.00:00:00");
        CareGapOptions options;
        try
        {
            var configuration = new ConfigurationBuilder().AddJsonFile(file).AddEnvironmentVariables().Build();
            using var services = new ServiceCollection().AddCareGapOptions(configuration).BuildServiceProvider();
            options = services.GetRequiredService<IOptions<CareGapOptions>>().Value;
        }
        finally
        {
            Environment.SetEnvironmentVariable(regionVariable, null);
            Environment.SetEnvironmentVariable(programVariable, null);
            File.Delete(file);
        }

        var defaults = CareGapThresholds.Default with { NoRecentContact = TimeSpan.FromDays(21), Escalation = TimeSpan.FromDays(1) };
        Assert.Equal(defaults, options.ForRegion("elsewhere"));
        var inRegion = defaults with { NoRecentContact = TimeSpan.FromDays(10), MissedAppointments = 3 };
        Assert.Equal(inRegion, options.ForRegion(region));
        Assert.Equal(inRegion with { ReferralNotAcknowledged = TimeSpan.FromDays(1), ProgramWaitlistStalled = TimeSpan.FromDays(5) },
            options.ForProgram(program, region));
        Assert.Equal(defaults with { ReferralNotAcknowledged = TimeSpan.FromDays(1), ProgramWaitlistStalled = TimeSpan.FromDays(5) },
            options.ForProgram(program, "elsewhere"));
        // Untouched thresholds keep the catalogue's values all the way down.
        Assert.Equal(CareGapThresholds.Default.Reassessment, options.ForProgram(program, region).Reassessment);
    }
}
