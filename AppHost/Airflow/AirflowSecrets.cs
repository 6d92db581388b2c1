using System.Security.Cryptography;
using System.Text;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Publishing;
using Microsoft.Extensions.Configuration;

namespace AirflowAspire.AppHost.Airflow;

/// <summary>
/// The secrets every Airflow process must share: secret parameters, generated once and kept in the
/// AppHost's user secrets (so stable across runs), handed to each process as environment variables.
/// </summary>
public sealed class AirflowSecrets
{
    private AirflowSecrets(ParameterResource adminPassword, ParameterResource jwtSecret, ParameterResource secretKey, ParameterResource fernetKey)
    {
        AdminPassword = adminPassword;
        JwtSecret = jwtSecret;
        SecretKey = secretKey;
        FernetKey = fernetKey;
    }

    /// <summary>The password of the simple auth manager's <c>admin</c> user (<c>{name}-admin-password</c>).</summary>
    public ParameterResource AdminPassword { get; }

    /// <summary><c>[api_auth] jwt_secret</c>: the scheduler signs task tokens with it, the api-server checks them.</summary>
    public ParameterResource JwtSecret { get; }

    /// <summary><c>[api] secret_key</c>: signs log-fetch tokens between the api-server and the workers' log servers.</summary>
    public ParameterResource SecretKey { get; }

    /// <summary><c>[core] fernet_key</c>: encrypts connections and variables in the metadata database.</summary>
    public ParameterResource FernetKey { get; }

    /// <summary>Adds the deployment's secret parameters: <c>{name}-admin-password</c> (or the one given), <c>{name}-jwt-secret</c>, <c>{name}-secret-key</c>, <c>{name}-fernet-key</c>.</summary>
    internal static AirflowSecrets Add(IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource>? adminPassword)
        => new(
            adminPassword?.Resource ?? Generated(builder, $"{name}-admin-password", 22),
            Generated(builder, $"{name}-jwt-secret", 64),
            Generated(builder, $"{name}-secret-key", 64),
            AddFernetKey(builder, $"{name}-fernet-key", $"{name}-fernet-seed"));

    // A manifest can only ask a deployment tool for an alphanumeric value to generate, which is no Fernet key: published, the
    // parameter has no default, so the tool asks for the key (and keeps it, as it must: what it encrypts needs the same key).
    private static ParameterResource AddFernetKey(IDistributedApplicationBuilder builder, string name, string seedName)
        => builder.ExecutionContext.IsPublishMode
            ? builder.AddParameter(name, secret: true).Resource
            : builder.AddParameter(name, new FernetKeyDefault(builder.Configuration, seedName), secret: true, persist: true).Resource;

    // Alphanumeric: these values go into URLs, JSON and config files unescaped.
    private static ParameterResource Generated(IDistributedApplicationBuilder builder, string name, int length)
        => builder.AddParameter(name, new GenerateParameterDefault { MinLength = length, Special = false }, secret: true, persist: true).Resource;
}

/// <summary>
/// A new Fernet key (32 random bytes, URL-safe base64), which Aspire's generated values (alphanumeric) cannot be.
/// </summary>
/// <remarks>
/// Deployments made before the key was a parameter of its own derived it from a <c>{name}-fernet-seed</c> parameter
/// (the SHA-256 of its value); when that seed is still in the configuration the same key is derived from it, so the
/// connections and variables it encrypted stay readable. A published manifest carries no default (the parameter is added
/// without this one when publishing): the key is a secret input the deployment tool asks for.
/// </remarks>
/// <param name="configuration">The AppHost's configuration, where a seed of an earlier deployment may be.</param>
/// <param name="seedParameterName">The name of that earlier seed parameter.</param>
public sealed class FernetKeyDefault(IConfiguration configuration, string seedParameterName) : ParameterDefault
{
    /// <inheritdoc />
    public override string GetDefaultValue()
        => configuration[$"Parameters:{seedParameterName}"] is { Length: > 0 } seed
            ? Derive(Encoding.UTF8.GetBytes(seed))
            : Encode(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// Refuses: a manifest's default is a value or a generated alphanumeric string, and a Fernet key is neither (writing
    /// nothing would leave an empty <c>default</c> a deployment tool cannot read). Publish the parameter without a default.
    /// </summary>
    public override void WriteToManifest(ManifestPublishingContext context)
        => throw new DistributedApplicationException(
            "A Fernet key cannot be a manifest default: add the parameter without a default when publishing, so the deployment tool asks for it.");

    /// <summary>The key an earlier deployment derived from its seed.</summary>
    public static string Derive(byte[] seed) => Encode(SHA256.HashData(seed));

    private static string Encode(byte[] key) => Convert.ToBase64String(key).Replace('+', '-').Replace('/', '_');
}
