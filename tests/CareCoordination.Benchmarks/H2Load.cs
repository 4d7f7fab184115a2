using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Google.Protobuf;

namespace CareCoordination.Benchmarks;

/// <summary>
/// The same unary call driven by h2load (nghttp2-client), a load generator in C that takes far less CPU than the
/// .NET client: on a 2-core machine the driver shares the cores with the server, so a lighter driver shows more of
/// the server's own speed. A fixed request body per process, so only for reads. Skipped when h2load is not
/// installed.
/// </summary>
public static partial class H2Load
{
    public static bool Installed => File.Exists("/usr/bin/h2load");

    /// <summary>
    /// One h2load process per request body, run at once, their rates summed: h2load sends one fixed body, so reading
    /// several people (as a platform does) takes one process each. <paramref name="streams"/> calls in flight in all.
    /// </summary>
    public static async Task<Measured?> RunAsync(string name, int port, string path, IReadOnlyList<IMessage> requests,
        string? bearer, TimeSpan duration, int streams)
    {
        if (!Installed) return null;
        var bodies = new List<string>();
        try
        {
            foreach (var request in requests)
            {
                var message = request.ToByteArray();
                var frame = new byte[5 + message.Length]; // gRPC framing: uncompressed flag, big-endian length, message
                frame[1] = (byte)(message.Length >> 24); frame[2] = (byte)(message.Length >> 16);
                frame[3] = (byte)(message.Length >> 8); frame[4] = (byte)message.Length;
                message.CopyTo(frame, 5);
                await RequireOkAsync(port, path, frame, bearer);
                var body = Path.GetTempFileName();
                bodies.Add(body);
                await File.WriteAllBytesAsync(body, frame);
            }
            var connections = Math.Max(1, 4 / bodies.Count);
            var perConnection = Math.Max(1, streams / (bodies.Count * connections));
            var runs = await Task.WhenAll(bodies.Select(body =>
                RunOneAsync(port, path, body, bearer, duration, connections, perConnection)));
            var total = runs.Sum(r => r.PerSecond);
            return new Measured(name, total, runs.Sum(r => r.MeanMs * r.PerSecond) / total, double.NaN, double.NaN,
                runs.Sum(r => r.Failed), "HTTP failures");
        }
        finally
        {
            foreach (var body in bodies) File.Delete(body);
        }
    }

    private static async Task<(double PerSecond, double MeanMs, int Failed)> RunOneAsync(int port, string path,
        string body, string? bearer, TimeSpan duration, int connections, int perConnection)
    {
        var psi = new ProcessStartInfo("h2load") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-D", ((int)duration.TotalSeconds).ToString(), "--warm-up-time=2", "-t", "1",
                     "-c", connections.ToString(), "-m", perConnection.ToString(), "-d", body,
                     "-H", "content-type: application/grpc", "-H", "te: trailers" })
            psi.ArgumentList.Add(a);
        if (bearer is not null) { psi.ArgumentList.Add("-H"); psi.ArgumentList.Add($"authorization: Bearer {bearer}"); }
        psi.ArgumentList.Add($"http://127.0.0.1:{port}{path}");
        using var h2load = Process.Start(psi)!;
        var output = await h2load.StandardOutput.ReadToEndAsync();
        await h2load.WaitForExitAsync();
        var rate = Finished().Match(output);
        var failed = Failed().Match(output);
        if (!rate.Success) throw new InvalidOperationException($"h2load: {output}");
        return (double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture), Ms(MeanTime().Match(output)),
            failed.Success ? int.Parse(failed.Groups[1].Value) : 0);
    }

    /// <summary>
    /// h2load counts every HTTP 200 as a success, and a refused gRPC call is an HTTP 200 too (its status is in the
    /// trailers): the same request is sent once first and must answer OK, or the run would measure refusals.
    /// </summary>
    private static async Task RequireOkAsync(int port, string path, byte[] frame, string? bearer)
    {
        using var http = new HttpClient(new SocketsHttpHandler());
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}{path}")
        {
            Version = System.Net.HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(frame),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (bearer is not null) request.Headers.TryAddWithoutValidation("authorization", $"Bearer {bearer}");
        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        var status = response.TrailingHeaders.TryGetValues("grpc-status", out var t) ? t.First()
            : response.Headers.TryGetValues("grpc-status", out var h) ? h.First() : "none";
        if (status != "0")
            throw new InvalidOperationException(
                $"{path} answers grpc-status {status}, not OK: h2load would measure refusals");
    }

    private static double Ms(Match mean) => !mean.Success ? double.NaN
        : double.Parse(mean.Groups[1].Value, CultureInfo.InvariantCulture) * (mean.Groups[2].Value == "us" ? 0.001 : mean.Groups[2].Value == "s" ? 1000 : 1);

    [GeneratedRegex(@"finished in [\d.]+s, ([\d.]+) req/s")]
    private static partial Regex Finished();

    [GeneratedRegex(@"requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed")]
    private static partial Regex Failed();

    [GeneratedRegex(@"time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)")]
    private static partial Regex MeanTime();
}
