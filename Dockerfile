# CharWeb: multi-stage build. The test PublishedAppTests runs this same publish command and starts its output.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# The build runs 'npm ci' in src/wwwroot for xterm.js and SignalR (pinned by package-lock.json).
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN dotnet publish src/Api/Api.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown app:app /data
WORKDIR /app
COPY --from=build /app .
# The SQLite database, default logs and files live in the data volume.
ENV ASPNETCORE_URLS=http://+:8080 \
    CharWeb__DataDir=/data
VOLUME /data
EXPOSE 8080
USER app
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["dotnet", "CharWeb.dll"]
