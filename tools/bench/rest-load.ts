import autocannon from 'autocannon';

/**
 * The load generator of `bench:rest`, in its own process (forked by rest.bench.ts) so autocannon's
 * event loop is not the one that also drives the bench: it gets its own thread of execution and the
 * OS can schedule it beside the service. Reads one job from argv (JSON), prints one JSON line.
 */
interface LoadJob {
  url: string;
  headers: Record<string, string>;
  connections: number;
  seconds: number;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as LoadJob;
  const r = await autocannon({
    url: job.url,
    connections: job.connections,
    duration: job.seconds,
    headers: job.headers,
  });
  process.stdout.write(
    `${JSON.stringify({
      requests: r.requests.total,
      requestsPerSecond: Math.round(r.requests.average),
      p50Ms: r.latency.p50,
      p99Ms: r.latency.p99,
      non2xx: r.non2xx,
      errors: r.errors + r.timeouts,
    })}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});
