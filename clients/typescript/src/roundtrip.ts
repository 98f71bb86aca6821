// A round trip through CharWeb with the TypeScript types that openapi-typescript generates from a live
// server's OpenAPI document (npm run generate) and openapi-fetch: create, write, read, QMP, remove.
// CHARWEB_URL names the server, CHARWEB_TOKEN an API key when the server asks for one.
// tests/Api.Tests/Clients/TypeScriptClientTests type-checks this file against a fresh generation and runs it.
import createClient from "openapi-fetch";
import type { components, paths } from "../generated/charweb.js";

type Chardev = components["schemas"]["ChardevResponse"];
type Problem = components["schemas"]["ProblemDetails"];

const baseUrl = process.env.CHARWEB_URL ?? "http://localhost:5080";
const token = process.env.CHARWEB_TOKEN;
const client = createClient<paths>({ baseUrl, headers: token ? { Authorization: `Bearer ${token}` } : {} });
const id = process.argv[2] ?? "ts-roundtrip";

function check(condition: boolean, what: string, seen: unknown): asserts condition {
  if (!condition) {
    throw new Error(`${what}; got ${JSON.stringify(seen)}`);
  }
}

// Every field the server always sends is required in the document: no undefined checks here.
function summary(chardev: Chardev): string {
  const bytes: number = chardev.stats.outputBytes + chardev.stats.outputDropped + chardev.stats.inputBytes + chardev.stats.inputDropped;
  const since: string = chardev.createdAt;
  return `${chardev.id} ${chardev.backend.type} ${chardev.state} connected=${chardev.connected} consoles=${chardev.consoles} bytes=${bytes} since=${since.length > 0}`;
}

const created = await client.POST("/api/chardevs", { body: { id, history: 0, backend: { type: "ringbuf", size: 64 } } });
check(created.response.status === 201 && created.data !== undefined, "create answers 201", created.error);
const size = created.data.backend.type === "ringbuf" ? created.data.backend.size : undefined;
console.log(`created ${summary(created.data)} size=${size}`);

const written = await client.POST("/api/chardevs/{id}/write", { params: { path: { id } }, body: { data: "from typescript", format: "utf8" } });
check(written.data !== undefined, "write answers", written.error);
const accepted: number = written.data.accepted;
console.log(`wrote accepted=${accepted}`);

const parts: string[] = [];
for (const want of [4, 64, 64]) {
  const read = await client.GET("/api/chardevs/{id}/read", { params: { path: { id }, query: { size: want, format: "utf8" } } });
  check(read.data !== undefined, "read answers", read.error);
  parts.push(JSON.stringify(read.data.data));
}
console.log(`read ${parts.join(" ")}`);

// QMP: verbatim QAPI JSON; `return` is any JSON value, `error` QMP's {class, desc}.
const query = await client.POST("/api/qmp", { body: { execute: "query-chardev", id: 7 } });
check(query.data !== undefined && Array.isArray(query.data.return), "query-chardev returns a list", query.data ?? query.error);
const labels = (query.data.return as Array<{ label: string }>).map(c => c.label);
console.log(`qmp query-chardev lists=${labels.includes(id)} id=${JSON.stringify(query.data.id)}`);

const qmpWrite = await client.POST("/api/qmp", { body: { execute: "ringbuf-write", arguments: { device: id, data: "qmp" } } });
const qmpRead = await client.POST("/api/qmp", { body: { execute: "ringbuf-read", arguments: { device: id, size: 16 } } });
check(qmpWrite.data?.error === undefined && typeof qmpRead.data?.return === "string", "ringbuf-write then ringbuf-read", [qmpWrite.data, qmpRead.data]);
console.log(`qmp ringbuf-read ${JSON.stringify(qmpRead.data.return)}`);

const missing = await client.POST("/api/qmp", { body: { execute: "ringbuf-read", arguments: { device: "no-such-ringbuf", size: 1 } } });
check(missing.data?.error !== undefined, "a QMP error answer", missing.data);
console.log(`qmp error class=${missing.data.error.class}`);

// A unix socket server: the address is the inet/unix union, told apart by its type.
const socket = await client.POST("/api/chardevs", {
  body: { id: `${id}-sock`, backend: { type: "socket", server: true, addr: { type: "unix", path: `${id}.sock` } } },
});
check(socket.data !== undefined, "socket create answers", socket.error);
const backend = socket.data.backend;
const address = backend.type === "socket" && backend.addr.type === "unix" ? `unix:${backend.addr.path}` : "not unix";
console.log(`socket ${socket.data.state} ${address}`);

// Problem details: status, a stable type, errors by field and the trace id.
const gone = await client.GET("/api/chardevs/{id}", { params: { path: { id: "no-such-chardev" } } });
const problem: Problem | undefined = gone.error;
check(problem !== undefined && problem.status === 404, "an unknown chardev is 404", problem);
console.log(`problem ${problem.status} ${problem.type} fields=${Object.keys(problem.errors).join(",")} trace=${problem.traceId.length > 0}`);

for (const name of [id, `${id}-sock`]) {
  const removed = await client.DELETE("/api/chardevs/{id}", { params: { path: { id: name } } });
  check(removed.response.status === 204, `remove ${name} answers 204`, removed.error);
}

const listed = await client.GET("/api/chardevs");
check(listed.data !== undefined, "list answers", listed.error);
console.log(`removed listed=${listed.data.some(c => c.id === id)}`);
console.log("roundtrip passed");
