import { Inject, Injectable } from '@nestjs/common';
import { ProtectionReportReady } from '@tpo/contracts';
import { IntegrationServerClient, IntegrationServerError, IsTaskFailedError } from '@tpo/integration-server-client';
import { OutboxWriter } from '@tpo/messaging';
import { DomainError, LOGGER, SERVICE_CONFIG } from '@tpo/platform';
import { JobContext, JobHandler, JobOutcome } from '@tpo/jobs';
import { KasperskyClients } from '@tpo/site-directory';
import { classifyVendorError } from '@tpo/vendor-failures';
import type { Logger } from 'pino';
import { ActivationServiceEnv } from '../config/activation-service.env';
import { summarizeReport } from './report-period';
import { ProtectionReport, ProtectionReportRepository } from './protection-report.repository';

export const PROTECTION_REPORT_JOB = 'protection-report';
/** A report's failure code when the tenant is gone from the Integration Server; such tenants get no further reports. */
export const TENANT_NOT_ON_INTEGRATION_SERVER = 'TENANT_NOT_ON_INTEGRATION_SERVER';

export interface ProtectionReportJobPayload {
  reportId: string;
}

/**
 * Generates a tenant's protection report on the Integration Server (CreateTenantReport, task id
 * stored before polling), downloads it in byte ranges (`Accept: application/csv`, each range
 * committed with its offset so a restart resumes where it stopped), stores it and announces it with
 * ProtectionReportReady (figures only). A report the server no longer has (404 after its 24 h
 * lifetime, or an unknown id) is generated again.
 */
@Injectable()
export class ProtectionReportJob implements JobHandler<ProtectionReportJobPayload> {
  readonly kind = PROTECTION_REPORT_JOB;

  constructor(
    private readonly reports: ProtectionReportRepository,
    private readonly outbox: OutboxWriter,
    private readonly clients: KasperskyClients,
    @Inject(SERVICE_CONFIG) private readonly config: ActivationServiceEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async run(ctx: JobContext<ProtectionReportJobPayload>): Promise<JobOutcome> {
    let report = await this.reports.find(ctx.job.payload.reportId);
    if (!report) return ctx.fail('report record not found');
    if (report.status === 'ready') return ctx.succeed();
    const { client } = await this.clients.integrationServer(report.siteId);
    // At most two passes: the file may have expired between generation and a resumed download.
    for (let pass = 0; pass < 2; pass++) {
      const reportId = report.isReportId ?? (await this.generate(ctx, report, client));
      report = (await this.reports.find(report.id))!;
      const content = await this.download(ctx, report, client, reportId);
      if (content) return this.finish(ctx, report, content);
      await ctx.record(() =>
        this.reports.resetGeneration(report!.id, {
          code: 'REPORT_GONE',
          message: 'the Integration Server no longer has the report file; generating it again',
        }),
      );
      report = (await this.reports.find(report.id))!;
    }
    throw new DomainError('REPORT_GONE', 'the Integration Server lost the report file twice in a row', {
      retryable: true,
    });
  }

  async giveUp(ctx: JobContext<ProtectionReportJobPayload>, error: unknown): Promise<JobOutcome> {
    const c = classifyVendorError(error);
    this.logger.warn({ reportId: ctx.job.payload.reportId, code: c.code }, 'protection report failed');
    return ctx.fail(c.message, () =>
      this.reports.markFailed(ctx.job.payload.reportId, { code: c.code, message: c.message }),
    );
  }

  /** Polls the stored task, or starts one (intent first), and returns the report id from its result. */
  private async generate(
    ctx: JobContext<ProtectionReportJobPayload>,
    report: ProtectionReport,
    client: IntegrationServerClient,
  ): Promise<string> {
    let taskId = report.isTaskId;
    if (!taskId) {
      await ctx.record(() => this.reports.recordGenerateIntent(report.id));
      ctx.signal.throwIfAborted();
      const handle = await client
        .generateReport({ tenantId: report.isTenantId, from: report.periodFrom, to: report.periodTo })
        .catch((e: unknown) => {
          // 404: the Integration Server no longer knows the tenant (deprovisioned): no report, now or later.
          if (e instanceof IntegrationServerError && e.status === 404) {
            throw new DomainError(
              TENANT_NOT_ON_INTEGRATION_SERVER,
              `the Integration Server has no tenant ${report.isTenantId} any more`,
              { retryable: false, cause: e },
            );
          }
          throw e;
        });
      taskId = handle.taskId;
      await ctx.record(() => this.reports.recordTask(report.id, handle.taskId));
    }
    try {
      const task = await client.waitForTask(taskId, {
        signal: ctx.signal,
        deadlineMs: this.config.REPORT_TASK_DEADLINE_MS,
      });
      const reportId = task.result?.text?.trim();
      if (!reportId)
        throw new DomainError(
          'REPORT_TASK_WITHOUT_ID',
          `CreateTenantReport task ${taskId} completed without a report id`,
          { retryable: true },
        );
      await ctx.record(() => this.reports.recordReportId(report.id, reportId));
      return reportId;
    } catch (e) {
      const taskGone = e instanceof IntegrationServerError && e.status === 404; // e.g. the server's task history was cleared
      if (!(e instanceof IsTaskFailedError) && !(e instanceof DomainError) && !taskGone) throw e;
      // The task is over (or unknown): the next try starts a new one.
      const c = classifyVendorError(e);
      await ctx.record(() => this.reports.resetGeneration(report.id, { code: c.code, message: c.message }));
      throw new DomainError(c.code, c.message, {
        retryable: taskGone || c.kind === 'transient' || c.retryable,
        cause: e,
      });
    }
  }

  /** Downloads from the stored offset; undefined when the server no longer has the file. */
  private async download(
    ctx: JobContext<ProtectionReportJobPayload>,
    report: ProtectionReport,
    client: IntegrationServerClient,
    reportId: string,
  ): Promise<Buffer | undefined> {
    let offset = report.bytesDownloaded;
    let total = report.bytesTotal ?? undefined;
    const chunk = this.config.REPORT_CHUNK_BYTES;
    while (total === undefined || offset < total) {
      ctx.signal.throwIfAborted();
      let part;
      try {
        part = await client.downloadReport(reportId, { start: offset, end: offset + chunk - 1 });
      } catch (e) {
        if (e instanceof IntegrationServerError && e.status === 404) return undefined;
        // 416: nothing at this offset. An empty report has no byte 0; otherwise we are past the end.
        if (e instanceof IntegrationServerError && e.status === 416 && offset === 0) {
          total = 0;
          break;
        }
        throw e;
      }
      if (part.status === 200) {
        // The server sent the whole file (it ignored the range): keep it whole.
        if (offset > 0) await ctx.record(() => this.reports.recordReportId(report.id, reportId));
        await ctx.record(
          async () => void (await this.reports.appendChunk(report.id, 0, part.bytes, part.bytes.length)),
        );
        offset = total = part.bytes.length;
        break;
      }
      if (!part.range || part.range.start !== offset)
        throw new DomainError(
          'REPORT_RANGE_MISMATCH',
          `asked for bytes from ${offset}, got ${part.range ? `${part.range.start}-${part.range.end}` : 'no Content-Range'}`,
          { retryable: true },
        );
      const t = part.range.total >= 0 ? part.range.total : undefined;
      const at = offset;
      let appended = false;
      await ctx.record(
        async () =>
          void (appended = await this.reports.appendChunk(report.id, at, part.bytes, t ?? at + part.bytes.length)),
      );
      if (!appended)
        throw new DomainError('REPORT_DOWNLOAD_RACED', 'the stored download moved on under this worker', {
          retryable: true,
        });
      offset += part.bytes.length;
      total = t ?? (part.bytes.length < chunk ? offset : undefined);
      if (part.bytes.length === 0) break;
    }
    return (await this.reports.content(report.id)) ?? Buffer.alloc(0);
  }

  private async finish(
    ctx: JobContext<ProtectionReportJobPayload>,
    report: ProtectionReport,
    content: Buffer,
  ): Promise<JobOutcome> {
    const s = summarizeReport(content);
    return ctx.succeed(async () => {
      await this.reports.markReady(report.id, s);
      await this.outbox.emit(
        ProtectionReportReady,
        {
          reportId: report.id,
          tenantId: report.tenantId,
          siteId: report.siteId,
          periodFrom: report.periodFrom.toISOString(),
          periodTo: report.periodTo.toISOString(),
          trigger: report.trigger,
          rows: s.rows,
          protectedVms: s.protectedVms,
          bytes: s.bytes,
          sha256: s.sha256,
        },
        { tenantId: report.tenantId },
      );
    });
  }
}
