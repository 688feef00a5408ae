// autocannon in a process of its own, so the load generator never shares the API's event loop (in
// one process its HTTP parsing makes the loop's iterations long, and libuv accepts one connection per
// iteration: a burst of 200 connections then waits seconds in the kernel's accept queue, unseen).
//   node test/support/load-generator.mjs '<json options>'
// Options: { url, connections, seconds, rate?, requests: [{ method, path, headers?, body? }] }.
// Prints one JSON line: autocannon's counts and latency, status codes, and the 503 answers without
// Retry-After (each must carry it).
import autocannon from 'autocannon';

const options = JSON.parse(process.argv[2] ?? '{}');
let overloaded = 0;
let withoutRetryAfter = 0;
const onResponse = (status, _body, _context, headers) => {
  if (status !== 503) return;
  overloaded += 1;
  // autocannon keeps the raw header names (Retry-After): compared without case.
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'retry-after')) withoutRetryAfter += 1;
};

autocannon(
  {
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    requests: options.requests.map((request) => ({ ...request, onResponse })),
    ...(options.rate ? { overallRate: options.rate } : {}),
  },
  (error, result) => {
    if (error) {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    }
    const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]));
    process.stdout.write(
      `${JSON.stringify({
        requestsPerSecond: result.requests.average,
        latency: { average: result.latency.average, p99: result.latency.p99, max: result.latency.max },
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
        ok: result['2xx'],
        statusCodes,
        overloaded,
        withoutRetryAfter,
      })}\n`,
    );
  },
);
