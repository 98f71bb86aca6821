using CharWeb.Api;

var app = CharWebApp.Create(args);
await app.RunAsync();
