using System.Diagnostics;
using System.Text.RegularExpressions;

namespace CharWeb.Api.Tests.Peers;

/// <summary>A real <c>qemu-system-x86_64 -M none</c> whose monitor is on a socket chardev.</summary>
public sealed partial class Qemu : IAsyncDisposable
{
    private readonly Process _process;

    private Qemu(Process process) => _process = process;

    /// <summary>The version that <c>qemu-system-x86_64 --version</c> prints, e.g. <c>7.2.22</c>.</summary>
    public static async Task<string> VersionAsync()
    {
        using var process = Process.Start(new ProcessStartInfo("qemu-system-x86_64", "--version") { RedirectStandardOutput = true })!;
        var output = await process.StandardOutput.ReadToEndAsync(CharWebServer.Timeout());
        await process.WaitForExitAsync(CharWebServer.Timeout());
        return Version().Match(output).Groups["v"].Value;
    }

    /// <summary>QEMU with its monitor on <c>-chardev socket,...</c> (<paramref name="chardev"/> is what follows <c>socket,id=mon0,</c>).</summary>
    public static Qemu StartMonitor(string chardev)
    {
        var start = new ProcessStartInfo("qemu-system-x86_64") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-M", "none", "-nodefaults", "-display", "none", "-chardev", "socket,id=mon0," + chardev, "-mon", "chardev=mon0,mode=readline" })
        {
            start.ArgumentList.Add(arg);
        }

        return new Qemu(Process.Start(start) ?? throw new InvalidOperationException("qemu did not start"));
    }

    public bool HasExited => _process.HasExited;

    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync(CharWebServer.Timeout());
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    [GeneratedRegex(@"version (?<v>\d+\.\d+\.\d+)")]
    private static partial Regex Version();
}
