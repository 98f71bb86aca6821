namespace CharWeb.Bench;

/// <summary>
/// p50, p99 and max of a latency sample, each against the same percentile of a baseline sample; the max
/// row is the "throughout" one: met only if no sample missed the goal.
/// </summary>
public static class LatencyRows
{
    public static IEnumerable<ResultRow> Rows(string scenario, string what, double[] values, double[] baseline, string baselineName, double goalMs)
    {
        foreach (var (name, q) in new[] { ("p50", 0.50), ("p99", 0.99), ("max", 1.0) })
        {
            var value = Percentile(values, q);
            var goal = q < 1 ? $"< {goalMs} ms" : $"< {goalMs} ms throughout";
            yield return new(scenario, $"{name} {what}", value, "ms", Percentile(baseline, q), baselineName, goal, value < goalMs);
        }
    }

    public static double Percentile(double[] values, double q)
    {
        var sorted = values.Order().ToArray();
        return sorted[(int)Math.Round(q * (sorted.Length - 1))];
    }
}
