using System.Net;

namespace CharWeb.Engine.Tests;

/// <summary>CharWeb:Network:AllowedDestinations: what each kind of entry allows, and what the refusals say.</summary>
public sealed class DestinationPolicyTests
{
    [Theory]
    [InlineData("127.0.0.1", 1, true)]
    [InlineData("127.9.9.9", 65535, true)]
    [InlineData("::1", 22, true)]
    [InlineData("::ffff:127.0.0.1", 22, true)]
    [InlineData("10.1.2.3", 22, false)]
    [InlineData("192.168.1.1", 80, false)]
    [InlineData("169.254.169.254", 80, false)]
    [InlineData("fd00::1", 22, false)]
    [InlineData("::2", 22, false)]
    [InlineData("0.0.0.0", 22, false)]
    [InlineData("::", 22, false)]
    public void DefaultIsLoopbackOnAnyPort(string host, int port, bool allowed)
    {
        Assert.Equal(allowed, DestinationPolicy.Loopback.Refusal(host, port) is null);
    }

    [Fact]
    public void RefusalNamesTheAddressAndTheConfiguredList()
    {
        Assert.Equal(
            "10.1.2.3:22 is not an allowed destination (CharWeb:Network:AllowedDestinations: 127.0.0.0/8, ::1/128)",
            DestinationPolicy.Loopback.Refusal("10.1.2.3", 22));
        Assert.Equal(
            "[fd00::1]:22 is not an allowed destination (CharWeb:Network:AllowedDestinations: 127.0.0.0/8, ::1/128)",
            DestinationPolicy.Loopback.Refusal("fd00::1", 22));
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.1.2.3", 22, true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", 22, false)]
    [InlineData("192.168.1.0/24:2000-2100", "192.168.1.7", 2000, true)]
    [InlineData("192.168.1.0/24:2000-2100", "192.168.1.7", 2100, true)]
    [InlineData("192.168.1.0/24:2000-2100", "192.168.1.7", 1999, false)]
    [InlineData("192.168.1.0/24:2000-2100", "192.168.1.7", 2101, false)]
    [InlineData("192.168.1.0/24:2000-2100", "192.168.2.7", 2000, false)]
    [InlineData("127.0.0.1:4000-4999", "127.0.0.1", 4500, true)]
    [InlineData("127.0.0.1:4000-4999", "127.0.0.2", 4500, false)]
    [InlineData(" 127.0.0.1:7 ", "127.0.0.1", 7, true)]
    [InlineData("[::1]:22", "::1", 22, true)]
    [InlineData("[::1]:22", "::1", 23, false)]
    [InlineData("::1/128", "::1", 9, true)]
    [InlineData("::1", "::1", 9, true)]
    [InlineData("fd00::/8", "fd12::1", 1, true)]
    [InlineData("[fd00::/8]:22", "fd12::1", 22, true)]
    [InlineData("[fd00::/8]:22", "fd12::1", 23, false)]
    [InlineData("10.0.0.0/8", "::ffff:10.0.0.1", 22, true)]
    [InlineData("::ffff:10.0.0.0/104", "10.0.0.1", 22, true)]
    [InlineData("[::ffff:10.0.0.1]:22", "10.0.0.1", 22, true)]
    [InlineData("::/0", "::ffff:10.0.0.1", 22, false)]
    [InlineData("::/0", "fd00::1", 22, true)]
    [InlineData("0.0.0.0/0", "10.1.2.3", 22, true)]
    [InlineData("0.0.0.0/0", "0.0.0.0", 22, false)]
    [InlineData("0.0.0.0/0", "::ffff:0.0.0.0", 22, false)]
    [InlineData("0.0.0.0", "0.0.0.0", 22, true)]
    [InlineData("::/0", "::", 22, false)]
    [InlineData("::/128", "::", 22, true)]
    public void EntryAllowsItsAddressesAndPorts(string entry, string host, int port, bool allowed)
    {
        var errors = new List<FieldError>();
        var policy = DestinationPolicy.Parse([entry], errors);

        Assert.Empty(errors);
        Assert.Equal(allowed, policy.Refusal(host, port) is null);
    }

    [Fact]
    public void NameEntryAllowsThatNameWhateverItResolvesToAndNothingElse()
    {
        var policy = DestinationPolicy.Parse(["Lab-Console.Example:7000"], new List<FieldError>());
        IPAddress[] resolved = [IPAddress.Parse("10.9.9.9")];

        Assert.Equal(resolved[0], policy.Choose("lab-console.example", resolved, 7000));
        Assert.Equal(resolved[0], policy.Choose("LAB-CONSOLE.example.", resolved, 7000));
        Assert.Null(policy.Choose("lab-console.example", resolved, 7001));
        Assert.Null(policy.Choose("other.example", resolved, 7000));
        Assert.Null(policy.Choose("10.9.9.9", resolved, 7000));
    }

    [Fact]
    public void OnlyAnAllowedAddressOfANameIsChosen()
    {
        var policy = DestinationPolicy.Parse(["127.0.0.1/32"], new List<FieldError>());

        Assert.Equal(IPAddress.Loopback, policy.Choose("two.example", [IPAddress.Parse("10.0.0.1"), IPAddress.Loopback], 22));
        Assert.Equal(IPAddress.Loopback, policy.Choose("mapped.example", [IPAddress.Parse("::ffff:127.0.0.1")], 22));
        Assert.Null(policy.Choose("elsewhere.example", [IPAddress.Parse("10.0.0.1"), IPAddress.Parse("169.254.169.254")], 22));
    }

    [Fact]
    public void LocalhostEntryIsResolvedAndItsAddressAloneIsNotEnough()
    {
        var policy = DestinationPolicy.Parse(["localhost:5000"], new List<FieldError>());

        Assert.Null(policy.Refusal("localhost", 5000));
        Assert.NotNull(policy.Refusal("localhost", 5001));
        Assert.StartsWith("127.0.0.1:5000 is not an allowed destination", policy.Refusal("127.0.0.1", 5000));
    }

    [Fact]
    public void NameThatDoesNotResolveIsRefused()
    {
        var tooLong = new string('a', 300);

        Assert.StartsWith("host 'no-such-host.invalid' could not be resolved: ", DestinationPolicy.Loopback.Refusal("no-such-host.invalid", 22));
        Assert.StartsWith($"host '{tooLong}' could not be resolved: ", DestinationPolicy.Loopback.Refusal(tooLong, 22));
    }

    [Fact]
    public void RefusalSaysWhichEntryCoversTheAddressButNotThePort()
    {
        var policy = DestinationPolicy.Parse(["127.0.0.0/8:4000-4999"], new List<FieldError>());

        Assert.Equal(
            "127.0.0.1:22 is not an allowed destination: 127.0.0.0/8:4000-4999 covers the address but not port 22 (CharWeb:Network:AllowedDestinations: 127.0.0.0/8:4000-4999)",
            policy.Refusal("127.0.0.1", 22));
    }

    [Fact]
    public void RefusalShowsAMappedAddressAsTheIpv4AddressItWasJudgedAs()
    {
        Assert.Equal(
            "[::ffff:10.0.0.1]:22 (10.0.0.1) is not an allowed destination (CharWeb:Network:AllowedDestinations: 127.0.0.0/8, ::1/128)",
            DestinationPolicy.Loopback.Refusal("::ffff:10.0.0.1", 22));
    }

    [Fact]
    public void UnspecifiedAddressIsRefusedEvenUnderAnAllowAllCidr()
    {
        var policy = DestinationPolicy.Parse(["0.0.0.0/0", "::/0"], new List<FieldError>());

        Assert.Equal(
            "0.0.0.0:22 is not an allowed destination: the unspecified address (0.0.0.0, ::) is allowed only where it is listed itself (CharWeb:Network:AllowedDestinations: 0.0.0.0/0, ::/0)",
            policy.Refusal("0.0.0.0", 22));
        Assert.NotNull(policy.Refusal("::", 22));
        Assert.Null(policy.Refusal("127.0.0.1", 22));
    }

    [Fact]
    public void EmptyListAllowsNothing()
    {
        var policy = DestinationPolicy.Parse([], new List<FieldError>());

        Assert.Equal(
            "127.0.0.1:22 is not an allowed destination (CharWeb:Network:AllowedDestinations is empty: nothing is allowed)",
            policy.Refusal("127.0.0.1", 22));
    }

    [Fact]
    public void EveryBadEntryIsReportedByItsIndexAndTheGoodOnesKept()
    {
        var errors = new List<FieldError>();

        var policy = DestinationPolicy.Parse(
            ["10.0.0.0/8", "", "10.1.0.0/8", "300.1.1.1/8", "::1/129", "host.example:99999", "127.0.0.1:5-4", "127.0.0.1:", "[10.0.0.1]:22", "[::1", "*.example", "lab.example:7000"],
            errors);

        Assert.Equal(["10.0.0.0/8", "lab.example:7000"], policy.Entries);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => $"CharWeb:Network:AllowedDestinations:{i}"), errors.Select(e => e.Field));
        Assert.Equal("'' is empty", errors[0].Message);
        Assert.Equal("'10.1.0.0/8' has bits set past its /8 prefix; write 10.0.0.0/8 or a longer prefix", errors[1].Message);
        Assert.Contains("is not a CIDR", errors[2].Message);
        Assert.Contains("is not a CIDR", errors[3].Message);
        Assert.Equal("'host.example:99999' has a bad port '99999': a port or first-last, between 1 and 65535", errors[4].Message);
        Assert.Contains("bad port '5-4'", errors[5].Message);
        Assert.Contains("bad port ''", errors[6].Message);
        Assert.Contains("not an IPv6 address", errors[7].Message);
        Assert.Contains("[IPv6", errors[8].Message);
        Assert.Equal("'*.example' is not a CIDR (10.0.0.0/8), an address or a host name", errors[9].Message);
    }
}
