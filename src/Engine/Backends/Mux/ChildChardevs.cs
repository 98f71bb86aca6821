using CharWeb.Engine.Consoles;

namespace CharWeb.Engine.Backends;

/// <summary>What mux and hub share: their children must exist, be distinct, and are held by one parent only; a hub holds no hub or mux.</summary>
internal static class ChildChardevs
{
    public static IEnumerable<FieldError> Validate(IReadOnlyList<string>? ids, BackendContext context)
    {
        if (ids is null || ids.Any(id => id is null))
        {
            yield return new FieldError("chardevs", "must be a list of chardev ids");
            yield break;
        }

        if (ids.Count == 0)
        {
            yield return new FieldError("chardevs", "must name at least one chardev");
            yield break;
        }

        foreach (var duplicate in ids.GroupBy(id => id).Where(g => g.Count() > 1))
        {
            yield return new FieldError("chardevs", $"names '{duplicate.Key}' more than once");
        }

        foreach (var id in ids.Distinct())
        {
            if (context.Chardevs is not { } chardevs || !chardevs.TryGet(id, out _))
            {
                yield return new FieldError("chardevs", $"no chardev is named '{id}'");
            }
        }
    }

    /// <summary>
    /// QEMU's <c>char-hub.c</c> rule: a hub's children are neither hubs nor muxes ("multiplexers and
    /// hub devices can't be stacked"). A mux over a hub stays allowed, as QEMU's <c>mux=on</c> on a hub is.
    /// </summary>
    public static IEnumerable<FieldError> ValidateHubChildren(IReadOnlyList<string>? ids, BackendContext context)
    {
        for (var i = 0; i < (ids?.Count ?? 0); i++)
        {
            // A repeated id is reported once, as a duplicate, by Validate.
            if (ids![i] is { } id && !ids.Take(i).Contains(id) && context.Chardevs?.TryGet(id, out var child) == true && StackedKind(child.Definition.Backend) is { } kind)
            {
                yield return new FieldError($"chardevs[{i}]", $"chardev '{id}' is a {kind}: a hub's children cannot be hubs or muxes ({StackingRule})");
            }
        }
    }

    /// <summary>Attaches the parent to each child as a console, in order.</summary>
    public static List<ChildConsole> Attach(IReadOnlyList<string> ids, BackendContext context, string parent, Action<ChildConsole, byte[]> output) =>
        ids.Select(id => new ChildConsole(context.Chardevs!.Get(id), parent, output)).ToList();

    public static async Task DetachAsync(IEnumerable<ChildConsole> children)
    {
        foreach (var child in children)
        {
            await child.DisposeAsync();
        }
    }

    private const string StackingRule = "QEMU: multiplexers and hub devices can't be stacked";

    private static string? StackedKind(BackendOptions? options) => options switch
    {
        HubBackendOptions => "hub",
        MuxBackendOptions => "mux",
        _ => null,
    };

    /// <summary>QEMU lets one frontend use a chardev: so does CharWeb, through claims.</summary>
    public static IEnumerable<BackendClaim> Claims(IReadOnlyList<string>? ids) =>
        (ids ?? []).OfType<string>().Distinct().Select(id => new BackendClaim("chardevs", ChardevRegistry.ChildClaim(id)));

    /// <summary>
    /// A hub's hold on its children, which no hub or mux may be: checked by the registry in the
    /// same step as the claim, so a child cannot turn into a hub while its hub is being made.
    /// </summary>
    public static IEnumerable<BackendClaim> HubClaims(IReadOnlyList<string>? ids) =>
        Claims(ids).Concat((ids ?? []).OfType<string>().Distinct().Select(id => new BackendClaim("chardevs", HubChildClaim(id))
        {
            Excludes = (StackedClaim(id), $"chardev '{id}' is a hub or a mux: a hub's children cannot be hubs or muxes ({StackingRule})"),
        }));

    /// <summary>What a mux or hub holds of itself: no hub may hold it as a child.</summary>
    public static BackendClaim SelfClaim(string id) => new("type", StackedClaim(id))
    {
        Excludes = (HubChildClaim(id), $"chardev '{id}' is a child of a hub and cannot become a hub or a mux ({StackingRule})"),
    };

    private static string HubChildClaim(string id) => "hub-child:" + id;

    private static string StackedClaim(string id) => "stacked:" + id;
}
