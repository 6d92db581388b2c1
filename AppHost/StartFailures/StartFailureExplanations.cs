using System.Runtime.CompilerServices;
using System.Threading.Channels;
using AirflowAspire.AppHost.StartFailures;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>
/// A resource that others wait for (the broker, the metadata database) says in one line why it did not start, and what
/// waits for it stops waiting as soon as that is known.
/// </summary>
/// <remarks>
/// Aspire's own words for such a failure are the orchestrator's raw lines on the resource's row, and on every dependent an
/// exception with its stack trace. Worse, what waits for a resource that reached <c>Running</c> and then exited (a local
/// binary that exits at start) waits for it to become healthy for ever (Aspire 13.6's
/// <c>ResourceNotificationService.WaitUntilHealthyAsync</c> stops on a final state only before <c>Running</c>), and an engine
/// that refuses the container is retried for about 30 s before <c>FailedToStart</c>.
/// </remarks>
public static class StartFailureExplanations
{
    /// <summary>The property of the resource's snapshot that holds the explanation while it has not started (a row's details on the dashboard).</summary>
    public const string Property = "start.failure";

    private static readonly ConditionalWeakTable<IDistributedApplicationBuilder, object> Gated = [];

    /// <summary>How long after a final state the last log lines are awaited (the log reaches Aspire after the state can).</summary>
    private static readonly TimeSpan LogSettleBound = TimeSpan.FromSeconds(3);

    /// <summary>The quiet time that ends that wait early: the log has nothing more to say.</summary>
    private static readonly TimeSpan LogQuiet = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// When the resource fails to start (the engine refuses it or cannot pull its image, no engine runs, the process exits
    /// before it is healthy), logs one line on it that names what failed and the fix, and sets it as its
    /// <see cref="Property"/>. Every resource that waits for it, directly or through others (a database's server through the
    /// database; the Airflow processes through the migration), then fails at once, naming it and quoting that line.
    /// </summary>
    /// <param name="builder">The resource.</param>
    /// <param name="subject">What it is, in the explanations' words.</param>
    public static IResourceBuilder<T> ExplainsStartFailures<T>(this IResourceBuilder<T> builder, StartFailureSubject subject) where T : IResource
    {
        builder.WithAnnotation(new StartFailureSubjectAnnotation(subject), ResourceAnnotationMutationBehavior.Replace);
        GateDependents(builder.ApplicationBuilder);
        var resource = builder.Resource;
        return builder.WatchInBackground((services, logger, stopping) => new Watch(resource, subject, services, logger).RunAsync(stopping),
            $"The explanation of why '{resource.Name}' did not start could not be given");
    }

    /// <summary>The explanation a snapshot holds, or null.</summary>
    public static string? ExplanationOf(CustomResourceSnapshot snapshot)
        => snapshot.Properties.FirstOrDefault(p => p.Name == Property)?.Value as string is { Length: > 0 } text ? text : null;

    private sealed record StartFailureSubjectAnnotation(StartFailureSubject Subject) : IResourceAnnotation;

    /// <summary>
    /// Follows one resource: its states, and the log of each of its instances, in one loop so that the explanation sees
    /// them in order.
    /// </summary>
    private sealed class Watch(IResource resource, StartFailureSubject subject, IServiceProvider services, ILogger logger)
    {
        private readonly ResourceNotificationService _notifications = services.GetRequiredService<ResourceNotificationService>();
        private readonly ResourceLoggerService _logs = services.GetRequiredService<ResourceLoggerService>();
        private readonly Channel<object> _signals = Channel.CreateUnbounded<object>(new() { SingleReader = true });
        private readonly HashSet<string> _followed = [];
        private readonly Queue<(string Text, bool IsError)> _recent = new();
        private StartFailure? _pending;
        private bool _explained;
        private bool _healthy;
        private string? _lastState;

        public async Task RunAsync(CancellationToken stopping)
        {
            var states = Task.Run(async () =>
            {
                await foreach (var update in _notifications.WatchAsync(stopping).ConfigureAwait(false))
                {
                    if (update.Resource == resource)
                    {
                        await _signals.Writer.WriteAsync(update, stopping).ConfigureAwait(false);
                    }
                }
            }, stopping);

            await foreach (var signal in _signals.Reader.ReadAllAsync(stopping).ConfigureAwait(false))
            {
                switch (signal)
                {
                    case ResourceEvent update:
                        Follow(update.ResourceId, stopping);
                        await OnStateAsync(update, stopping).ConfigureAwait(false);
                        break;
                    case LogLine line:
                        await OnLineAsync(line).ConfigureAwait(false);
                        break;
                }
            }
            await states.ConfigureAwait(false);
        }

        private void Follow(string instance, CancellationToken stopping)
        {
            if (!_followed.Add(instance))
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var batch in _logs.WatchAsync(instance).WithCancellation(stopping).ConfigureAwait(false))
                    {
                        foreach (var line in batch)
                        {
                            await _signals.Writer.WriteAsync(new LogLine(instance, line.Content, line.IsErrorMessage), stopping).ConfigureAwait(false);
                        }
                    }
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    // The AppHost stopped.
                }
            }, stopping);
        }

        private async Task OnLineAsync(LogLine line)
        {
            // A multi-line entry (DCP's "[sys] Could not start the container: ...") is read line by line.
            foreach (var text in line.Content.Split('\n'))
            {
                _recent.Enqueue((text, line.IsError));
                if (_recent.Count > 50)
                {
                    _recent.Dequeue();
                }
                if (_explained || _healthy || text.Contains(subject.Product + " cannot start", StringComparison.Ordinal))
                {
                    continue;
                }
                if (StartFailureRules.FromLine(subject, StartFailureFacts.Of(resource), text) is { } finding)
                {
                    if (finding.Final)
                    {
                        await ExplainAsync(line.Instance, finding.Message).ConfigureAwait(false);
                    }
                    else
                    {
                        _pending = finding;
                    }
                }
            }
        }

        private async Task OnStateAsync(ResourceEvent update, CancellationToken stopping)
        {
            var snapshot = update.Snapshot;
            var state = snapshot.State?.Text;
            if (state == KnownResourceStates.Starting && _lastState is { } last && IsFinal(last))
            {
                // Started again (the dashboard's Start): a new attempt, explained afresh.
                (_explained, _healthy, _pending) = (false, false, null);
                _recent.Clear();
                await _notifications.PublishUpdateAsync(resource, update.ResourceId,
                    s => s with { Properties = [.. s.Properties.Where(p => p.Name != Property)] }).ConfigureAwait(false);
            }
            _lastState = state;
            _healthy |= IsReady(resource, snapshot);
            if (_explained || _healthy || state is null || !IsFinal(state))
            {
                return;
            }
            var later = await SettleLogAsync(stopping).ConfigureAwait(false);
            if (!_explained)
            {
                var message = StartFailureRules.FromEnd(subject, StartFailureFacts.Of(resource), state, snapshot.ExitCode, [.. _recent], _pending);
                await ExplainAsync(update.ResourceId, message).ConfigureAwait(false);
            }
            foreach (var next in later)
            {
                await OnStateAsync(next, stopping).ConfigureAwait(false);
            }
        }

        /// <summary>
        /// Reads the log lines already on their way, until nothing comes for a moment or the bound passes; the states that
        /// come meanwhile (DCP repeats a final one) are returned, to be handled after the explanation.
        /// </summary>
        private async Task<List<ResourceEvent>> SettleLogAsync(CancellationToken stopping)
        {
            var later = new List<ResourceEvent>();
            var deadline = DateTime.UtcNow + LogSettleBound;
            while (DateTime.UtcNow < deadline)
            {
                using var quiet = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                quiet.CancelAfter(LogQuiet);
                try
                {
                    if (!await _signals.Reader.WaitToReadAsync(quiet.Token).ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
                {
                    break;
                }
                while (_signals.Reader.TryRead(out var signal))
                {
                    if (signal is LogLine line)
                    {
                        await OnLineAsync(line).ConfigureAwait(false);
                    }
                    else if (signal is ResourceEvent update)
                    {
                        Follow(update.ResourceId, stopping);
                        later.Add(update);
                    }
                }
            }
            return later;
        }

        private async Task ExplainAsync(string instance, string message)
        {
            _explained = true;
            logger.LogError("{Explanation}", message);
            await _notifications.PublishUpdateAsync(resource, instance,
                s => s with { Properties = [.. s.Properties.Where(p => p.Name != Property), new(Property, message)] }).ConfigureAwait(false);
        }
    }

    private sealed record LogLine(string Instance, string Content, bool IsError);

    /// <summary>Aspire's final states for a resource that did not start, or stopped.</summary>
    private static bool IsFinal(string state) =>
        state == KnownResourceStates.FailedToStart || state == KnownResourceStates.Exited ||
        state == KnownResourceStates.Finished || state == KnownResourceStates.RuntimeUnhealthy;

    /// <summary>What <c>WaitFor</c> waits for: healthy, or running for a resource without health checks.</summary>
    private static bool IsReady(IResource resource, CustomResourceSnapshot snapshot) =>
        resource.Annotations.OfType<HealthCheckAnnotation>().Any()
            ? snapshot.HealthStatus == HealthStatus.Healthy
            : snapshot.State?.Text == KnownResourceStates.Running;

    /// <summary>
    /// Before Aspire's own wait (which runs after this: the orchestrator subscribes once the application is built), a
    /// resource that waits for an explained one waits here until it is ready, or fails naming it as soon as it has an
    /// explanation.
    /// </summary>
    private static void GateDependents(IDistributedApplicationBuilder builder)
    {
        if (Gated.TryGetValue(builder, out _))
        {
            return;
        }
        Gated.Add(builder, new object());
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(async (@event, cancellationToken) =>
        {
            var explained = ExplainedDependencies(@event.Resource);
            if (explained.Count == 0)
            {
                return;
            }
            var notifications = @event.Services.GetRequiredService<ResourceNotificationService>();
            // As Aspire shows a resource that waits (it would only after this gate).
            await PublishWaitingAsync(notifications, @event).ConfigureAwait(false);

            using var first = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var waits = explained.Select(d => notifications.WaitForResourceAsync(d.Name,
                e => IsReady(d, e.Snapshot) || ExplanationOf(e.Snapshot) is not null, first.Token)).ToList();
            try
            {
                while (waits.Count > 0)
                {
                    var done = await Task.WhenAny(waits).ConfigureAwait(false);
                    waits.Remove(done);
                    var reached = await done.ConfigureAwait(false);
                    if (!IsReady(reached.Resource, reached.Snapshot) && ExplanationOf(reached.Snapshot) is { } explanation)
                    {
                        throw new DependencyFailedException(@event.Resource.Name, reached.Resource.Name, explanation);
                    }
                }
            }
            finally
            {
                await first.CancelAsync().ConfigureAwait(false);
                foreach (var left in waits)
                {
                    try
                    {
                        await left.ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        // No longer needed.
                    }
                }
            }
        });
    }

    private static Task PublishWaitingAsync(ResourceNotificationService notifications, BeforeResourceStartedEvent @event)
    {
        static CustomResourceSnapshot Waiting(CustomResourceSnapshot s) =>
            s.State?.Text is null || s.State.Text == KnownResourceStates.Starting || s.State.Text == KnownResourceStates.NotStarted
                ? s with { State = KnownResourceStates.Waiting }
                : s;
        return notifications.PublishUpdateAsync(@event.Resource, Waiting);
    }

    /// <summary>
    /// The explained resources a resource waits for until they are healthy or started, directly or through the resources it
    /// waits for in any way (the Airflow processes wait for the migration's completion, which waits for the database); a
    /// database's server counts for the database (Aspire's child resources follow their parent's state).
    /// </summary>
    public static IReadOnlyList<IResource> ExplainedDependencies(IResource resource)
    {
        var found = new List<IResource>();
        var seen = new HashSet<IResource> { resource };
        var next = new Queue<(IResource Resource, WaitType Type)>(Waits(resource));
        while (next.TryDequeue(out var item))
        {
            var (dependency, type) = item;
            if (!seen.Add(dependency))
            {
                continue;
            }
            var explained = Explained(dependency);
            if (explained is not null && type != WaitType.WaitForCompletion && !found.Contains(explained) && explained != resource)
            {
                found.Add(explained);
            }
            foreach (var wait in Waits(dependency))
            {
                next.Enqueue(wait);
            }
        }
        return found;

        static IEnumerable<(IResource, WaitType)> Waits(IResource r) =>
            r.Annotations.OfType<WaitAnnotation>().Select(w => (w.Resource, w.WaitType));

        static IResource? Explained(IResource r) =>
            r.Annotations.OfType<StartFailureSubjectAnnotation>().Any() ? r
            : r is IResourceWithParent { Parent: { } parent } && parent.Annotations.OfType<StartFailureSubjectAnnotation>().Any() ? parent
            : null;
    }
}

/// <summary>
/// A resource did not start because one it waits for failed to. Its text is the whole story, so it is shown without a stack
/// trace, which would only show Aspire's internals.
/// </summary>
public sealed class DependencyFailedException(string resource, string dependency, string explanation)
    : DistributedApplicationException($"'{resource}' did not start because '{dependency}', which it waits for, failed: {explanation}")
{
    /// <summary>The resource that failed first.</summary>
    public string Dependency { get; } = dependency;

    /// <inheritdoc />
    public override string? StackTrace => null;

    /// <inheritdoc />
    public override string ToString() => Message;
}
