import {
  HttpRequest,
  HttpResponse,
  HttpStatusError,
  ResilientHttp,
  ResilientHttpOptions,
  TaskDurations,
} from '@tpo/kaspersky-http';
import type { Logger } from 'pino';
import { IntegrationServerError, IntegrationServerProtocolError } from './errors';
import { IsTask, IsTenant, IsVm, listOf, taskFrom, taskIdFrom, tenantFrom, TenantType, vmFrom } from './model';
import { waitForTask, WaitForTaskOptions } from './task-poller';
import { assertXmlText, buildXml, cdata, parseXml, XmlNode, XmlSafetyError } from './xml-codec';

const BASE = '/api/2.0/virtualization';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface IntegrationServerClientOptions extends Omit<ResilientHttpOptions, 'name' | 'baseUrl' | 'logger'> {
  /** `https://<IS address>:7271` */
  baseUrl: string;
  /** The IS account for the REST API; `multitenancy` on every Integration Server (§1.2). */
  username?: string;
  password: string;
  logger?: Logger;
  /** Longest free-text field accepted before building XML (API4 / X5). */
  maxTextLength?: number;
}

export interface CreateTenantRequest {
  name: string;
  description?: string;
  userData?: string;
  preferredViisAddress?: string;
  type: TenantType;
  /** Complete tenants only: the vKSC administrator; the password is sent Base64-encoded (§3.4). */
  vKsc?: { name: string; password: string };
}

export interface TaskHandle {
  taskId: string;
  /** The task as returned with the 202, when the server sent one. */
  task?: IsTask;
}

export interface ReportChunk {
  status: 200 | 206;
  content: string;
  /** The bytes received (a range may split a UTF-8 character; join the bytes, decode the whole). */
  bytes: Buffer;
  /** Parsed from `Content-Range` (RFC form or the vendor's `bytes=a-b/total`, §4.2). */
  range?: { start: number; end: number; total: number };
}

const NAME_MAX = 256;

/**
 * Client of the KSV Light Agent Integration Server multitenancy REST API
 * (shared/reference/integration-server-api.md §3-5). Every call is Basic-authenticated with the
 * `multitenancy` account; state-changing calls are never blindly retried (see ResilientHttp).
 */
export class IntegrationServerClient {
  private readonly http: ResilientHttp;
  /** What this server's tasks took so far, per task type (drives the polling schedule). */
  private readonly durations = new TaskDurations();
  private readonly authorization: string;
  private readonly maxText: number;

  constructor(private readonly options: IntegrationServerClientOptions) {
    this.http = new ResilientHttp({ ...options, name: 'integration-server', logger: options.logger });
    const user = options.username ?? 'multitenancy';
    this.authorization = `Basic ${Buffer.from(`${user}:${options.password}`, 'utf8').toString('base64')}`;
    this.maxText = options.maxTextLength ?? 64 * 1024;
  }

  // ---- tenants -------------------------------------------------------------------------------

  async getTenant(tenantId: string): Promise<IsTenant> {
    const doc = await this.xml({ method: 'GET', path: `${BASE}/tenants/${enc(tenantId)}`, operation: 'GetTenant' });
    const node = doc.tenant as XmlNode | undefined;
    if (!node) throw new IntegrationServerProtocolError('GetTenant: no <tenant> in the answer');
    return tenantFrom(node);
  }

  async listTenants(): Promise<IsTenant[]> {
    const doc = await this.xml({ method: 'GET', path: `${BASE}/tenants`, operation: 'ListTenants' });
    return listOf(doc, 'tenant').map(tenantFrom);
  }

  async listTenantVms(tenantId: string): Promise<IsVm[]> {
    const doc = await this.xml({
      method: 'GET',
      path: `${BASE}/tenants/${enc(tenantId)}/vms`,
      operation: 'ListTenantVms',
    });
    return listOf(doc, 'vm').map(vmFrom);
  }

  /** Starts the asynchronous CreateTenant task; persist the returned task id before polling. */
  async createTenant(req: CreateTenantRequest): Promise<TaskHandle> {
    this.text('name', req.name, NAME_MAX);
    if (req.description !== undefined) this.text('description', req.description, this.maxText);
    if (req.userData !== undefined) this.text('userData', req.userData, this.maxText);
    if (req.type === 'Complete') {
      if (!req.vKsc?.name || !req.vKsc.password)
        throw new XmlSafetyError('a Complete tenant needs the vKSC administrator name and password');
      this.text('vKsc.user.name', req.vKsc.name, NAME_MAX);
    }
    const tenant: XmlNode = {
      name: req.name,
      ...(req.description !== undefined ? { description: req.description } : {}),
      ...(req.userData !== undefined ? { userData: cdata(req.userData) } : {}),
      ...(req.preferredViisAddress ? { preferredViisAddress: req.preferredViisAddress } : {}),
      type: req.type, // always explicit: required by 6.3 (§10)
      ...(req.type === 'Complete' && req.vKsc
        ? {
            vKsc: {
              user: { name: req.vKsc.name, password: Buffer.from(req.vKsc.password, 'utf8').toString('base64') },
            },
          }
        : {}),
    };
    return this.task({
      method: 'POST',
      path: `${BASE}/tenants`,
      body: buildXml({ tenant }),
      operation: 'CreateTenant',
    });
  }

  activateTenant(tenantId: string): Promise<TaskHandle> {
    return this.task({
      method: 'POST',
      path: `${BASE}/tenants/${enc(tenantId)}/activate`,
      operation: 'ActivateTenant',
      retry: 'idempotent',
    });
  }

  deactivateTenant(tenantId: string): Promise<TaskHandle> {
    return this.task({
      method: 'POST',
      path: `${BASE}/tenants/${enc(tenantId)}/deactivate`,
      operation: 'DeactivateTenant',
      retry: 'idempotent',
    });
  }

  /** `removeTenantArtifacts` is always sent explicitly (its default is undocumented, §12.9). */
  deleteTenant(tenantId: string, options: { removeTenantArtifacts: boolean }): Promise<TaskHandle> {
    return this.task({
      method: 'DELETE',
      path: `${BASE}/tenants/${enc(tenantId)}?removeTenantArtifacts=${options.removeTenantArtifacts}`,
      operation: 'DeleteTenant',
    });
  }

  /** One VM per call, as the vendor documents it (§3.7). 409 means the BIOS id is registered somewhere. */
  async registerVm(tenantId: string, vm: { biosId: string; name?: string; userData?: string }): Promise<IsVm> {
    if (!UUID.test(vm.biosId)) throw new XmlSafetyError(`biosId "${vm.biosId}" is not a UUID`);
    if (vm.name !== undefined) this.text('vm.name', vm.name, NAME_MAX);
    if (vm.userData !== undefined) this.text('vm.userData', vm.userData, this.maxText);
    const body = buildXml({
      vm: {
        '@_biosId': vm.biosId,
        ...(vm.name !== undefined ? { name: vm.name } : {}),
        ...(vm.userData !== undefined ? { userData: cdata(vm.userData) } : {}),
      },
    });
    const doc = await this.xml({
      method: 'POST',
      path: `${BASE}/tenants/${enc(tenantId)}/vms/register`,
      body,
      operation: 'RegisterVm',
    });
    const node = (doc.vm ?? listOf(doc, 'vm')[0]) as XmlNode | undefined;
    // The 200 body is undocumented (§12.12): fall back to what was sent.
    return node ? vmFrom(node) : { biosId: vm.biosId, name: vm.name, userData: vm.userData };
  }

  async unregisterVm(tenantId: string, by: { biosId: string } | { vmId: string }): Promise<void> {
    const query = 'biosId' in by ? `biosId=${enc(by.biosId)}` : `vmId=${enc(by.vmId)}`;
    await this.send({
      method: 'POST',
      path: `${BASE}/tenants/${enc(tenantId)}/vms/unregister?${query}`,
      operation: 'UnregisterVm',
      retry: 'idempotent',
    });
  }

  // ---- reports -------------------------------------------------------------------------------

  generateReport(filter: { tenantId?: string; from?: Date; to?: Date } = {}): Promise<TaskHandle> {
    const q = new URLSearchParams();
    if (filter.tenantId) q.set('tenantId', filter.tenantId);
    if (filter.from) q.set('from', isTime(filter.from));
    if (filter.to) q.set('to', isTime(filter.to));
    const qs = q.toString();
    return this.task({
      method: 'POST',
      path: `${BASE}/reports/tenants${qs ? `?${qs}` : ''}`,
      headers: { Accept: 'application/csv' },
      operation: 'CreateTenantReport',
      retry: 'idempotent',
    });
  }

  /** Downloads a generated report, whole or a byte range (`Range: bytes=start-end`). */
  async downloadReport(reportId: string, range?: { start: number; end?: number }): Promise<ReportChunk> {
    const headers: Record<string, string> = { Accept: 'application/csv' };
    if (range) headers.Range = `bytes=${range.start}-${range.end ?? ''}`;
    const res = await this.send({
      method: 'GET',
      path: `${BASE}/reports/tenants/${enc(reportId)}`,
      headers,
      operation: 'DownloadReport',
    });
    const cr = String(res.headers['content-range'] ?? '');
    const m = /bytes[ =](\d+)-(\d+)\/(\d+|\*)/.exec(cr);
    return {
      status: res.status === 206 ? 206 : 200,
      content: res.body,
      bytes: res.bytes,
      range: m ? { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? -1 : Number(m[3]) } : undefined,
    };
  }

  // ---- tasks ---------------------------------------------------------------------------------

  async getTask(taskId: string): Promise<IsTask> {
    const doc = await this.xml({ method: 'GET', path: `${BASE}/tasks/${enc(taskId)}`, operation: 'GetTask' });
    const node = doc.task as XmlNode | undefined;
    if (!node) throw new IntegrationServerProtocolError('GetTask: no <task> in the answer');
    return taskFrom(node);
  }

  async listTasks(filter: { createdFrom?: Date; state?: string; type?: string } = {}): Promise<IsTask[]> {
    const q = new URLSearchParams();
    if (filter.createdFrom) q.set('createdFrom', isTime(filter.createdFrom));
    if (filter.state) q.set('state', filter.state);
    if (filter.type) q.set('type', filter.type);
    const qs = q.toString();
    const doc = await this.xml({ method: 'GET', path: `${BASE}/tasks${qs ? `?${qs}` : ''}`, operation: 'ListTasks' });
    return listOf(doc, 'task').map(taskFrom);
  }

  /** `canceled` (200) or `stopping` (202, becomes Canceled); 405 for child tasks, 409 when already final. */
  async cancelTask(taskId: string): Promise<'canceled' | 'stopping'> {
    const res = await this.send({
      method: 'POST',
      path: `${BASE}/tasks/${enc(taskId)}/cancel`,
      operation: 'CancelTask',
      retry: 'idempotent',
    });
    return res.status === 202 ? 'stopping' : 'canceled';
  }

  /**
   * Polls a task until it is final (backoff, deadline, cancellation). Works just as well with a
   * task id persisted before a restart. Resolves with the Completed task; throws IsTaskFailedError
   * for Failed/Canceled and IsTaskTimeoutError at the deadline.
   */
  waitForTask(taskId: string, options: WaitForTaskOptions = {}): Promise<IsTask> {
    return waitForTask((id) => this.getTask(id), taskId, { durations: this.durations, ...options });
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  // ---- plumbing ------------------------------------------------------------------------------

  private text(field: string, value: string, max: number): void {
    assertXmlText(value, field, max);
  }

  private async send(req: HttpRequest & { operation: string }): Promise<HttpResponse> {
    const headers: Record<string, string> = {
      Authorization: this.authorization,
      Accept: 'application/xml',
      ...req.headers,
    };
    if (req.body !== undefined) headers['Content-Type'] = 'application/xml; charset=utf-8';
    try {
      return await this.http.request({ ...req, headers });
    } catch (e) {
      if (e instanceof HttpStatusError) throw IntegrationServerError.fromResponse(e.status, e.body, req.operation);
      throw e;
    }
  }

  private async xml(req: HttpRequest & { operation: string }): Promise<XmlNode> {
    const res = await this.send(req);
    return res.body.trim().startsWith('<') ? parseXml(res.body) : {};
  }

  private async task(req: HttpRequest & { operation: string }): Promise<TaskHandle> {
    const res = await this.send(req);
    const doc = res.body.trim().startsWith('<') ? parseXml(res.body) : undefined;
    const location = res.headers.location;
    const taskId = taskIdFrom(doc, res.body, Array.isArray(location) ? location[0] : location);
    if (!taskId) throw new IntegrationServerProtocolError(`${req.operation}: HTTP ${res.status} without a task id`);
    const node = doc?.task as XmlNode | undefined;
    return { taskId, task: node ? taskFrom(node) : undefined };
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

/** Report and task-filter times: UTC, `YYYY-MM-DDThh:mm:ss` (§1.4). */
function isTime(d: Date): string {
  return d.toISOString().slice(0, 19);
}
