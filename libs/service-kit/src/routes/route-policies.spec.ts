import { DiscoveryService, HttpAdapterHost, MetadataScanner, Reflector } from '@nestjs/core';
import Fastify from 'fastify';
import { recordServedRoutes, RoutePolicies } from './route-policies';

function policiesServing(paths: string[]): RoutePolicies {
  const discovery = { getControllers: () => [] } as unknown as DiscoveryService;
  const fastify = Fastify();
  recordServedRoutes(fastify);
  for (const path of paths) fastify.get(path, async () => ({})); // Fastify adds a HEAD beside each GET
  const adapterHost = { httpAdapter: { getInstance: () => fastify } } as unknown as HttpAdapterHost;
  return new RoutePolicies(discovery, new MetadataScanner(), new Reflector(), adapterHost);
}

describe('RoutePolicies: routes served outside the controllers', () => {
  it('refuses to boot when the HTTP server routes something the table does not know', () => {
    expect(() => policiesServing(['/openapi.json']).onApplicationBootstrap()).toThrow(
      'routes served without a policy: GET /openapi.json',
    );
  });

  it('boots once the route is declared public, and lists it in the table; a /* entry covers a subtree only', () => {
    const policies = policiesServing(['/openapi.json', '/docs', '/docs/swagger-ui-init.js']);
    policies.allowPublic({ method: 'GET', path: '/openapi.json', reason: 'test' });
    policies.allowPublic({ method: 'GET', path: '/docs', reason: 'test' });
    policies.allowPublic({ method: 'GET', path: '/docs/*', reason: 'test' });
    expect(() => policies.onApplicationBootstrap()).not.toThrow();
    expect(policies.routes()).toEqual([
      { method: 'GET', path: '/docs', access: 'public' },
      { method: 'GET', path: '/docs/*', access: 'public' },
      { method: 'GET', path: '/openapi.json', access: 'public' },
    ]);
    const narrow = policiesServing(['/docsx']);
    narrow.allowPublic({ method: 'GET', path: '/docs/*', reason: 'test' });
    expect(() => narrow.onApplicationBootstrap()).toThrow('GET /docsx');
  });
});
