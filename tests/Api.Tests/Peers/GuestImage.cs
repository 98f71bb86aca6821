using System.Diagnostics;

namespace CharWeb.Api.Tests.Peers;

/// <summary>
/// What a real Linux guest boots from: Debian's kernel from <c>/boot</c> and a busybox initramfs built
/// here, whose <c>/init</c> runs a shell on ttyS0 with ttyS0 as its controlling terminal.
/// </summary>
public sealed record GuestImage(string Kernel, string KernelRelease, string Initramfs)
{
    public const string Prompt = "guest# ";

    private const string Busybox = "/bin/busybox";
    private const string Packages = "apt-get install -y --no-install-recommends linux-image-cloud-amd64 busybox-static cpio (.ci/run does)";

    private const string Init = """
        #!/bin/sh
        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        mount -t devtmpfs devtmpfs /dev
        # The boot log ends here: a later printk line would land in the middle of what the test reads.
        dmesg -n 1
        export PATH=/bin HOME=/ PS1='guest# ' COLUMNS=250
        # setsid + cttyhack make ttyS0 the shell's controlling terminal, so Ctrl-C reaches its jobs.
        exec setsid cttyhack sh

        """;

    /// <summary>Finds the kernel (failing, not skipping, when there is none to read) and builds the initramfs in <paramref name="folder"/>.</summary>
    public static async Task<GuestImage> BuildAsync(string folder)
    {
        var kernel = FindKernel();
        Assert.True(File.Exists(Busybox), $"{Busybox} is missing: {Packages}");

        var root = Directory.CreateDirectory(Path.Combine(folder, "root"));
        foreach (var dir in new[] { "bin", "dev", "proc", "sys", "tmp" })
        {
            root.CreateSubdirectory(dir);
        }

        File.Copy(Busybox, Path.Combine(root.FullName, "bin", "busybox"));
        // busybox --install -s, done here: one symlink per applet next to the binary.
        foreach (var applet in (await RunAsync(Busybox, "--list", root.FullName)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (applet != "busybox")
            {
                File.CreateSymbolicLink(Path.Combine(root.FullName, "bin", applet), "busybox");
            }
        }

        var init = Path.Combine(root.FullName, "init");
        await File.WriteAllTextAsync(init, Init.ReplaceLineEndings("\n"), CharWebServer.Timeout());

        var initramfs = Path.Combine(folder, "initramfs.cpio.gz");
        await RunAsync("bash", $"-c \"set -o pipefail; chmod 755 init && find . | cpio -o -H newc --quiet | gzip -1 > '{initramfs}'\"", root.FullName);
        var release = Path.GetFileName(kernel)["vmlinuz-".Length..];
        return new GuestImage(kernel, release, initramfs);
    }

    /// <summary>The cloud kernel if there is one, else the newest <c>/boot/vmlinuz-*</c>; a clear failure when none can be read.</summary>
    private static string FindKernel()
    {
        var kernels = Directory.Exists("/boot") ? Directory.GetFiles("/boot", "vmlinuz-*") : [];
        var kernel = kernels
            .OrderByDescending(k => k.EndsWith("-cloud-amd64", StringComparison.Ordinal))
            .ThenByDescending(k => k, StringComparer.Ordinal)
            .FirstOrDefault();
        Assert.True(kernel is not null, $"no /boot/vmlinuz-* to boot: {Packages}");
        try
        {
            using var readable = File.OpenRead(kernel);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            Assert.Fail($"{kernel} cannot be read ({ex.Message}): the guest test needs a readable kernel");
        }

        return kernel;
    }

    private static async Task<string> RunAsync(string program, string arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(program, arguments) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var output = process.StandardOutput.ReadToEndAsync(CharWebServer.Timeout());
        var error = process.StandardError.ReadToEndAsync(CharWebServer.Timeout());
        await process.WaitForExitAsync(CharWebServer.Timeout());
        Assert.True(process.ExitCode == 0, $"{program} {arguments} exited {process.ExitCode}: {await error} ({Packages})");
        return await output;
    }
}
