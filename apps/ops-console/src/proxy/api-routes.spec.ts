import { randomUUID } from 'node:crypto';
import { allowedCall } from './api-routes';

describe('ops console forwarding allow-list', () => {
  const id = randomUUID();

  it.each([
    ['GET', 'tenant-service', '/v1/tenants', { status: 'failed', limit: '50' }],
    ['GET', 'tenant-service', `/v1/tenants/${id}`, {}],
    ['POST', 'tenant-service', `/v1/tenants/${id}/retry`, {}],
    ['POST', 'tenant-service', '/v1/sites/site-1/preflight', {}],
    ['GET', 'registration-service', '/v1/dead-letters', { status: 'pending' }],
    ['POST', 'activation-service', `/v1/dead-letters/${id}/replay`, {}],
  ])('forwards %s %s %s', (method, service, path, query) => {
    expect(allowedCall(method, service, path, query)).toBe(true);
  });

  it.each([
    ['POST', 'tenant-service', '/v1/tenants', {}, 'ordering a tenant'],
    ['POST', 'tenant-service', `/v1/tenants/${id}/credentials/reveal`, {}, 'revealing a password'],
    ['POST', 'tenant-service', '/v1/sites', {}, 'registering a site'],
    ['PATCH', 'tenant-service', '/v1/sites/site-1', {}, 'changing a site'],
    ['GET', 'tenant-service', '/internal/v1/sites/site-1/connection', {}, 'the internal site connection (credentials)'],
    ['GET', 'tenant-service', '/v1/audit', {}, 'the audit trail'],
    ['GET', 'tenant-service', `/v1/tenants/${id}/../../internal`, {}, 'a path escaping the allow-list'],
    ['GET', 'tenant-service', '/v1/tenants', { api_key: 'x' }, 'unknown query keys'],
    ['GET', 'svm-config-service', `/v1/installs/${id}`, {}, 'a route on the wrong service'],
  ])(
    'refuses %s %s %s (%s)',
    (method: string, service: string, path: string, query: Record<string, string>, _what: string) => {
      expect(allowedCall(method, service, path, query)).toBe(false);
    },
  );
});
