using System.Net;
using System.Net.Sockets;

namespace CareCoordination.Tests;

/// <summary>Loopback ports for the processes and hosts the tests start.</summary>
public static class TestPorts
{
    /// <summary>A port the system reports free now.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// A base b such that b+1..b+count are free now, below Linux's ephemeral range (32768 and up), so outgoing
    /// connections of other processes do not take them between the check and the start.
    /// </summary>
    public static int FreeBlock(int count)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var b = Random.Shared.Next(20000, 32768 - count - 1);
            if (Enumerable.Range(b + 1, count).All(IsFree)) return b;
        }
        throw new InvalidOperationException($"no block of {count} free loopback ports below 32768");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException) { return false; }
    }
}
