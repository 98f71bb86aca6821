using System.Diagnostics;
using System.Text.RegularExpressions;

namespace CharWeb.Api.Tests.Peers;

/// <summary>A real <c>qemu-system-x86_64</c>: <c>-M none</c> with its monitor on a socket chardev, or a Linux guest with its serial port on one.</summary>
public sealed partial class Qemu : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Lock _lock = new();
    private readonly System.Text.StringBuilder _errors = new();

    private Qemu(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_lock)
            {
                _errors.AppendLine(e.Data);
            }
        };
        _process.BeginErrorReadLine();
    }

    /// <summary>The version that <c>qemu-system-x86_64 --version</c> prints, e.g. <c>7.2.22</c>.</summary>
    public static async Task<string> VersionAsync()
    {
        using var process = Process.Start(new ProcessStartInfo("qemu-system-x86_64", "--version") { RedirectStandardOutput = true })!;
        var output = await process.StandardOutput.ReadToEndAsync(CharWebServer.Timeout());
        await process.WaitForExitAsync(CharWebServer.Timeout());
        return Version().Match(output).Groups["v"].Value;
    }

    /// <summary>QEMU with its monitor on <c>-chardev socket,...</c> (<paramref name="chardev"/> is what follows <c>socket,id=mon0,</c>).</summary>
    public static Qemu StartMonitor(string chardev) =>
        Start("-M", "none", "-nodefaults", "-display", "none", "-chardev", "socket,id=mon0," + chardev, "-mon", "chardev=mon0,mode=readline");

    /// <summary>
    /// Boots <paramref name="image"/> under TCG with ttyS0 on <c>-chardev socket,...</c> (<paramref name="chardev"/> is what
    /// follows <c>socket,id=s0,</c>). No default devices and no display: the serial port is the only way in or out.
    /// </summary>
    public static Qemu StartGuest(GuestImage image, string chardev) =>
        Start(
            "-accel", "tcg", "-nodefaults", "-display", "none", "-no-reboot", "-m", "256",
            "-kernel", image.Kernel, "-initrd", image.Initramfs, "-append", "console=ttyS0 panic=-1",
            "-chardev", "socket,id=s0," + chardev, "-serial", "chardev:s0");

    public bool HasExited => _process.HasExited;

    /// <summary>What QEMU has written to its standard error so far.</summary>
    public string Errors
    {
        get
        {
            lock (_lock)
            {
                return _errors.ToString();
            }
        }
    }

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

    private static Qemu Start(params string[] args)
    {
        var start = new ProcessStartInfo("qemu-system-x86_64") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new Qemu(Process.Start(start) ?? throw new InvalidOperationException("qemu did not start"));
    }

    [GeneratedRegex(@"version (?<v>\d+\.\d+\.\d+)")]
    private static partial Regex Version();
}
