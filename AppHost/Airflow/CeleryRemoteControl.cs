using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AirflowAspire.Contracts;
using StackExchange.Redis;

namespace AirflowAspire.AppHost.Airflow;

/// <summary>
/// Celery's remote-control <c>ping</c> to one worker, what <c>celery inspect ping -d NODE</c> does,
/// spoken directly in Kombu's Redis transport so a health check needs no Python process.
/// </summary>
/// <remarks>
/// The wire format is Kombu's (<c>kombu/pidbox.py</c> and <c>kombu/transport/redis.py</c>):
/// a command is a message PUBLISHed on the fanout channel <c>/{db}.celery.pidbox</c>, which every
/// worker of the broker's database subscribes to; the worker named in <c>destination</c> replies
/// through the direct exchange <c>reply.celery.pidbox</c>, which Kombu routes by the bindings in the
/// set <c>_kombu.binding.reply.celery.pidbox</c> and delivers with LPUSH onto the bound list.
/// </remarks>
public sealed class CeleryRemoteControl
{
    private const string ControlExchange = "celery.pidbox";
    private const string ReplyExchange = "reply.celery.pidbox";
    private static readonly TimeSpan ReplyPollInterval = TimeSpan.FromMilliseconds(25);
    // Kombu's Mailbox gives reply queues the same 10 s expiry.
    private static readonly TimeSpan ReplyQueueExpiry = TimeSpan.FromSeconds(10);

    private readonly IConnectionMultiplexer _broker;
    private readonly int _database;
    // One mailbox id per client, as Kombu's Mailbox.oid: replies to every call land in one list.
    private readonly string _oid = Guid.NewGuid().ToString();

    /// <summary>A client of the workers of one broker database (Celery's broker URL <c>…/N</c>).</summary>
    public CeleryRemoteControl(IConnectionMultiplexer broker, int database)
    {
        _broker = broker;
        _database = database;
    }

    private string ReplyQueue => $"{_oid}.{ReplyExchange}";

    private string ReplyBinding => KombuRedis.Binding(routingKey: _oid, pattern: "", ReplyQueue);

    /// <summary>Pings the worker whose Celery node name is <paramref name="node"/> (<c>name@host</c>).</summary>
    public async Task<CeleryPingResult> PingAsync(string node, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var db = _broker.GetDatabase(_database);
        var ticket = Guid.NewGuid().ToString();
        var expires = DateTimeOffset.UtcNow.Add(timeout);

        // The binding lets the worker's reply reach our list; ForgetAsync removes both when the AppHost stops.
        await db.SetAddAsync($"_kombu.binding.{ReplyExchange}", ReplyBinding).ConfigureAwait(false);
        var listeners = await _broker.GetSubscriber().PublishAsync(
            RedisChannel.Literal($"/{_database}.{ControlExchange}"), Envelope(Command(node, ticket), expires)).ConfigureAwait(false);
        if (listeners == 0)
        {
            return CeleryPingResult.NoWorkers;
        }
        try
        {
            while (DateTimeOffset.UtcNow < expires)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var raw = await db.ListRightPopAsync(ReplyQueue).ConfigureAwait(false);
                if (raw.IsNull)
                {
                    await Task.Delay(ReplyPollInterval, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (ReadReply(raw!, ticket) is { } reply && reply[node] is { } answer)
                {
                    return new CeleryPingResult(CeleryPingOutcome.Answered, listeners, answer.ToJsonString());
                }
                // A late reply to an earlier ping (another ticket): skip it.
            }
            return new CeleryPingResult(CeleryPingOutcome.NoAnswer, listeners, null);
        }
        finally
        {
            // Once the list exists (a reply came), it expires by itself should the AppHost be killed.
            await db.KeyExpireAsync(ReplyQueue, ReplyQueueExpiry).ConfigureAwait(false);
        }
    }

    /// <summary>The pidbox command, as <c>Mailbox._publish</c> builds it.</summary>
    private JsonObject Command(string node, string ticket) => new()
    {
        ["method"] = "ping",
        ["arguments"] = new JsonObject(),
        ["destination"] = new JsonArray(node),
        ["pattern"] = null,
        ["matcher"] = null,
        ["ticket"] = ticket,
        ["reply_to"] = new JsonObject { ["exchange"] = ReplyExchange, ["routing_key"] = _oid },
    };

    /// <summary>Kombu's virtual-transport message: a base64 JSON body, headers and delivery properties.</summary>
    private static string Envelope(JsonObject body, DateTimeOffset expires) => new JsonObject
    {
        ["body"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(body.ToJsonString())),
        ["content-encoding"] = "utf-8",
        ["content-type"] = "application/json",
        ["headers"] = new JsonObject
        {
            ["clock"] = 1,
            // Seconds since the epoch, as Kombu sends it; Celery's workers do not check it, Kombu's reply reader does.
            ["expires"] = expires.ToUnixTimeMilliseconds() / 1000.0,
        },
        ["properties"] = new JsonObject
        {
            ["delivery_mode"] = 1,
            ["delivery_info"] = new JsonObject { ["exchange"] = ControlExchange, ["routing_key"] = "" },
            ["priority"] = 0,
            ["body_encoding"] = "base64",
            ["delivery_tag"] = Guid.NewGuid().ToString(),
        },
    }.ToJsonString();

    /// <summary>The reply's body (<c>{"node": {"ok": "pong"}}</c>) when it answers this ticket.</summary>
    private static JsonObject? ReadReply(string raw, string ticket)
    {
        try
        {
            var message = JsonNode.Parse(raw);
            if (message?["headers"]?["ticket"]?.GetValue<string>() != ticket)
            {
                return null;
            }
            var body = message["body"]?.GetValue<string>() ?? "";
            if (message["properties"]?["body_encoding"]?.GetValue<string>() == "base64")
            {
                body = Encoding.UTF8.GetString(Convert.FromBase64String(body));
            }
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (Exception exception) when (exception is JsonException or FormatException or InvalidOperationException)
        {
            return null; // Not a Kombu message: nothing of ours.
        }
    }

    /// <summary>Removes this client's reply binding and list from the broker.</summary>
    public async Task ForgetAsync()
    {
        var db = _broker.GetDatabase(_database);
        await db.SetRemoveAsync($"_kombu.binding.{ReplyExchange}", ReplyBinding).ConfigureAwait(false);
        await db.KeyDeleteAsync(ReplyQueue).ConfigureAwait(false);
    }
}

/// <summary>How a ping ended.</summary>
public enum CeleryPingOutcome
{
    /// <summary>Nobody subscribes to the control channel: no worker is connected to this broker database.</summary>
    NoWorkers,
    /// <summary>Workers listen, but the one pinged did not answer in time.</summary>
    NoAnswer,
    /// <summary>The worker answered.</summary>
    Answered,
}

/// <summary>The outcome of a ping, how many clients received it, and the worker's answer.</summary>
public sealed record CeleryPingResult(CeleryPingOutcome Outcome, long Listeners, string? Answer)
{
    internal static readonly CeleryPingResult NoWorkers = new(CeleryPingOutcome.NoWorkers, 0, null);
}
