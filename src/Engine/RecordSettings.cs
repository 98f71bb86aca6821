namespace CharWeb.Engine;

/// <summary>How a chardev's recording is bounded: its size before rotation, and the rotated files kept (from its definition).</summary>
internal sealed record RecordSettings(long MaxBytes, int MaxFiles)
{
    public static RecordSettings Of(ChardevDefinition definition) => new(definition.RecordMaxBytes, definition.RecordMaxFiles);
}
