import { PlatformMetrics } from './metrics';

async function busySeconds(metrics: PlatformMetrics): Promise<number> {
  const metric = await metrics.registry.getSingleMetric('tpo_event_loop_busy_seconds_total')!.get();
  return metric.values[0].value;
}

describe('PlatformMetrics', () => {
  it('counts the time the event loop spends running code, read when scraped', async () => {
    const metrics = new PlatformMetrics('svc');
    const before = await busySeconds(metrics);
    const until = Date.now() + 60;
    while (Date.now() < until); // 60 ms of work on the loop
    await new Promise((r) => setImmediate(r)); // the loop accounts for a turn once it ends
    const after = await busySeconds(metrics);
    expect(after - before).toBeGreaterThanOrEqual(0.05);
    expect((await metrics.registry.metrics()).includes('tpo_event_loop_busy_seconds_total{service="svc"}')).toBe(true);
  });

  it('still exposes the event-loop lag histogram of the default metrics', async () => {
    const text = await new PlatformMetrics('svc').registry.metrics();
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds\{service="svc"\}/m);
  });
});
