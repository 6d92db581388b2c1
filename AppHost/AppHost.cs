var builder = DistributedApplication.CreateBuilder(args);

// Celery's broker (db 0) and result backend (db 1): a container, or a local binary
// with --Dragonfly:Executable=PATH.
var dragonfly = builder.AddDragonfly("dragonfly");

builder.AddProject<Projects.Verifier>("verifier")
    .WithReference(dragonfly)
    .WaitFor(dragonfly);

builder.Build().Run();
