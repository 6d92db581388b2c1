namespace AirflowAspire.Contracts;

/// <summary>
/// How Kombu's Redis transport (<c>kombu/transport/redis.py</c>), which Celery uses on a <c>redis://</c> broker, names
/// its keys: a client that reads or writes Celery's data beside the workers must spell them exactly so.
/// </summary>
public static class KombuRedis
{
    /// <summary>
    /// Kombu's <c>Channel.sep</c>: it joins the fields of a binding in a <c>_kombu.binding.{exchange}</c> set (routing
    /// key, pattern, queue) and a queue's name to its priority step.
    /// </summary>
    public const string Separator = "\x06\x16";

    /// <summary>
    /// Kombu's <c>PRIORITY_STEPS</c> (0, 3, 6, 9) as the suffixes of the lists that hold a queue's messages: priority 0 is
    /// the queue's own list, every other step the queue's name, <see cref="Separator"/> and the step.
    /// </summary>
    /// <remarks>Built from <see cref="Separator"/>, not written as <c>"\x06\x163"</c>: C#'s <c>\x</c> takes up to four hex
    /// digits, which makes that <c>\x06</c> and U+0163, a list Kombu never writes.</remarks>
    public static IReadOnlyList<string> PriorityQueueSuffixes { get; } = ["", $"{Separator}3", $"{Separator}6", $"{Separator}9"];

    /// <summary>The Redis lists that hold <paramref name="queue"/>'s messages, every priority included.</summary>
    public static IEnumerable<string> QueueLists(string queue) => PriorityQueueSuffixes.Select(suffix => queue + suffix);

    /// <summary>A binding's member of a <c>_kombu.binding.{exchange}</c> set, as Kombu's <c>_queue_bind</c> writes it.</summary>
    public static string Binding(string routingKey, string pattern, string queue) => string.Join(Separator, routingKey, pattern, queue);
}
