using CharWeb.Engine;
using Microsoft.Extensions.Options;

namespace CharWeb.Api.Hosting;

/// <summary>Every bad <c>CharWeb:Network:AllowedDestinations</c> entry fails the start, each named by its index.</summary>
internal sealed class NetworkSettingsValidation : IValidateOptions<CharWebOptions>
{
    public ValidateOptionsResult Validate(string? name, CharWebOptions options)
    {
        var errors = new List<FieldError>();
        options.Network.Destinations(errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Select(e => $"{e.Field}: {e.Message}"));
    }
}
