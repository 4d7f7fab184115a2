namespace CareCoordination.Benchmarks;

/// <summary>The figures of one run, each with its unit and its ratio to the no-op measured in the same run.</summary>
public sealed class Report(int callers, TimeSpan phase)
{
    private readonly List<string> _lines = [];
    private readonly List<string> _notes = [];
    private Measured? _anchor;

    public void Anchor(Measured noop)
    {
        _anchor = noop;
        Add(noop);
    }

    /// <summary>The anchor measured by h2load, for the figures h2load measures.</summary>
    public Measured? H2LoadAnchor { get; set; }

    public void Add(Measured m, string? note = null, Measured? anchor = null)
    {
        anchor ??= _anchor;
        var ratio = anchor is null || m.Name.StartsWith("alert latency", StringComparison.Ordinal) ? "" : $"{m.PerSecond / anchor.PerSecond:0.000}";
        Line(m.Name, m.ToString() + (note is null ? "" : $"  ({note})"), ratio);
        Console.Error.WriteLine($"  measured: {m.Name}: {m}");
    }

    public void Line(string name, string value, string ratio) => _lines.Add($"| {name} | {value} | {ratio} |");

    public void Note(string note)
    {
        _notes.Add(note);
        Console.Error.WriteLine($"  {note}");
    }

    public void Print()
    {
        Console.WriteLine($"Care coordination benchmark, {DateTime.UtcNow:u}: nproc {Environment.ProcessorCount}, .NET {Environment.Version}, " +
                          $"{callers} calls in flight, {phase.TotalSeconds:0} s a phase after a 2 s warm-up, loopback h2c");
        foreach (var n in _notes) Console.WriteLine($"- {n}");
        Console.WriteLine();
        Console.WriteLine("| measure | value | ÷ no-op |");
        Console.WriteLine("|---|---|---:|");
        foreach (var l in _lines) Console.WriteLine(l);
    }
}
