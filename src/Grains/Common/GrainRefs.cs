using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace CareCoordination.Common;

/// <summary>
/// Grain references, made once and reused. Orleans 10's <c>GetGrain&lt;T&gt;(key)</c> reads the interface's attributes
/// on every call to find its grain type, and every new reference builds its proxy's argument copiers through the
/// service provider: together about 10 % of a gateway's CPU under load (profiled). A reference is immutable and
/// thread-safe, so each factory keeps the ones it made, up to <see cref="Kept"/> per interface (then starts again:
/// a bound, not an LRU, because a miss only costs the work Orleans would have done anyway).
/// </summary>
public static class GrainRefs
{
    public const int Kept = 20_000;

    public static T Ref<T>(this IGrainFactory grains, string key) where T : IGrainWithStringKey
    {
        var kept = Types<T>.Kept.GetValue(grains, _ => new ConcurrentDictionary<string, T>(StringComparer.Ordinal));
        if (kept.TryGetValue(key, out var known)) return known;
        var made = Types<T>.Resolved is { } t
            ? (T)grains.GetGrain(GrainId.Create(t.Grain, key), t.Interface)
            : Types<T>.Resolve(grains.GetGrain<T>(key));
        if (kept.Count >= Kept) kept.Clear();
        kept[key] = made;
        return made;
    }

    public static T Ref<T>(this IGrainFactory grains, long key) where T : IGrainWithIntegerKey =>
        Types<T>.Resolved is { } t
            ? (T)grains.GetGrain(GrainId.Create(t.Grain, GrainIdKeyExtensions.CreateIntegerKey(key)), t.Interface)
            : Types<T>.Resolve(grains.GetGrain<T>(key));

    private sealed record Resolution(GrainType Grain, GrainInterfaceType Interface);

    private static class Types<T>
    {
        // A reference, so threads see either nothing or the whole pair. The mapping is the same in every runtime of
        // the process (same assemblies); references are not: each belongs to the runtime of its factory.
        public static Resolution? Resolved;
        public static readonly ConditionalWeakTable<IGrainFactory, ConcurrentDictionary<string, T>> Kept = new();

        public static T Resolve(T reference)
        {
            var r = (GrainReference)(object)reference!;
            Resolved = new Resolution(r.GrainId.Type, r.InterfaceType);
            return reference;
        }
    }
}
