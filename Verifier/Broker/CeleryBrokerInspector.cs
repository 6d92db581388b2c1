using System.Globalization;
using System.Text.Json;
using AirflowAspire.Contracts;
using StackExchange.Redis;

namespace AirflowAspire.Verifier.Broker;

/// <summary>
/// What the broker says it is, from <c>INFO server</c>: <see cref="Kind"/> is <c>dragonfly</c>, <c>garnet</c>, <c>valkey</c>,
/// <c>redis</c> (only <c>redis_version</c>, which the others also report) or <c>unknown</c>.
/// </summary>
public sealed record BrokerIdentity(string Endpoint, string Kind, string Description)
{
    /// <summary>True when the server is Dragonfly.</summary>
    public bool IsDragonfly => Kind == "dragonfly";

    /// <summary>True when the server is the one named (<c>dragonfly</c>, <c>redis</c>, ...).</summary>
    public bool Is(string kind) => Kind.Equals(kind, StringComparison.OrdinalIgnoreCase);
}

/// <summary>A Celery result-backend entry (<c>celery-task-meta-&lt;id&gt;</c>): the task's status and, on failure, its error.</summary>
public sealed record CeleryResult(string TaskId, string Status, DateTimeOffset? DateDone, string? Error);

/// <summary>
/// Reads Celery's traces in the broker: the server's identity, the result backend's
/// <c>celery-task-meta-*</c> entries, and the length of the queues (Kombu's Redis lists).
/// </summary>
public sealed class CeleryBrokerInspector(IConnectionMultiplexer redis, int brokerDatabase, int resultDatabase)
{
    /// <summary><c>INFO server</c>: Dragonfly sets <c>dragonfly_version</c>; Redis, Valkey and Garnet do not.</summary>
    public async Task<BrokerIdentity> IdentifyAsync()
    {
        var server = redis.GetServers()[0];
        var info = (await server.InfoAsync("server").ConfigureAwait(false))
            .SelectMany(group => group).GroupBy(pair => pair.Key).ToDictionary(g => g.Key, g => g.First().Value);
        var endpoint = server.EndPoint switch
        {
            System.Net.DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
            var other => other.ToString() ?? "the broker",
        };
        return Identify(endpoint, info);
    }

    /// <summary>Reads the fields of an <c>INFO server</c> answer.</summary>
    public static BrokerIdentity Identify(string endpoint, IReadOnlyDictionary<string, string> info)
    {
        // Dragonfly, Garnet and Valkey report a redis_version too: their own field decides first.
        return info.TryGetValue("dragonfly_version", out var dragonfly) ? new BrokerIdentity(endpoint, "dragonfly", $"Dragonfly {dragonfly}")
            : info.TryGetValue("garnet_version", out var garnet) ? new BrokerIdentity(endpoint, "garnet", $"Garnet {garnet}")
            : info.TryGetValue("valkey_version", out var valkey) ? new BrokerIdentity(endpoint, "valkey", $"Valkey {valkey}")
            : info.TryGetValue("redis_version", out var version) ? new BrokerIdentity(endpoint, "redis", $"Redis {version}")
            : new BrokerIdentity(endpoint, "unknown", "an unknown server");
    }

    /// <summary>The result-backend entries whose task finished at or after <paramref name="since"/>.</summary>
    public async Task<IReadOnlyList<CeleryResult>> ResultsSinceAsync(DateTimeOffset since)
    {
        var server = redis.GetServers()[0];
        var db = redis.GetDatabase(resultDatabase);
        var results = new List<CeleryResult>();
        await foreach (var key in server.KeysAsync(resultDatabase, "celery-task-meta-*", pageSize: 500).ConfigureAwait(false))
        {
            var value = await db.StringGetAsync(key).ConfigureAwait(false);
            if (value.HasValue && Parse(value!) is { } result && (result.DateDone is null || result.DateDone >= since))
            {
                results.Add(result);
            }
        }
        return results;
    }

    /// <summary>Parses a <c>celery-task-meta-*</c> value (JSON with <c>status</c>, <c>result</c>, <c>date_done</c>, <c>task_id</c>).</summary>
    public static CeleryResult? Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var status = root.TryGetProperty("status", out var s) ? s.GetString() ?? "" : "";
            var taskId = root.TryGetProperty("task_id", out var t) ? t.GetString() ?? "" : "";
            DateTimeOffset? done = root.TryGetProperty("date_done", out var d) && d.ValueKind == JsonValueKind.String
                // Celery 5.2 writes naive UTC; newer versions add the offset.
                && DateTimeOffset.TryParse(d.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
                ? parsed : null;
            string? error = null;
            if (status is "FAILURE" && root.TryGetProperty("result", out var failure) && failure.ValueKind == JsonValueKind.Object)
            {
                var type = failure.TryGetProperty("exc_type", out var et) ? et.GetString() : null;
                var message = failure.TryGetProperty("exc_message", out var em)
                    ? em.ValueKind == JsonValueKind.Array ? string.Join("; ", em.EnumerateArray().Select(m => m.ToString())) : em.ToString()
                    : null;
                error = $"{type}: {message}";
            }
            return new CeleryResult(taskId, status, done, error);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Messages still waiting in a queue of the broker database, every priority included.</summary>
    public async Task<long> QueueLengthAsync(string queue)
    {
        var db = redis.GetDatabase(brokerDatabase);
        long total = 0;
        foreach (var list in KombuRedis.QueueLists(queue))
        {
            total += await db.ListLengthAsync(list).ConfigureAwait(false);
        }
        return total;
    }
}
