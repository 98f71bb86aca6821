using System.ComponentModel.DataAnnotations;
using CharWeb.Engine;
using Microsoft.Extensions.Options;

namespace CharWeb.Api.Hosting;

/// <summary>
/// Every bad <c>CharWeb:Network</c>, <c>CharWeb:Devices</c> and <c>CharWeb:Limits</c> setting fails
/// the start, all at once, each named by its key.
/// </summary>
internal sealed class PolicySettingsValidation : IValidateOptions<CharWebOptions>
{
    public ValidateOptionsResult Validate(string? name, CharWebOptions options)
    {
        var errors = new List<FieldError>();
        options.Network.Destinations(errors);
        var messages = errors.Select(e => $"{e.Field}: {e.Message}").ToList();
        messages.AddRange(DevicePolicy.Check(options.Devices.Allowed ?? []));
        var limits = new List<ValidationResult>();
        Validator.TryValidateObject(options.Limits, new ValidationContext(options.Limits), limits, validateAllProperties: true);
        messages.AddRange(limits.Select(r => $"CharWeb:Limits:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        return messages.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(messages);
    }
}
