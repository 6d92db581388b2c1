using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>Waits on a group of resources, such as the Celery workers.</summary>
public static class WaitForAllExtensions
{
    /// <summary>Waits until every resource of the group is running (and healthy, where it has health checks).</summary>
    public static IResourceBuilder<T> WaitFor<T, TOther>(this IResourceBuilder<T> builder, IEnumerable<IResourceBuilder<TOther>> dependencies)
        where T : IResourceWithWaitSupport where TOther : IResource
    {
        foreach (var dependency in dependencies)
        {
            builder.WaitFor(builder.ApplicationBuilder.CreateResourceBuilder<IResource>(dependency.Resource));
        }
        return builder;
    }
}
