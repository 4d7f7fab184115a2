namespace CareCoordination.Common;

/// <summary>
/// Grain references without per-call reflection. Orleans 10's <c>GetGrain&lt;T&gt;(key)</c> resolves the interface's
/// grain type by reading its attributes on every call (about 5 % of a gateway's CPU under load, profiled); the
/// mapping never changes in a process, so it is resolved once per interface here and the reference is built from
/// the grain id, which is what Orleans does after that lookup.
/// </summary>
public static class GrainRefs
{
    public static T Ref<T>(this IGrainFactory grains, string key) where T : IGrainWithStringKey =>
        Types<T>.Resolved is { } t
            ? (T)grains.GetGrain(GrainId.Create(t.Grain, key), t.Interface)
            : Types<T>.Resolve(grains.GetGrain<T>(key));

    public static T Ref<T>(this IGrainFactory grains, long key) where T : IGrainWithIntegerKey =>
        Types<T>.Resolved is { } t
            ? (T)grains.GetGrain(GrainId.Create(t.Grain, GrainIdKeyExtensions.CreateIntegerKey(key)), t.Interface)
            : Types<T>.Resolve(grains.GetGrain<T>(key));

    private sealed record Resolution(GrainType Grain, GrainInterfaceType Interface);

    private static class Types<T>
    {
        // A reference, so threads see either nothing or the whole pair.
        public static Resolution? Resolved;

        public static T Resolve(T reference)
        {
            var r = (GrainReference)(object)reference!;
            Resolved = new Resolution(r.GrainId.Type, r.InterfaceType);
            return reference;
        }
    }
}
