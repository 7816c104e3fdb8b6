import { readFileSync } from 'node:fs';
import { Parser } from '@asyncapi/parser';
import { consumerNameOf, EVENT_CATALOG, subjectOf } from '@tpo/contracts';
import { parse } from 'yaml';
import { buildAsyncApiDocument } from './asyncapi.document';
import { ASYNCAPI_FILE, renderAsyncApi } from './generate-asyncapi';

describe('AsyncAPI document of the events (docs/asyncapi.yaml)', () => {
  const committed = readFileSync(ASYNCAPI_FILE, 'utf8');

  it('is a valid AsyncAPI 3 document (@asyncapi/parser reports no error)', async () => {
    const { document, diagnostics } = await new Parser().parse(committed);
    expect(diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
    expect(document?.version()).toBe('3.1.0');
  });

  it('is exactly what `npm run asyncapi` generates from the current catalog (regenerate when this fails)', () => {
    expect(committed).toBe(renderAsyncApi());
  });

  it('has one channel per catalog event, with every producer sending and every consumer receiving on it', async () => {
    const { document } = await new Parser().parse(committed);
    const channels = document!.channels().all();
    expect(channels.map((c) => c.address()).sort()).toEqual(EVENT_CATALOG.map((d) => subjectOf(d)).sort());
    for (const d of EVENT_CATALOG) {
      const channel = channels.find((c) => c.address() === subjectOf(d))!;
      const ops = channel.operations().all();
      const senders = ops.filter((o) => o.action() === 'send').map((o) => o.id()!.split('.send.')[0]);
      const receivers = ops.filter((o) => o.action() === 'receive').map((o) => o.id()!.split('.receive.')[0]);
      expect({ event: d.name, senders: senders.sort(), receivers: receivers.sort() }).toEqual({
        event: d.name,
        senders: [...d.producers].sort(),
        receivers: [...d.consumers].sort(),
      });
      for (const r of ops.filter((o) => o.action() === 'receive'))
        expect(r.summary()).toContain(consumerNameOf(r.id()!.split('.receive.')[0], d));
      const payload = channel.messages().all()[0].payload()!.json() as {
        allOf: { properties?: { type?: { const: string } } }[];
      };
      expect(payload.allOf[1].properties?.type?.const).toBe(d.type);
    }
  });

  it("derives payload schemas from the contracts' validation rules, so a change in a contract changes the document", () => {
    const doc = buildAsyncApiDocument({ version: 'x' }) as {
      components: {
        schemas: Record<
          string,
          { required?: string[]; properties: Record<string, { maxItems?: number; enum?: string[] }> }
        >;
      };
    };
    const schemas = doc.components.schemas;
    expect(schemas.TenantRequestedV1.required).toEqual(
      expect.arrayContaining(['orderId', 'tenantName', 'adminAccountName', 'vms']),
    );
    expect(schemas.TenantRequestedV1.properties.vms.maxItems).toBe(500);
    expect(schemas.EventEnvelope.required).toEqual(
      expect.arrayContaining(['id', 'type', 'source', 'time', 'correlationid', 'data']),
    );
    const parsed = parse(committed) as typeof doc;
    expect(parsed.components.schemas).toEqual(schemas);
  });

  it('fails the comparison when the catalog gains an event the document lacks', () => {
    const withExtra = buildAsyncApiDocument({ version: '0.1.0' }, [
      ...EVENT_CATALOG,
      {
        ...EVENT_CATALOG[1],
        name: 'TenantRequested',
        version: 2,
        key: 'tenant-requested.v2',
        type: 'com.tpo.tenant-requested.v2',
      },
    ]);
    const committedDoc = parse(committed) as Record<string, unknown>;
    expect(withExtra).not.toEqual(committedDoc);
    expect(Object.keys(withExtra.channels as object)).toContain('tenantRequestedV2');
  });
});
