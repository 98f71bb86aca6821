using CharWeb.Engine.Consoles;

namespace CharWeb.Engine.Backends;

/// <summary>What mux and hub share: their children must exist, be distinct, and are held by one parent only.</summary>
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

    /// <summary>QEMU lets one frontend use a chardev: so does CharWeb, through claims.</summary>
    public static IEnumerable<BackendClaim> Claims(IReadOnlyList<string>? ids) =>
        (ids ?? []).OfType<string>().Distinct().Select(id => new BackendClaim("chardevs", ChardevRegistry.ChildClaim(id)));
}
