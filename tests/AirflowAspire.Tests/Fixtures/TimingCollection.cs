namespace AirflowAspire.Tests.Fixtures;

/// <summary>
/// Tests that hold a time bound on a process (the Verifier ends within a second of its verdict) run alone, not beside the
/// rest of the suite: on a 2-core CI machine the suite's own parallel tests delayed that exit to 1.76 s once.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Timing";
}
