using System.Text;
using CharWeb.Engine.Consoles;

namespace CharWeb.Engine.Backends;

/// <summary>
/// QEMU <c>char-mux.c</c> for a browser: consoles of the mux see the focused child's output and type
/// into it; <c>C-a c</c> focuses the next child, <c>C-a h</c> prints help, <c>C-a b</c> sends a break,
/// <c>C-a t</c> toggles timestamps, <c>C-a x</c> is ignored (there is no emulator to quit here),
/// <c>C-a C-a</c> sends a literal C-a. Each writer (console, REST caller) has its own escape state;
/// the focus is shared.
/// </summary>
public sealed class MuxBackend(MuxBackendOptions options, BackendContext context) : ChardevBackend
{
    private List<ChildConsole> _children = [];
    private readonly Lock _lock = new();
    private readonly PendingEscapes _escapes = new();
    private int _focus;
    private bool _timestamps;
    private bool _lineStart = true;
    private DateTimeOffset _timestampsSince;

    public static BackendKind Kind { get; } = BackendKind.Create<MuxBackendOptions>(
        "One console switched between child chardevs with QEMU's escapes (C-a c next, C-a h help, C-a b break, C-a t timestamps, C-a C-a literal).",
        (o, c) => ChildChardevs.Validate(o.Chardevs, c),
        (o, c) => new MuxBackend(o, c),
        (o, _) => ChildChardevs.Claims(o.Chardevs));

    public override string Filename => "mux:" + string.Join(",", options.Chardevs);

    private byte Escape => (byte)options.EscapeChar;

    private string EscapeName => $"C-{(char)('a' + options.EscapeChar - 1)}";

    public override ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        _children = ChildChardevs.Attach(options.Chardevs, context, Filename, OnChildOutput);
        SetState(ChardevState.Open);
        return ValueTask.CompletedTask;
    }

    public override ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        WriteAsync(data, InputSource.Anonymous, cancellationToken);

    /// <summary>
    /// QEMU's <c>mux_proc_byte</c>, with the escape state kept per writer: QEMU's mux has one
    /// terminal, a browser mux many, and one console's trailing C-a must not make another's next key a command.
    /// </summary>
    public override async ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, InputSource source, CancellationToken cancellationToken)
    {
        var escaped = _escapes.Take(source);
        var forward = new List<byte>(data.Length);
        for (var i = 0; i < data.Length; i++)
        {
            var b = data.Span[i];
            if (!escaped && b == Escape)
            {
                escaped = true;
                continue;
            }

            if (!escaped)
            {
                forward.Add(b);
                continue;
            }

            escaped = false;
            switch ((char)b)
            {
                case var _ when b == Escape:
                    forward.Add(b);
                    break;
                case 'c':
                    await FlushAsync(forward, source, cancellationToken);
                    SwitchFocus();
                    break;
                case 'h':
                    Say(Help());
                    break;
                case 'b':
                    await FlushAsync(forward, source, cancellationToken);
                    await Focused.SendBreakAsync(cancellationToken);
                    break;
                case 't':
                    _timestamps = !_timestamps;
                    _timestampsSince = context.Time.GetUtcNow();
                    Say($"\r\n[timestamps {(_timestamps ? "on" : "off")}]\r\n");
                    break;
                case 'x':
                    Say($"\r\n[{EscapeName} x ignored: CharWeb has no emulator to quit]\r\n");
                    break;
                default:
                    // QEMU passes an unknown escape on; so does CharWeb.
                    forward.Add(Escape);
                    forward.Add(b);
                    break;
            }
        }

        if (escaped)
        {
            _escapes.Add(source);
        }

        await FlushAsync(forward, source, cancellationToken);
        return data.Length;
    }

    public override ValueTask<bool> SendBreakAsync(CancellationToken cancellationToken) => Focused.SendBreakAsync(cancellationToken);

    public override void Resize(int cols, int rows) => Focused.Resize(cols, rows);

    public override async ValueTask DisposeAsync()
    {
        await ChildChardevs.DetachAsync(_children);
        await base.DisposeAsync();
    }

    private Chardev Focused => _children[_focus].Child;

    private async Task FlushAsync(List<byte> bytes, InputSource source, CancellationToken cancellationToken)
    {
        if (bytes.Count > 0)
        {
            // The same writer on the child: a mux below this one keeps its escapes apart too.
            await Focused.WriteAsync(bytes.ToArray(), source, cancellationToken);
            bytes.Clear();
        }
    }

    private void SwitchFocus()
    {
        lock (_lock)
        {
            _focus = (_focus + 1) % _children.Count;
        }

        Say($"\r\n[{Focused.Id}]\r\n");
    }

    private string Help()
    {
        var e = EscapeName;
        return $"\r\n{e} h    print this help\r\n{e} x    (ignored: no emulator to quit)\r\n{e} t    toggle console timestamps\r\n" +
               $"{e} b    send break\r\n{e} c    switch to the next chardev ({string.Join(", ", options.Chardevs)})\r\n{e} {e}  sends {e}\r\n";
    }

    private void OnChildOutput(ChildConsole child, byte[] data)
    {
        lock (_lock)
        {
            if (!ReferenceEquals(child, _children[_focus]))
            {
                return;
            }

            Output(_timestamps ? Stamp(data) : data);
        }
    }

    /// <summary>QEMU's mux timestamps: <c>[hh:mm:ss.mmm] </c> of time since they were turned on, at each line start.</summary>
    private byte[] Stamp(byte[] data)
    {
        var stamped = new List<byte>(data.Length + 16);
        foreach (var b in data)
        {
            if (_lineStart)
            {
                var t = context.Time.GetUtcNow() - _timestampsSince;
                stamped.AddRange(Encoding.ASCII.GetBytes($"[{(int)t.TotalHours:00}:{t.Minutes:00}:{t.Seconds:00}.{t.Milliseconds:000}] "));
            }

            stamped.Add(b);
            _lineStart = b == '\n';
        }

        return [.. stamped];
    }

    private void Say(string text) => Output(Encoding.ASCII.GetBytes(text));
}
