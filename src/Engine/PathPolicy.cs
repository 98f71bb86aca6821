namespace CharWeb.Engine;

/// <summary>
/// Where chardevs may read and write files. Relative paths resolve under the data folder; a path
/// that leaves every allowed folder is refused, so a REST caller cannot reach the whole disk.
/// </summary>
public sealed class PathPolicy
{
    private readonly IReadOnlyList<string> _roots;

    public PathPolicy(string dataDir, IEnumerable<string>? extraRoots = null)
    {
        DataDir = Path.GetFullPath(dataDir);
        _roots = (extraRoots ?? []).Select(r => Path.GetFullPath(Path.Combine(DataDir, r))).Prepend(DataDir).ToList();
    }

    public string DataDir { get; }

    /// <summary>The full path, or an error for <paramref name="field"/> saying why not.</summary>
    public string? Resolve(string field, string? path, ICollection<FieldError> errors)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            errors.Add(new FieldError(field, "is required"));
            return null;
        }

        if (path.Any(char.IsControl))
        {
            errors.Add(new FieldError(field, "must not contain control characters"));
            return null;
        }

        var full = Path.GetFullPath(Path.Combine(DataDir, path));
        if (full.EndsWith(Path.DirectorySeparatorChar))
        {
            errors.Add(new FieldError(field, "names a folder, not a file"));
            return null;
        }

        if (Path.GetDirectoryName(full) == DataDir && Path.GetFileName(full).StartsWith(Persistence.ChardevDatabase.FileName, StringComparison.Ordinal))
        {
            errors.Add(new FieldError(field, $"'{path}' is CharWeb's own database"));
            return null;
        }

        if (!_roots.Any(root => IsUnder(full, root)))
        {
            errors.Add(new FieldError(field, $"'{path}' is outside the allowed folders ({string.Join(", ", _roots)})"));
            return null;
        }

        return full;
    }

    /// <summary>For a path already validated: its full form.</summary>
    public string FullPath(string path) => Path.GetFullPath(Path.Combine(DataDir, path));

    private static bool IsUnder(string full, string root) =>
        full.StartsWith(root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
