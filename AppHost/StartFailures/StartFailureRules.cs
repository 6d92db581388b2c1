using System.Globalization;
using System.Text.RegularExpressions;
using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost.StartFailures;

/// <summary>What a start failure was found to be: the one line that explains it, and whether it is certain yet.</summary>
/// <param name="Message">What failed and the fix, in one line.</param>
/// <param name="Final">
/// True when the failure cannot go away by itself (the engine refuses the container's limits, the registry has no such tag),
/// so what waits for the resource can stop at once; false when a retry may still succeed (a registry that did not answer),
/// so the explanation waits for the orchestrator to give up.
/// </param>
public sealed record StartFailure(string Message, bool Final);

/// <summary>
/// The facts of a resource that its explanations quote: its image, or its executable, and the locked-memory limit it asks for.
/// </summary>
/// <param name="Registry">The image's registry; null: the engine's default (Docker Hub).</param>
/// <param name="Image">The image's path; null for an executable.</param>
/// <param name="Tag">The image's tag.</param>
/// <param name="Executable">The executable's path; null for a container.</param>
/// <param name="MemlockLimit">The locked-memory limit the container asks the engine for (bytes, -1 unlimited); null: none.</param>
public sealed record StartFailureFacts(string? Registry, string? Image, string? Tag, string? Executable, long? MemlockLimit)
{
    /// <summary>The image as the engine names it.</summary>
    public string ImageReference => Registry is { Length: > 0 } registry ? $"{registry}/{Image}:{Tag}" : $"{Image}:{Tag}";

    /// <summary>The registry's name, Docker Hub's when the image names none.</summary>
    public string RegistryName => Registry is { Length: > 0 } registry ? registry : "docker.io";

    /// <summary>Reads them from the resource's annotations.</summary>
    public static StartFailureFacts Of(IResource resource)
    {
        var image = resource.Annotations.OfType<ContainerImageAnnotation>().LastOrDefault();
        var memlock = resource.Annotations.OfType<MemlockLimitAnnotation>().LastOrDefault();
        return new(image?.Registry, image?.Image, image?.Tag, (resource as ExecutableResource)?.Command, memlock?.Bytes);
    }
}

/// <summary>The locked-memory limit (RLIMIT_MEMLOCK) a container asks its engine for, so that a refusal can name the setting.</summary>
/// <param name="Bytes">The limit in bytes, or -1 for unlimited.</param>
public sealed record MemlockLimitAnnotation(long Bytes) : IResourceAnnotation
{
    /// <summary>The limit as a person reads it.</summary>
    public string Text => Bytes < 0 ? "unlimited" : $"{Bytes.ToString(CultureInfo.InvariantCulture)} bytes";
}

/// <summary>
/// Maps what the orchestrator (DCP) and the container engine say about a resource that does not start (its log lines, its
/// final state) to one line naming what failed and the fix. The lines matched are Docker's and runc's, as DCP copies them
/// into the resource's log: seen on Docker 20.10 with runc 1.1 (the tests' <c>TestData/StartFailures/</c> holds them).
/// </summary>
public static partial class StartFailureRules
{
    /// <summary>A line the engine wrote while it could not start or pull the container, or null when it says nothing known.</summary>
    /// <param name="subject">What the resource is.</param>
    /// <param name="facts">Its image and limits.</param>
    /// <param name="line">One line of its log, as DCP wrote it (a leading timestamp is ignored).</param>
    public static StartFailure? FromLine(StartFailureSubject subject, StartFailureFacts facts, string line)
    {
        line = WithoutTimestamp(line);
        var (product, section) = (subject.Product, subject.Section);

        // runc applies the container's --ulimit before its process runs; an engine that may not raise a limit (rootless
        // Podman, a VM's Docker) refuses the container, and every retry fails the same way.
        if (Rlimit().Match(line) is { Success: true } rlimit)
        {
            var type = int.Parse(rlimit.Groups[1].Value, CultureInfo.InvariantCulture);
            var quote = $"runc: \"error setting rlimit type {type}: operation not permitted\"";
            if (type == RlimitMemlock && facts.MemlockLimit is { } memlock)
            {
                return new($"{product} cannot start: the container engine may not raise the container's locked-memory limit " +
                    $"(RLIMIT_MEMLOCK) to {new MemlockLimitAnnotation(memlock).Text}, which {section}:MemlockLimit asks for ({quote}). " +
                    $"Fix: remove {section}:MemlockLimit ({product} runs without it on Linux 5.12 and later, where io_uring's memory " +
                    "is not counted against that limit, dragonflydb/dragonfly#57), or set it no higher than the engine's own " +
                    "limit (ulimit -l of the engine's service).", Final: true);
            }
            return new($"{product} cannot start: the container engine may not set the container's resource limit {type} " +
                $"to what it asks for ({quote}). Fix: remove the --ulimit the container is given, or run it under an engine that " +
                "may raise that limit.", Final: true);
        }

        if (facts.Image is null || DaemonError().Match(line) is not { Success: true } daemon)
        {
            return null;
        }
        var error = Shorten(daemon.Groups[1].Value);
        var reference = facts.ImageReference;
        if (ManifestUnknown().IsMatch(error))
        {
            return new($"{product} cannot start: the registry {facts.RegistryName} has no tag {facts.Tag} of {facts.Image} " +
                $"({error}). Fix: set {section}:ImageTag to a tag the registry has, or {section}:Registry to a registry " +
                $"that has {facts.Image}:{facts.Tag}.", Final: true);
        }
        if (AccessDenied().IsMatch(error))
        {
            return new($"{product} cannot start: the registry {facts.RegistryName} refused to serve {reference} ({error}): " +
                $"it has no such image, or wants a login. Fix: check {section}:Registry and {section}:Image, or log the " +
                $"engine in (docker login {facts.RegistryName}).", Final: true);
        }
        if (Unreachable().IsMatch(error))
        {
            // A registry may answer the next try: DCP retries the pull, and this is the explanation if it gives up.
            return new($"{product} cannot start: its image {reference} is not on this machine and the registry " +
                $"{facts.RegistryName} cannot be reached ({error}). Fix: check the network or the engine's proxy, load " +
                $"the image another way (docker pull {reference}, docker load), or set {section}:Registry to a mirror that " +
                $"serves it; or {subject.WithoutContainer}.", Final: false);
        }
        return null;
    }

    /// <summary>
    /// The explanation when the resource reached a final state (<paramref name="state"/>) before it was ever healthy.
    /// </summary>
    /// <param name="subject">What the resource is.</param>
    /// <param name="facts">Its image or executable.</param>
    /// <param name="state">The state it ended in: Aspire's <c>FailedToStart</c>, <c>Exited</c>, <c>Finished</c> or <c>RuntimeUnhealthy</c>.</param>
    /// <param name="exitCode">Its exit code, when it ran and exited.</param>
    /// <param name="lines">Its recent log lines, oldest first, with whether each was on its error stream.</param>
    /// <param name="pending">A finding that waited for the end (<see cref="StartFailure.Final"/> false).</param>
    public static string FromEnd(StartFailureSubject subject, StartFailureFacts facts, string state, int? exitCode,
        IReadOnlyList<(string Text, bool IsError)> lines, StartFailure? pending)
    {
        var (product, section) = (subject.Product, subject.Section);
        if (state == KnownResourceStates.RuntimeUnhealthy)
        {
            return $"{product} cannot start: it runs as a container and no container engine is running. " +
                $"Fix: start Docker or Podman and run the AppHost again, or {subject.WithoutContainer}";
        }
        if (pending is not null)
        {
            return pending.Message;
        }

        var cleaned = lines.Select(l => (Text: WithoutTimestamp(l.Text).Trim(), l.IsError)).Where(l => l.Text.Length > 0).ToList();
        if (exitCode is { } code && state != KnownResourceStates.FailedToStart)
        {
            // Its own last words: the error stream first; not the orchestrator's [sys] lines, nor Aspire's own lines before it
            // ran (the streams reach the log each in its own order, so position says nothing).
            var own = cleaned.Where(l => !l.Text.StartsWith("[sys]", StringComparison.Ordinal) &&
                !ContainerId().IsMatch(l.Text) && !AspireLine().IsMatch(l.Text)).ToList();
            var last = (own.LastOrDefault(l => l.IsError).Text ?? own.LastOrDefault().Text) is { } text ? Shorten(text) : null;
            var said = last is null ? " and printed nothing" : $": \"{last}\"";
            return $"{product} exited at start with exit code {code}{said}. Fix: {ExitFix(subject, facts, cleaned)}";
        }

        // Failed to start: the orchestrator's or the engine's last error line.
        var reason = cleaned.LastOrDefault(l => l.IsError && l.Text.StartsWith("[sys]", StringComparison.Ordinal)).Text
            ?? cleaned.LastOrDefault(l => l.IsError).Text
            ?? cleaned.LastOrDefault().Text;
        var saw = reason is null ? "" : $" (\"{Shorten(FirstLine(reason))}\")";
        return facts.Image is not null
            ? $"{product} did not start: the container engine could not run {facts.ImageReference}{saw}. Fix: read the " +
              $"engine's lines above; check {section}:Registry, {section}:Image and {section}:ImageTag; or {subject.WithoutContainer}."
            : $"{product} did not start: {facts.Executable} could not be run{saw}. Fix: check that {section}:Executable " +
              $"names {product}'s binary and that it may be executed.";
    }

    private static string ExitFix(StartFailureSubject subject, StartFailureFacts facts, IReadOnlyList<(string Text, bool IsError)> lines)
    {
        var section = subject.Section;
        if (lines.Any(l => l.Text.Contains("Error initializing io_uring", StringComparison.Ordinal)))
        {
            // On Linux before 5.12 io_uring's rings count against RLIMIT_MEMLOCK (dragonflydb/dragonfly#57).
            return facts.Image is not null
                ? $"set {section}:MemlockLimit=unlimited (or a size) so that the engine raises the container's locked-memory " +
                  "limit, which io_uring needs on Linux before 5.12."
                : "raise the locked-memory limit (ulimit -l) of the shell that starts the AppHost: io_uring needs it on Linux before 5.12.";
        }
        if (lines.Any(l => l.Text.Contains("Unknown environment variable DFLY_", StringComparison.Ordinal)))
        {
            return "remove that variable: Dragonfly aborts at start on a DFLY_ variable it does not know. " +
                (facts.Image is not null
                    ? $"It comes from the image ({facts.ImageReference}): use one without it ({section}:Image, {section}:ImageTag)."
                    : "It comes from the environment the AppHost was started in.");
        }
        return facts.Image is not null
            ? $"read its log above; check that {section}:Registry, {section}:Image and {section}:ImageTag name {subject.Product}'s " +
              $"image (now {facts.ImageReference})."
            : $"read its log above, or run {facts.Executable} by hand with the arguments its log shows; check that " +
              $"{section}:Executable names {subject.Product}.";
    }

    /// <summary>RLIMIT_MEMLOCK's number on Linux (<c>asm-generic/resource.h</c>), as runc reports it.</summary>
    private const int RlimitMemlock = 8;

    private static string WithoutTimestamp(string line) => Timestamp().Replace(line, "", 1);

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    private static string Shorten(string text)
    {
        text = text.Trim().TrimEnd('.');
        return text.Length <= 200 ? text : string.Concat(text.AsSpan(0, 199), "…");
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\s?")]
    private static partial Regex Timestamp();

    [GeneratedRegex(@"error setting rlimit type (\d+): operation not permitted")]
    private static partial Regex Rlimit();

    // Docker's CLI: "Error response from daemon: <error>"; Podman's: "Error: initializing source docker://...: <error>".
    [GeneratedRegex(@"^(?:\[sys\] )?(?:Error response from daemon: |Error: (?=.*(?:initializing source|pinging container registry|reading manifest)))(.+)$")]
    private static partial Regex DaemonError();

    [GeneratedRegex(@"manifest unknown|manifest for \S+ not found", RegexOptions.IgnoreCase)]
    private static partial Regex ManifestUnknown();

    [GeneratedRegex(@"pull access denied|requested access to the resource is denied|unauthorized|authentication required", RegexOptions.IgnoreCase)]
    private static partial Regex AccessDenied();

    [GeneratedRegex(@"dial tcp|no such host|i/o timeout|connection refused|TLS handshake|server misbehaving|network is unreachable|pinging container registry|request canceled", RegexOptions.IgnoreCase)]
    private static partial Regex Unreachable();

    // What Aspire itself writes in a resource's log before it starts (waits, certificate set-up).
    [GeneratedRegex(@"^(?:No custom certificate authorities|Waiting for resource|Finished waiting for resource)")]
    private static partial Regex AspireLine();

    [GeneratedRegex(@"^[0-9a-f]{64}$")]
    private static partial Regex ContainerId();
}
