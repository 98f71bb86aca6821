using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using CharWeb.Api.Tests.Hubs;

namespace CharWeb.Api.Tests.Peers;

/// <summary>
/// A real Linux guest (Debian's kernel, a busybox initramfs built by the test, QEMU under TCG) whose serial
/// port is a CharWeb socket chardev, used through a SignalR console as a person would.
/// </summary>
public sealed partial class LinuxGuestTests
{
    // od -An -tx1 -v writes 49 bytes ("  xx" * 16, then NL) for every 16 bytes in: 21,400 lines are just over 1 MiB.
    private const int FloodInputBytes = 21_400 * 16;
    private const int FloodOutputBytes = 21_400 * 49;

    [Fact]
    public async Task ConsoleSeesTheKernelBannerThenAShellPromptThatRunsCommands()
    {
        await using var guest = await LinuxGuest.BootAsync();
        Log($"booted to the prompt in {guest.BootTime.TotalSeconds:F1} s");
        Assert.True(guest.BannerAt < guest.PromptEnd);

        // The typed line holds neither answer, so finding them proves the guest computed them.
        var at = await guest.TypeAsync("echo $((6*7)); uname -r");
        var answer = $"\r\n42\r\n{guest.Image.KernelRelease}\r\n{GuestImage.Prompt}";
        await guest.WaitForTextAsync(answer, at);
    }

    [Fact]
    public async Task AMegabyteOfOdOutputThroughTheUartReachesTheConsoleWithNoByteLost()
    {
        await using var guest = await LinuxGuest.BootAsync();

        // Random data, so the only way to match the guest's digest is to carry every byte in order.
        var at = await guest.TypeAsync($"head -c {FloodInputBytes} /dev/urandom | od -An -tx1 -v >/tmp/o");
        await guest.WaitForTextAsync(GuestImage.Prompt, at, seconds: 60);
        at = await guest.TypeAsync("echo =$((1))= $(wc -c </tmp/o) $(sha256sum </tmp/o)");
        var said = await guest.WaitForTextAsync("=1= ", at);
        var end = await guest.WaitForTextAsync(GuestImage.Prompt, said);
        var sent = Sent().Match(guest.Text(said, end));
        Assert.True(sent.Success, $"the guest's count and digest: {guest.Text(said, end)}");
        var count = int.Parse(sent.Groups["count"].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(FloodOutputBytes, count);

        // -opost: the tty sends NL as NL, so what arrives is the file byte for byte.
        var clock = Stopwatch.StartNew();
        at = await guest.TypeAsync("stty -opost; echo =$((2))=; cat /tmp/o; echo =$((3))=; stty opost");
        var begin = await guest.WaitForTextAsync("=2=\n", at) + "=2=\n".Length;
        var done = await guest.WaitForTextAsync("=3=\n", begin, seconds: 60);
        Log($"{count:N0} bytes from the guest's UART to the console in {clock.Elapsed.TotalSeconds:F1} s");
        await guest.WaitForTextAsync(GuestImage.Prompt, done);

        var received = guest.Console.Bytes().AsSpan(begin, done - begin);
        Assert.Equal(count, received.Length);
        Assert.Equal(sent.Groups["sha256"].Value, Convert.ToHexStringLower(SHA256.HashData(received)));
        Assert.DoesNotContain(guest.Console.Events, e => e.Kind == "overrun");
        var consoles = await HubConsole.ListAsync(guest.Server, LinuxGuest.Id);
        Assert.Equal(0, Assert.Single(consoles)!["bytesLost"]!.GetValue<long>());
        Assert.Equal(0, (await guest.Server.GetAsync(LinuxGuest.Id))["stats"]!["outputDropped"]!.GetValue<long>());
    }

    [Fact]
    public async Task CtrlCFromTheConsoleInterruptsYesAndTheShellAnswersAgain()
    {
        await using var guest = await LinuxGuest.BootAsync();

        var at = await guest.TypeAsync("yes");
        // Well into the flood: the tty, the UART and CharWeb all hold output of yes when Ctrl-C goes in.
        await guest.WaitForTextAsync("y\r\ny\r\ny\r\n", at);
        await guest.Console.WaitForReceivedAsync(at + (16 << 10), CharWebServer.Timeout());
        var interrupted = await guest.WriteAsync([0x03]);
        var prompt = await guest.WaitForTextAsync(GuestImage.Prompt, interrupted);

        // The shell prompts only once yes is gone; d""one is typed, done is the answer.
        at = await guest.TypeAsync("echo d\"\"one");
        await guest.WaitForTextAsync("\r\ndone\r\n" + GuestImage.Prompt, at);
        at = await guest.TypeAsync("echo $((6*7))");
        var last = await guest.WaitForTextAsync("\r\n42\r\n" + GuestImage.Prompt, at);
        var after = guest.Text(prompt, last);
        Assert.DoesNotContain("y\r\n", after, StringComparison.Ordinal);
    }

    private static void Log(string message) => TestContext.Current.TestOutputHelper?.WriteLine(message);

    [GeneratedRegex(@"^=1= (?<count>\d+) (?<sha256>[0-9a-f]{64})\s", RegexOptions.Multiline)]
    private static partial Regex Sent();
}
