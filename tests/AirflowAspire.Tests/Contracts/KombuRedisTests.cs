using AirflowAspire.Contracts;

namespace AirflowAspire.Tests.Contracts;

/// <summary>
/// Kombu's key names on Redis (kombu/transport/redis.py: <c>sep = '\x06\x16'</c>, <c>PRIORITY_STEPS = [0, 3, 6, 9]</c>,
/// <c>_q_for_pri</c>, <c>_queue_bind</c>) and Celery's queue lists, spelled once for the AppHost and the Verifier.
/// </summary>
public sealed class KombuRedisTests
{
    // \u, not \x: C#'s \x takes up to four hex digits, so "\x06\x163" is "\x06" and U+0163, not Kombu's "\x06\x16" and "3".
    [Fact]
    public void A_queue_lives_in_its_own_list_and_one_list_per_priority_step()
        => Assert.Equal(["default", "default\u0006\u00163", "default\u0006\u00166", "default\u0006\u00169"], KombuRedis.QueueLists("default"));

    [Fact]
    public void A_binding_joins_routing_key_pattern_and_queue_with_the_separator()
        => Assert.Equal("oid\u0006\u0016\u0006\u0016oid.reply.celery.pidbox", KombuRedis.Binding("oid", "", "oid.reply.celery.pidbox"));

    [Theory]
    [InlineData("default", new[] { "default" })]
    [InlineData(" default , etl,,", new[] { "default", "etl" })]
    [InlineData("", new string[0])]
    [InlineData(null, new string[0])]
    public void A_queue_list_is_comma_separated_and_trimmed(string? queues, string[] expected)
        => Assert.Equal(expected, CeleryQueues.Parse(queues));
}
