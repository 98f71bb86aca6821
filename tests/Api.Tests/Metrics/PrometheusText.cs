using System.Globalization;
using System.Text;

namespace CharWeb.Api.Tests.Metrics;

/// <summary>One sample of a scrape: a series name, its labels, its value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string? Label(string name) => Labels.TryGetValue(name, out var value) ? value : null;

    public override string ToString() => $"{Name}{{{string.Join(",", Labels.Select(l => $"{l.Key}=\"{l.Value}\""))}}} {Value.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// Prometheus' text exposition format (version 0.0.4), as a scraper reads it: <c># TYPE</c> lines give
/// each family its type, every other non-comment line is <c>name{label="value",...} value [timestamp]</c>
/// with <c>\\</c>, <c>\"</c> and <c>\n</c> escapes in label values. Anything else is a parse error naming the line.
/// </summary>
public sealed class PrometheusText
{
    private PrometheusText(IReadOnlyList<PrometheusSample> samples, IReadOnlyDictionary<string, string> types)
    {
        Samples = samples;
        Types = types;
    }

    public IReadOnlyList<PrometheusSample> Samples { get; }

    /// <summary>Family name to its <c># TYPE</c> (counter, gauge, histogram, ...).</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    public static PrometheusText Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var number = 0;
        foreach (var line in text.Split('\n'))
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }

            if (line[0] == '#')
            {
                var parts = line.Split(' ', 4, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 4 && parts[1] == "TYPE")
                {
                    types[parts[2]] = parts[3];
                }

                continue;
            }

            try
            {
                samples.Add(ParseSample(line));
            }
            catch (FormatException ex)
            {
                throw new FormatException($"line {number} is not a Prometheus sample ({ex.Message}): {line}", ex);
            }
        }

        return new PrometheusText(samples, types);
    }

    /// <summary>Every sample of series <paramref name="name"/> whose labels include <paramref name="labels"/>.</summary>
    public IEnumerable<PrometheusSample> All(string name, params (string Name, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Label(l.Name) == l.Value));

    /// <summary>The one sample of <paramref name="name"/> with <paramref name="labels"/>; fails naming what the scrape had instead.</summary>
    public double Value(string name, params (string Name, string Value)[] labels)
    {
        var matches = All(name, labels).ToList();
        Assert.True(matches.Count == 1, $"expected one sample {name} {string.Join(",", labels.Select(l => $"{l.Name}={l.Value}"))}, the scrape has {matches.Count}: " +
            string.Join("; ", Samples.Where(s => s.Name == name).Take(20)));
        return matches[0].Value;
    }

    /// <summary>Whether any sample of <paramref name="name"/> has these labels.</summary>
    public bool Has(string name, params (string Name, string Value)[] labels) => All(name, labels).Any();

    private static PrometheusSample ParseSample(string line)
    {
        var at = 0;
        var name = ReadName(line, ref at, allowColon: true);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (at < line.Length && line[at] == '{')
        {
            at++;
            while (true)
            {
                SkipSpaces(line, ref at);
                if (Peek(line, at) == '}')
                {
                    at++;
                    break;
                }

                var label = ReadName(line, ref at, allowColon: false);
                Expect(line, ref at, '=');
                Expect(line, ref at, '"');
                var value = ReadQuoted(line, ref at);
                if (!labels.TryAdd(label, value))
                {
                    throw new FormatException($"label {label} twice");
                }

                SkipSpaces(line, ref at);
                if (Peek(line, at) == ',')
                {
                    at++;
                }
                else if (Peek(line, at) != '}')
                {
                    throw new FormatException($"',' or '}}' expected at {at}");
                }
            }
        }

        var rest = line[at..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (rest.Length is < 1 or > 2)
        {
            throw new FormatException("a value and an optional timestamp expected after the name and labels");
        }

        return new PrometheusSample(name, labels, ParseValue(rest[0]));
    }

    private static double ParseValue(string text) => text switch
    {
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static string ReadName(string line, ref int at, bool allowColon)
    {
        var start = at;
        while (at < line.Length && (char.IsAsciiLetter(line[at]) || line[at] == '_' || (allowColon && line[at] == ':') || (at > start && char.IsAsciiDigit(line[at]))))
        {
            at++;
        }

        return at > start ? line[start..at] : throw new FormatException($"a name expected at {start}");
    }

    private static string ReadQuoted(string line, ref int at)
    {
        var value = new StringBuilder();
        while (at < line.Length && line[at] != '"')
        {
            if (line[at] == '\\' && at + 1 < line.Length)
            {
                value.Append(line[at + 1] switch
                {
                    'n' => '\n',
                    '\\' => '\\',
                    '"' => '"',
                    var other => throw new FormatException($"unknown escape \\{other}"),
                });
                at += 2;
                continue;
            }

            value.Append(line[at++]);
        }

        Expect(line, ref at, '"');
        return value.ToString();
    }

    private static void Expect(string line, ref int at, char c)
    {
        if (Peek(line, at) != c)
        {
            throw new FormatException($"'{c}' expected at {at}");
        }

        at++;
    }

    private static char Peek(string line, int at) => at < line.Length ? line[at] : '\0';

    private static void SkipSpaces(string line, ref int at)
    {
        while (at < line.Length && line[at] == ' ')
        {
            at++;
        }
    }
}
