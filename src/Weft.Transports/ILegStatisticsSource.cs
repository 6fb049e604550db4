namespace Weft.Transports;

/// <summary>
/// A stream carried by several connections (legs) at once that can report them, e.g. a <c>stripe:N</c>
/// bundle. Hosts find it anywhere in a connection's layer stack with
/// <see cref="TransportConnection.FindLayerStream{T}"/>, so they can show legs without knowing the layer.
/// </summary>
public interface ILegStatisticsSource
{
    /// <summary>A snapshot of every leg, in leg order. Thread-safe, cheap.</summary>
    /// <returns>One entry per leg.</returns>
    IReadOnlyList<LegStatistics> GetLegStatistics();
}
