using System.Security.Cryptography;
using System.Text;
using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost.Airflow;

/// <summary>
/// The secrets every Airflow process must share: generated once, kept in the AppHost's user
/// secrets (so stable across runs), and handed to each process as environment variables.
/// </summary>
public sealed class AirflowSecrets
{
    internal AirflowSecrets(ParameterResource adminPassword, ParameterResource jwtSecret, ParameterResource secretKey, ParameterResource fernetSeed)
    {
        AdminPassword = adminPassword;
        JwtSecret = jwtSecret;
        SecretKey = secretKey;
        FernetKey = new FernetKey(fernetSeed);
    }

    /// <summary>The password of the simple auth manager's <c>admin</c> user.</summary>
    public ParameterResource AdminPassword { get; }

    /// <summary><c>[api_auth] jwt_secret</c>: the scheduler signs task tokens with it, the api-server checks them.</summary>
    public ParameterResource JwtSecret { get; }

    /// <summary><c>[api] secret_key</c>: signs log-fetch tokens between the api-server and the workers' log servers.</summary>
    public ParameterResource SecretKey { get; }

    /// <summary><c>[core] fernet_key</c>: encrypts connections and variables in the metadata database.</summary>
    public FernetKey FernetKey { get; }
}

/// <summary>
/// A valid Fernet key (32 bytes, URL-safe base64) derived from a generated secret parameter:
/// the SHA-256 of the parameter's value. Aspire generates alphanumeric secrets only, so the key
/// is derived rather than generated; it is as stable as the parameter it comes from.
/// </summary>
public sealed class FernetKey(ParameterResource seed) : IValueProvider, IManifestExpressionProvider, IValueWithReferences
{
    /// <summary>The parameter the key is derived from.</summary>
    public ParameterResource Seed { get; } = seed;

    /// <inheritdoc />
    public string ValueExpression => Seed.ValueExpression;

    /// <inheritdoc />
    public IEnumerable<object> References => [Seed];

    /// <inheritdoc />
    public async ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default)
        => await Seed.GetValueAsync(cancellationToken).ConfigureAwait(false) is { } value ? Derive(value) : null;

    /// <summary>The Fernet key for a seed value.</summary>
    public static string Derive(string seed)
        => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(seed))).Replace('+', '-').Replace('/', '_');
}
