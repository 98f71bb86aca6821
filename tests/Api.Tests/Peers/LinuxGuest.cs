using System.Diagnostics;
using System.Text;
using CharWeb.Api.Tests.Hubs;
using Microsoft.AspNetCore.SignalR.Client;

namespace CharWeb.Api.Tests.Peers;

/// <summary>
/// A real Linux guest: <see cref="GuestImage"/> booted in QEMU with ttyS0 on a CharWeb socket chardev, watched
/// and typed into by one hub console, as a person at the browser console would.
/// </summary>
/// <remarks>
/// CharWeb listens and QEMU connects: the listener exists before QEMU starts, and QEMU connects while it
/// starts, before the vCPU runs, so not a byte of the boot is missed. The reverse loses the boot log
/// (QEMU with <c>wait=off</c> drops serial output until CharWeb's reconnect lands) or hangs on a port
/// picked before QEMU binds it (<c>wait=on</c>).
/// </remarks>
internal sealed class LinuxGuest : IAsyncDisposable
{
    public const string Id = "guest-serial";

    private readonly string _folder;

    private LinuxGuest(string folder, GuestImage image, CharWebServer server, HubConsole console, Qemu qemu)
    {
        _folder = folder;
        Image = image;
        Server = server;
        Console = console;
        Qemu = qemu;
    }

    public GuestImage Image { get; }

    public CharWebServer Server { get; }

    public HubConsole Console { get; }

    public Qemu Qemu { get; }

    /// <summary>Where the banner starts on the console.</summary>
    public int BannerAt { get; private set; }

    /// <summary>Just past the first shell prompt.</summary>
    public int PromptEnd { get; private set; }

    /// <summary>From QEMU's start to the first shell prompt on the console.</summary>
    public TimeSpan BootTime { get; private set; }

    /// <summary>Builds the image, creates the chardev, attaches the console, starts QEMU and waits for the kernel banner and the shell prompt.</summary>
    public static async Task<LinuxGuest> BootAsync(int seconds = 60)
    {
        var folder = Directory.CreateTempSubdirectory("charweb-guest-").FullName;
        var image = await GuestImage.BuildAsync(folder);
        var server = await CharWebServer.StartAsync();
        var created = await server.CreateAsync($$$"""
            {"id": "{{{Id}}}", "backend": {"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": 0}, "server": true, "wait": false}}
            """);
        var port = created["filename"]!.GetValue<string>().Split(':')[3].Split(',')[0];
        var console = await HubConsole.ConnectAsync(server, keep: true);
        await console.AttachAsync(Id);

        var clock = Stopwatch.StartNew();
        var guest = new LinuxGuest(folder, image, server, console, Qemu.StartGuest(image, $"host=127.0.0.1,port={port}"));
        try
        {
            guest.BannerAt = await guest.WaitForTextAsync("Linux version " + image.KernelRelease, seconds: seconds);
            guest.PromptEnd = await guest.WaitForTextAsync(GuestImage.Prompt, guest.BannerAt, seconds) + GuestImage.Prompt.Length;
            guest.BootTime = clock.Elapsed;
            return guest;
        }
        catch
        {
            await guest.DisposeAsync();
            throw;
        }
    }

    /// <summary>Where the console has got to: the index the next output will have.</summary>
    public int Position => (int)Console.Received;

    /// <summary>Types <paramref name="line"/> and Enter (CR, which the guest's tty turns into NL); returns where its echo will start.</summary>
    public async Task<int> TypeAsync(string line) => await WriteAsync(Encoding.UTF8.GetBytes(line + "\r"));

    /// <summary>Sends raw bytes to the guest through the hub's Write; returns where the answer will start.</summary>
    public async Task<int> WriteAsync(byte[] data)
    {
        var at = Position;
        Assert.Equal(data.Length, await Console.Connection.InvokeAsync<int>("Write", Id, data, CharWebServer.Timeout()));
        return at;
    }

    /// <summary>Waits for <paramref name="text"/> on the console at or after <paramref name="from"/>; a failure says what QEMU said too.</summary>
    public Task<int> WaitForTextAsync(string text, int from = 0, int seconds = 30) =>
        Console.WaitForTextAsync(text, from, seconds, () => Qemu.HasExited ? $"QEMU exited: {Qemu.Errors}" : $"QEMU still running; stderr: {Qemu.Errors}");

    /// <summary>The console's bytes from <paramref name="from"/> to <paramref name="to"/> as text.</summary>
    public string Text(int from, int to) => Encoding.UTF8.GetString(Console.Bytes().AsSpan(from, to - from));

    public async ValueTask DisposeAsync()
    {
        await Qemu.DisposeAsync();
        await Console.DisposeAsync();
        await Server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}
