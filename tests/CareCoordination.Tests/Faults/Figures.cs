using Xunit.Abstractions;

namespace CareCoordination.Tests.Faults;

/// <summary>
/// Measured figures of the fault tests: to the test output and to .ci/out/figures.txt, which .ci/run prints
/// (dotnet test shows a passing test's output only at detailed verbosity).
/// </summary>
public static class Figures
{
    private static readonly object Gate = new();

    public static void Report(ITestOutputHelper output, string line)
    {
        output.WriteLine(line);
        var file = Path.Combine(LocalClusterFixture.RepoRoot(), ".ci", "out", "figures.txt");
        lock (Gate)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.AppendAllText(file, $"{DateTime.UtcNow:u} {line}{Environment.NewLine}");
        }
    }
}
