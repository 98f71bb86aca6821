#!/usr/bin/env bash
# Regenerates clients/CharWeb.Client/Generated from the OpenAPI document of a freshly started CharWeb.
# The test GeneratedClientTests fails whenever the committed client differs from what this writes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export KIOTA_OFFLINE_ENABLED=true DOTNET_CLI_TELEMETRY_OPTOUT=1
dotnet tool restore >/dev/null
dotnet build src/Api -c Release -v q -nologo >/dev/null
data=$(mktemp -d)
port=${PORT:-5099}
dotnet src/Api/bin/Release/net10.0/CharWeb.dll --urls "http://127.0.0.1:$port" --CharWeb:DataDir="$data" >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/swagger/v1/swagger.json" -o "$data/openapi.json" 2>/dev/null && break
  sleep 0.2
done
test -s "$data/openapi.json" || { cat "$data/server.log"; echo "server did not serve its OpenAPI document" >&2; exit 1; }
dotnet kiota generate -d "$data/openapi.json" -l CSharp -c CharWebApiClient -n CharWeb.Client \
  -o clients/CharWeb.Client/Generated --clean-output --exclude-backward-compatible --log-level Warning
rm -f clients/CharWeb.Client/Generated/kiota-lock.json clients/CharWeb.Client/Generated/.kiota.log
echo "regenerated clients/CharWeb.Client/Generated"
