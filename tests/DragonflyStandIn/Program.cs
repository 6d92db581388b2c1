using Garnet;

// The Dragonfly stand-in: accepts Dragonfly's command line and environment as Dragonfly v1.40.1 does at
// start-up (shared/reference/dragonfly-facts.md): --name=value flags, the password from DFLY_requirepass,
// an abort on any other DFLY_ variable, and an exit when --maxmemory is below 256 MiB per proactor
// thread. Then it serves the Redis protocol with Garnet. It is not Dragonfly: INFO server has
// garnet_version and no dragonfly_version, so the Verifier's broker-is-dragonfly check fails, naming Garnet.
const long MinimumBytesPerThread = 256L * 1024 * 1024;

// What Dragonfly accepts, as far as this stand-in models it: each name is a flag of Dragonfly v1.40.1's
// `dragonfly --helpfull` (shared/reference/dragonfly/helpfull-v1.40.1.txt). Dragonfly has about 220 more;
// the stand-in refuses those too, so a flag the AppHost starts sending (what we send is in AppHost/Dragonfly/:
// DragonflyBuilderExtensions.cs and DragonflyServerOptionsAnnotation.cs) fails here until it is checked in
// that list and added.
string[] known = ["logtostderr", "port", "bind", "proactor_threads", "maxmemory", "version_check", "dbfilename", "dir", "snapshot_cron"];

var flags = new Dictionary<string, string>();
foreach (var arg in args)
{
    var pair = arg.TrimStart('-').Split('=', 2);
    if (!arg.StartsWith("--", StringComparison.Ordinal) || !known.Contains(pair[0]))
    {
        Console.Error.WriteLine($"ERROR: Unknown command line argument '{arg}' (the Dragonfly stand-in accepts --name=value for: {string.Join(", ", known)})");
        return 1;
    }
    flags[pair[0]] = pair.Length > 1 ? pair[1] : "true";
}

foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(n => n.StartsWith("DFLY_", StringComparison.Ordinal)))
{
    if (name != "DFLY_requirepass")
    {
        Console.Error.WriteLine($"ERROR: Unknown environment variable {name}");
        return 1;
    }
}

var threads = int.Parse(flags.GetValueOrDefault("proactor_threads", "1"));
var maxMemory = long.Parse(flags.GetValueOrDefault("maxmemory", "0"));
if (maxMemory != 0 && maxMemory < threads * MinimumBytesPerThread)
{
    Console.Error.WriteLine($"There are {threads} threads, so {threads * MinimumBytesPerThread} are required. Exiting...");
    return 1;
}

var garnetArgs = new List<string>
{
    "--port", flags.GetValueOrDefault("port", "6379"),
    "--lua", "true",
};
// Dragonfly's --bind: "If empty - binds on all interfaces" (helpfull-v1.40.1.txt), which a container needs so that its
// published port reaches it. Garnet's own default is loopback only, so every interface is asked for by name.
var bind = flags.GetValueOrDefault("bind", "");
garnetArgs.AddRange(["--bind", bind.Length > 0 ? bind : "0.0.0.0"]);
var password = Environment.GetEnvironmentVariable("DFLY_requirepass");
if (!string.IsNullOrEmpty(password))
{
    garnetArgs.AddRange(["--auth", "Password", "--password", password]);
}

using var server = new GarnetServer([.. garnetArgs]);
server.Start();
Console.WriteLine($"Dragonfly stand-in (Garnet) listening on {(bind.Length > 0 ? bind : "all interfaces")}:{flags.GetValueOrDefault("port", "6379")}");

var stop = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.TrySetResult();
await stop.Task;
return 0;
