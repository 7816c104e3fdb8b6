import { randomUUID } from 'node:crypto';
import { NatsConnection } from 'nats';
import { authHeaders, eventually, natsConnect } from '../support/harness';
import {
  answerValidator,
  OpenApiDoc,
  operations,
  responseSchema,
  successProblems,
  validateOpenApi,
} from '../support/openapi-check';
import { startTestPlatform, TestPlatform } from '../support/platform';
import { freePortBase } from '../support/ports';
import { testLayout } from '../support/test-env';

describe('OpenAPI: every service describes every route, generated from the code', () => {
  let nc: NatsConnection;
  let platform: TestPlatform;
  const services = testLayout().services.map((s) => s.name);
  const docs = new Map<string, OpenApiDoc>();
  let tenantId: string;

  beforeAll(async () => {
    nc = await natsConnect();
    platform = await startTestPlatform(nc, { portBase: await freePortBase() });
    for (const service of services) {
      const res = await fetch(`${platform.url(service)}/openapi.json`); // no credentials: the description is public
      expect(res.status).toBe(200);
      docs.set(service, (await res.json()) as OpenApiDoc);
    }
    const id = randomUUID().slice(0, 8);
    const vm = { biosUuid: randomUUID(), name: `oa-${id}`, osFamily: 'linux', address: '10.0.0.7' };
    await fetch(`${platform.simulator.adminUrl}/sites/site-1/ksc/hosts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hosts: [{ biosId: vm.biosUuid, name: vm.name, ip: vm.address, osFamily: vm.osFamily }] }),
    });
    const order = { orderId: `oa-${id}`, tenantName: `OpenApi ${id}`, adminAccountName: `oa-${id}`, vms: [vm] };
    const created = await fetch(`${platform.url('tenant-service')}/v1/tenants`, {
      method: 'POST',
      headers: { ...(await authHeaders('admin')), 'content-type': 'application/json' },
      body: JSON.stringify(order),
    });
    expect(created.status).toBe(202);
    tenantId = ((await created.json()) as { id: string }).id;
    await eventually(
      async () =>
        (
          (await (
            await fetch(`${platform.url('tenant-service')}/v1/tenants/${tenantId}`, {
              headers: await authHeaders('viewer'),
            })
          ).json()) as { status: string }
        ).status === 'ready',
      60_000,
      200,
    );
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await (await nc.jetstreamManager()).streams.delete(platform.messaging.stream).catch(() => undefined);
    await nc?.close();
  });

  it('each document is a valid OpenAPI 3 document (schema-checked, every $ref resolves)', async () => {
    for (const service of services) {
      const doc = docs.get(service)!;
      await expect(validateOpenApi(doc)).resolves.toBeUndefined();
      expect(doc.info.title).toContain(service);
      expect(Object.keys(doc.components?.securitySchemes ?? {})).toEqual(expect.arrayContaining(['bearer', 'api-key']));
    }
  });

  it('every route in the route-policy table has an operation with a documented answer, its role and the coded error body', async () => {
    for (const service of services) {
      const doc = docs.get(service)!;
      const routes = (await (
        await fetch(`${platform.url(service)}/v1/routes`, { headers: await authHeaders('admin') })
      ).json()) as { method: string; path: string; access: string }[];
      const documented = new Map(operations(doc).map((o) => [`${o.method} ${o.path}`, o.op]));
      const controllerRoutes = routes.filter((r) => !['/openapi.json', '/docs', '/docs/*'].includes(r.path));
      expect(routes.filter((r) => r.access === 'public').map((r) => r.path)).toEqual(
        expect.arrayContaining(['/openapi.json', '/docs', '/docs/*']),
      );
      expect(controllerRoutes.length).toBe(documented.size);
      for (const r of controllerRoutes) {
        const key = `${r.method} ${r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;
        const op = documented.get(key);
        expect({ service, route: key, documented: Boolean(op) }).toEqual({ service, route: key, documented: true });
        expect({ service, route: key, problems: successProblems(op!) }).toEqual({ service, route: key, problems: [] });
        expect(JSON.stringify(op!.responses['500'])).toContain('#/components/schemas/ErrorBody');
        if (r.access === 'public') {
          expect(op!.security ?? []).not.toContainEqual({ bearer: [] });
        } else {
          expect({ key, role: op!['x-required-role'] }).toEqual({ key, role: r.access });
          expect(op!.security).toEqual([{ bearer: [] }, { 'api-key': [] }]);
          for (const status of ['401', '403'])
            expect(JSON.stringify(op!.responses[status])).toContain('#/components/schemas/ErrorBody');
        }
      }
    }
  });

  it('request bodies and query parameters carry the validation rules the service enforces', () => {
    const tenants = docs.get('tenant-service')!;
    const order = tenants.components!.schemas!.OnboardingRequest as {
      required: string[];
      properties: Record<string, { maxItems?: number }>;
      additionalProperties: boolean;
    };
    expect(order.required).toEqual(expect.arrayContaining(['orderId', 'tenantName', 'adminAccountName', 'vms']));
    expect(order.properties.vms.maxItems).toBe(500);
    expect(order.additionalProperties).toBe(false);
    expect(JSON.stringify(tenants.paths['/v1/tenants']!.post!.requestBody)).toContain(
      '#/components/schemas/OnboardingRequest',
    );
    const params = (docs.get('activation-service')!.paths['/v1/activations']!.get!.parameters ?? []) as {
      name: string;
      in: string;
      schema: { maximum?: number };
    }[];
    expect(params.map((p) => `${p.in}:${p.name}`).sort()).toEqual([
      'query:limit',
      'query:offset',
      'query:siteId',
      'query:status',
    ]);
    expect(params.find((p) => p.name === 'limit')!.schema.maximum).toBe(100);
    for (const service of services) {
      const dl = (docs.get(service)!.paths['/v1/dead-letters']!.get!.parameters ?? []) as { name: string }[];
      expect({ service, params: dl.map((p) => p.name).sort() }).toEqual({
        service,
        params: ['limit', 'offset', 'status'],
      });
    }
  });

  it('real answers match the documented schemas (an undocumented field fails)', async () => {
    const viewer = await authHeaders('admin');
    const tenantUrl = platform.url('tenant-service');
    const checks: { service: string; method: string; path: string; url: string; status: number }[] = [
      { service: 'tenant-service', method: 'GET', path: '/v1/tenants', url: `${tenantUrl}/v1/tenants`, status: 200 },
      {
        service: 'tenant-service',
        method: 'GET',
        path: '/v1/tenants/{id}',
        url: `${tenantUrl}/v1/tenants/${tenantId}`,
        status: 200,
      },
      { service: 'tenant-service', method: 'GET', path: '/v1/sites', url: `${tenantUrl}/v1/sites`, status: 200 },
      {
        service: 'tenant-service',
        method: 'GET',
        path: '/v1/sites/{id}',
        url: `${tenantUrl}/v1/sites/site-1`,
        status: 200,
      },
      {
        service: 'tenant-service',
        method: 'GET',
        path: '/v1/tenants/{id}',
        url: `${tenantUrl}/v1/tenants/${randomUUID()}`,
        status: 404,
      },
      {
        service: 'tenant-service',
        method: 'POST',
        path: '/v1/tenants/{id}/credentials/reveal',
        url: `${tenantUrl}/v1/tenants/${tenantId}/credentials/reveal`,
        status: 200,
      },
      {
        service: 'tenant-service',
        method: 'POST',
        path: '/v1/tenants/{id}/credentials/reveal',
        url: `${tenantUrl}/v1/tenants/${tenantId}/credentials/reveal`,
        status: 410,
      },
      { service: 'tenant-service', method: 'POST', path: '/v1/tenants', url: `${tenantUrl}/v1/tenants`, status: 400 },
    ];
    for (const [service, base] of [
      ['svm-config-service', 'svm-configs'],
      ['agent-install-service', 'installs'],
      ['registration-service', 'registrations'],
      ['activation-service', 'activations'],
    ]) {
      checks.push({
        service,
        method: 'GET',
        path: `/v1/${base}`,
        url: `${platform.url(service)}/v1/${base}`,
        status: 200,
      });
      checks.push({
        service,
        method: 'GET',
        path: `/v1/${base}/{tenantId}`,
        url: `${platform.url(service)}/v1/${base}/${tenantId}`,
        status: 200,
      });
    }
    for (const service of services) {
      for (const path of ['/v1/dead-letters', '/v1/routes', '/v1/audit', '/health/ready', '/health/live'])
        checks.push({ service, method: 'GET', path, url: `${platform.url(service)}${path}`, status: 200 });
    }
    for (const c of checks) {
      const validate = answerValidator(docs.get(c.service)!)(
        responseSchema(docs.get(c.service)!, c.method, c.path, c.status),
      );
      const res = await fetch(c.url, {
        method: c.method,
        headers: { ...viewer, 'content-type': 'application/json' },
        body: c.method === 'POST' ? JSON.stringify({ orderId: '' }) : undefined,
      });
      const body: unknown = await res.json();
      expect({ check: `${c.service} ${c.method} ${c.path}`, status: res.status }).toEqual({
        check: `${c.service} ${c.method} ${c.path}`,
        status: c.status,
      });
      validate(body);
      expect({ check: `${c.service} ${c.method} ${c.path} ${c.status}`, errors: validate.errors ?? null }).toEqual({
        check: `${c.service} ${c.method} ${c.path} ${c.status}`,
        errors: null,
      });
    }
  });

  it("/docs is a browsable page served under a CSP that allows only this origin's scripts; the API keeps helmet's defaults", async () => {
    const base = platform.url('tenant-service');
    const page = await fetch(`${base}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(html).not.toMatch(/<script>(?!\s*<\/script>)/); // no inline script for the CSP to block
    const assets = [...html.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const asset of assets)
      expect({ asset, status: (await fetch(new URL(asset, `${base}/docs`))).status }).toEqual({ asset, status: 200 });
    const init = await (await fetch(`${base}/docs/swagger-ui-init.js`)).text();
    expect(init).toContain('/openapi.json');
    const api = await fetch(`${base}/v1/tenants`);
    expect(api.status).toBe(401);
    expect(api.headers.get('content-security-policy')).toContain('upgrade-insecure-requests');
  });
});
