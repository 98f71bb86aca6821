namespace CharWeb.Engine.Tests.Policies;

/// <summary>The exec allow-list's rules: which entries may stand together, and the restart backoff.</summary>
public sealed class ExecPolicyTests
{
    [Fact]
    public void RestartDelayDoublesFromOneSecondUpToThirtyThenGivesUp()
    {
        var policy = new ExecPolicy([new ExecProgram("/bin/sh")], maxFastExits: 9);

        var delays = Enumerable.Range(0, 10).Select(n => policy.RestartDelay(n)?.TotalSeconds).ToArray();

        Assert.Equal([1, 1, 2, 4, 8, 16, 30, 30, 30, null], delays);
    }

    [Fact]
    public void OneCommandMayBePinnedToSeveralArgumentListsButNotListedTwiceForTheSameCommandLine()
    {
        var picocom = (string port) => new ExecProgram("/usr/bin/picocom") { Args = ["-b", "115200", port] };

        var ok = ExecPolicy.Problems([picocom("/dev/ttyUSB0"), picocom("/dev/ttyUSB1"), new ExecProgram("/bin/sh")]);
        var twice = ExecPolicy.Problems([picocom("/dev/ttyUSB0"), picocom("/dev/ttyUSB0")]).ToList();
        var bareAndPinned = ExecPolicy.Problems([new ExecProgram("/usr/bin/picocom"), picocom("/dev/ttyUSB0")]).ToList();

        Assert.Empty(ok);
        Assert.Equal(1, Assert.Single(twice).Index);
        Assert.Equal("Command", twice[0].Error.Field);
        Assert.Contains("'/usr/bin/picocom' is listed already", twice[0].Error.Message);
        Assert.Equal(1, Assert.Single(bareAndPinned).Index);
    }

    [Fact]
    public void EveryBadEntryIsReportedAtOnceByItsField()
    {
        var problems = ExecPolicy.Problems(
        [
            new ExecProgram("picocom"),
            new ExecProgram("/bin/sh") { Env = new Dictionary<string, string> { ["BAD-NAME"] = "x", ["GOOD"] = "y" } },
        ]).Select(p => $"{p.Index}:{p.Error.Field}").ToList();

        Assert.Equal(["0:Command", "1:Env:BAD-NAME"], problems);
        Assert.Throws<ArgumentException>(() => new ExecPolicy([new ExecProgram("picocom")]));
    }

    [Fact]
    public void TheEnvironmentHoldsOnlyPathHomeTermLangAndTheEntrysEnvWhichWins()
    {
        var env = ExecPolicy.EnvironmentOf(new ExecProgram("/bin/sh") { Env = new Dictionary<string, string> { ["LANG"] = "de_DE.UTF-8", ["PROBE"] = "1" } });

        Assert.Equal(["HOME", "LANG", "PATH", "PROBE", "TERM"], env.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("de_DE.UTF-8", env["LANG"]);
        Assert.Equal(ExecPolicy.SafePath, env["PATH"]);
    }
}
