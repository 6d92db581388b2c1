using System.Text.RegularExpressions;
using Aspire.Hosting.ApplicationModel;

namespace AirflowAspire.AppHost;

/// <summary>
/// Where a container resource's image comes from, as its settings give it (<c>Section:Registry</c>, <c>Section:Image</c>,
/// <c>Section:ImageTag</c>): the vendor's registry by default, or a mirror or private registry that serves the same image.
/// </summary>
/// <param name="Section">The configuration section the three settings are read from, for the messages.</param>
/// <param name="Registry">The registry's host (and port, and path), without a scheme; empty: the engine's default (Docker Hub).</param>
/// <param name="Image">The image's path in the registry, e.g. <c>dragonflydb/dragonfly</c>.</param>
/// <param name="Tag">The tag.</param>
public sealed partial record ContainerImageSettings(string Section, string? Registry, string Image, string Tag)
{
    /// <summary>The image as an engine names it: <c>registry/image:tag</c>.</summary>
    public string Reference => Registry is { Length: > 0 } registry ? $"{registry}/{Image}:{Tag}" : $"{Image}:{Tag}";

    /// <summary>Throws <see cref="InvalidSettingException"/> naming the first setting that is not a valid image reference part.</summary>
    public void Validate()
    {
        if (Registry is { Length: > 0 } registry && !RegistryPattern().IsMatch(registry))
        {
            throw new InvalidSettingException(Section, "Registry", registry,
                "a registry host, with a port and a path if it has them and no scheme, e.g. registry.example.com:5000/mirror; " +
                "or empty for the engine's default registry");
        }
        if (!ImagePattern().IsMatch(Image))
        {
            throw new InvalidSettingException(Section, "Image", Image,
                "an image path of lowercase letters, digits and . _ - separated by /, without the registry or the tag, e.g. team/redis");
        }
        if (!TagPattern().IsMatch(Tag))
        {
            throw new InvalidSettingException(Section, "ImageTag", Tag,
                "a tag of letters, digits, _ . and - (up to 128, not starting with . or -), e.g. 8.6");
        }
    }

    /// <summary>Applies the image to a container resource (Aspire's <c>WithImage</c> and <c>WithImageRegistry</c>).</summary>
    public IResourceBuilder<T> ApplyTo<T>(IResourceBuilder<T> container) where T : ContainerResource
        => container.WithImage(Image, Tag).WithImageRegistry(Registry is { Length: > 0 } registry ? registry : null);

    // The grammar of a reference's parts (distribution/reference's regular expressions), simplified to what a setting needs.
    [GeneratedRegex(@"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]{1,5})?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex RegistryPattern();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex ImagePattern();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();
}
