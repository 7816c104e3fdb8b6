import { randomUUID } from 'node:crypto';
import { IntegrationServerError } from '@tpo/integration-server-client';
import { OutboxWriter } from '@tpo/messaging';
import { createLogger } from '@tpo/platform';
import { Job, JobContext, JobOutcome } from '@tpo/jobs';
import { KasperskyClients } from '@tpo/site-directory';
import { ActivationServiceEnv } from '../config/activation-service.env';
import { ProtectionReportJob, ProtectionReportJobPayload } from './protection-report.job';
import { ProtectionReport, ProtectionReportRepository } from './protection-report.repository';

const CSV = Buffer.from(
  Array.from(
    { length: 6 },
    (_, i) => `t;Acme ü;00000000-0000-0000-0000-00000000000${i};vm-${i};2026-11-30T00:00:00;2026-12-01T00:00:00\r\n`,
  ).join(''),
);

/** In-memory stand-in for the repository (same methods the job calls). */
function memoryRepository(report: ProtectionReport) {
  let content: Buffer | null = null;
  const repo = {
    find: async () => ({ ...report }),
    content: async () => content ?? undefined,
    recordGenerateIntent: async () =>
      void Object.assign(report, { status: 'generating', generateIntentAt: new Date() }),
    recordTask: async (_id: string, taskId: string) => void (report.isTaskId = taskId),
    recordReportId: async (_id: string, id: string) =>
      void (
        (content = Buffer.alloc(0)),
        Object.assign(report, { status: 'downloading', isReportId: id, bytesDownloaded: 0, bytesTotal: null })
      ),
    appendChunk: async (_id: string, offset: number, bytes: Buffer, total: number) => {
      if (report.bytesDownloaded !== offset) return false;
      content = Buffer.concat([content ?? Buffer.alloc(0), bytes]);
      report.bytesDownloaded += bytes.length;
      report.bytesTotal = total;
      return true;
    },
    resetGeneration: async () =>
      void (
        (content = null),
        Object.assign(report, {
          status: 'pending',
          isTaskId: null,
          isReportId: null,
          bytesDownloaded: 0,
          bytesTotal: null,
        })
      ),
    markReady: async (_id: string, s: { rows: number }) =>
      void Object.assign(report, { status: 'ready', rowCount: s.rows }),
    markFailed: async () => void (report.status = 'failed'),
  };
  return { repo: repo as unknown as ProtectionReportRepository, state: report, bytes: () => content };
}

describe('ProtectionReportJob (fake Integration Server)', () => {
  const report = (): ProtectionReport => ({
    id: randomUUID(),
    tenantId: randomUUID(),
    siteId: 'site-1',
    isTenantId: randomUUID(),
    periodFrom: new Date('2026-11-30T00:00:00Z'),
    periodTo: new Date('2026-12-01T00:00:00Z'),
    trigger: 'schedule',
    requestedBy: null,
    status: 'pending',
    generateIntentAt: null,
    isTaskId: null,
    isReportId: null,
    bytesDownloaded: 0,
    bytesTotal: null,
    rowCount: null,
    protectedVms: null,
    sha256: null,
    errorCode: null,
    errorMessage: null,
    createdAt: new Date(),
    updatedAt: new Date(),
    readyAt: null,
  });

  function setup(r: ProtectionReport, opts: { crashOnCall?: number; files?: Buffer[] } = {}) {
    const calls = { generate: 0, ranges: [] as string[] };
    let reportNo = 0;
    const files = new Map<string, Buffer>();
    const client = {
      generateReport: async () => (calls.generate++, { taskId: `task-${calls.generate}` }),
      waitForTask: async (taskId: string) => {
        const id = `report-${++reportNo}`;
        files.set(id, opts.files?.[reportNo - 1] ?? CSV);
        return { id: taskId, state: 'Completed', result: { text: id } };
      },
      downloadReport: async (id: string, range: { start: number; end: number }) => {
        calls.ranges.push(`${id}:${range.start}-${range.end}`);
        if (opts.crashOnCall && calls.ranges.length === opts.crashOnCall)
          throw new Error('connection reset (the worker "crashes" here)');
        const file = files.get(id);
        if (!file) throw new IntegrationServerError(404, undefined, 'Report not found.', 'DownloadReport');
        if (range.start >= file.length) throw new IntegrationServerError(416, undefined, '', 'DownloadReport');
        const end = Math.min(range.end, file.length - 1);
        return {
          status: 206,
          content: '',
          bytes: file.subarray(range.start, end + 1),
          range: { start: range.start, end, total: file.length },
        };
      },
    };
    const mem = memoryRepository(r);
    const emitted: unknown[] = [];
    const outbox = { emit: async (_d: unknown, data: unknown) => void emitted.push(data) } as unknown as OutboxWriter;
    const clients = {
      integrationServer: async () => ({ site: { id: 'site-1' }, client }),
    } as unknown as KasperskyClients;
    const job = new ProtectionReportJob(
      mem.repo,
      outbox,
      clients,
      { REPORT_CHUNK_BYTES: 100, REPORT_TASK_DEADLINE_MS: 1000 } as ActivationServiceEnv,
      createLogger('test', 'silent'),
    );
    const ctx: JobContext<ProtectionReportJobPayload> = {
      job: { id: 'j', payload: { reportId: r.id } } as Job<ProtectionReportJobPayload>,
      signal: new AbortController().signal,
      record: (w) => w(),
      write: () => Promise.reject(new Error('the report job writes through record only')),
      query: () => Promise.reject(new Error('the report job writes through record only')),
      succeed: async (w) => (await w?.(), { settled: true } as JobOutcome),
      fail: async (_e, w) => (await w?.(), { settled: true } as JobOutcome),
      succeedWith: () => Promise.reject(new Error('the report job ends through succeed only')),
      failWith: () => Promise.reject(new Error('the report job ends through fail only')),
    };
    return { job, ctx, calls, mem, emitted, files };
  }

  it('downloads in ranges, stores the bytes as sent (a range may split a UTF-8 character) and announces figures only', async () => {
    const { job, ctx, calls, mem, emitted } = setup(report());
    await job.run(ctx);
    expect(calls.generate).toBe(1);
    expect(calls.ranges.length).toBe(Math.ceil(CSV.length / 100));
    expect(mem.bytes()!.equals(CSV)).toBe(true);
    expect(mem.state.status).toBe('ready');
    expect(emitted).toEqual([expect.objectContaining({ rows: 6, protectedVms: 6, bytes: CSV.length })]);
    expect(JSON.stringify(emitted)).not.toContain('vm-1');
  });

  it('after a crash mid-download, resumes at the stored offset without generating again', async () => {
    const { job, ctx, calls, mem } = setup(report(), { crashOnCall: 3 });
    await expect(job.run(ctx)).rejects.toThrow('connection reset');
    expect(mem.state.bytesDownloaded).toBe(200);
    await job.run(ctx);
    expect(calls.generate).toBe(1);
    expect(calls.ranges.slice(2, 4)).toEqual(['report-1:200-299', 'report-1:200-299']);
    expect(mem.bytes()!.equals(CSV)).toBe(true);
  });

  it('polls the stored task after a crash between the call and its answer being used', async () => {
    const r = { ...report(), status: 'generating' as const, isTaskId: 'task-from-before' };
    const { job, ctx, calls, mem } = setup(r);
    await job.run(ctx);
    expect(calls.generate).toBe(0);
    expect(mem.state.status).toBe('ready');
  });

  it('a report the server no longer has (404 after its lifetime) is generated again', async () => {
    const r = {
      ...report(),
      status: 'downloading' as const,
      isTaskId: 'old',
      isReportId: 'expired-report',
      bytesDownloaded: 100,
      bytesTotal: 600,
    };
    const { job, ctx, calls, mem } = setup(r);
    await job.run(ctx);
    expect(calls.generate).toBe(1);
    expect(mem.bytes()!.equals(CSV)).toBe(true);
  });

  it('a tenant the Integration Server no longer has (404 on generation) fails for good with TENANT_NOT_ON_INTEGRATION_SERVER', async () => {
    const r = report();
    const { job, ctx, mem } = setup(r);
    (job as unknown as { clients: KasperskyClients }).clients = {
      integrationServer: async () => ({
        site: { id: 'site-1' },
        client: {
          generateReport: async () =>
            Promise.reject(new IntegrationServerError(404, undefined, 'Tenant not found.', 'CreateTenantReport')),
        },
      }),
    } as unknown as KasperskyClients;
    const err = await job.run(ctx).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TENANT_NOT_ON_INTEGRATION_SERVER', retryable: false });
    await job.giveUp(ctx, err);
    expect(mem.state.status).toBe('failed');
  });

  it('an empty report (416 at byte 0) is ready with no rows', async () => {
    const { job, ctx, mem, emitted } = setup(report(), { files: [Buffer.alloc(0)] });
    await job.run(ctx);
    expect(mem.state.status).toBe('ready');
    expect(emitted).toEqual([expect.objectContaining({ rows: 0, protectedVms: 0, bytes: 0 })]);
  });
});
