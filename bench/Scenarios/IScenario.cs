namespace CharWeb.Bench.Scenarios;

/// <summary>What a scenario gets: the published server folder, the sizes, and the plot to add points to.</summary>
public sealed record BenchContext(string AppDir, BenchOptions Options, PlotSeries Plot);

/// <summary>One row of the table: starts its own server(s), drives them, answers result rows.</summary>
public interface IScenario
{
    string Name { get; }

    Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken);
}
