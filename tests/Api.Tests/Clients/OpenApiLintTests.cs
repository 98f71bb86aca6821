using CharWeb.Api.Tests.OpenApi;

namespace CharWeb.Api.Tests.Clients;

/// <summary>
/// <c>redocly lint</c> (its recommended rules, as clients/typescript/redocly.yaml answers them)
/// finds no error in the live document, with and without OpenID Connect configured.
/// </summary>
[Collection(nameof(ExternalTools))]
public sealed class OpenApiLintTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RedoclyFindsNoErrorInTheLiveDocument(bool oidc)
    {
        await using var server = await CharWebServer.StartAsync(settings: oidc ? SecurityDocumentTests.OidcSettings() : null);

        var output = await TypeScriptClient.RunAsync(server, "lint");

        Assert.Contains("Your API description is valid", output);
    }
}
