import { randomUUID } from 'node:crypto';
import Ajv2020 from 'ajv/dist/2020';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import type { MetadataStorage as TransformerStorage } from 'class-transformer/types/MetadataStorage';
import { EventEnvelope } from '../envelope/event-envelope';
import { EventDefinition } from '../event-definition';
import { EVENT_CATALOG } from '../event-catalog';
import { BackbonePing } from '../events/backbone-ping.event';
import { validateEvent, validateWithClasses } from '../validate-event';
import { validateOutgoingPayload, validateOutgoingWithClasses } from '../validate-outgoing';
import {
  CompiledEventValidator,
  compiledEventValidator,
  compileEventValidator,
  CompiledPayloadValidator,
  compiledPayloadValidator,
  compilePayloadValidator,
  warmEventValidators,
  warmPayloadValidators,
} from './compiled-event-validator';
import { ClassType } from './contract-schema';
import { Throwing } from './throwing-event.fixture';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage: transformerStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: TransformerStorage;
};

/** Values tried for every property, valid for some properties and invalid for others. */
const POOL: unknown[] = [
  randomUUID(),
  '10.0.0.1',
  '2026-12-01T10:00:00.000Z',
  '2026-12-01',
  'site-1',
  'vm-1',
  'a',
  'abc',
  'Tenant-1',
  'ACME',
  'com.tpo.x.v1',
  'svm-config-service',
  'application/json',
  '1.0',
  'tenant@example.com',
  'https://example.com/x',
  'x'.repeat(64),
  '0123456789abcdef'.repeat(4),
  '',
  0,
  1,
  7271,
  true,
  false,
  {},
  [],
];

/** What else each property is set to, to find where the two paths might disagree. */
const MUTATIONS: unknown[] = [
  ...POOL,
  undefined,
  null,
  -1,
  1.5,
  70000,
  2 ** 53,
  'x'.repeat(300),
  'x'.repeat(2100),
  ' ',
  '999.1.1.1',
  '2026-02-30T00:00:00Z',
  '2026-12-01T10:00:00',
  'urn:uuid:' + randomUUID(),
  randomUUID().toUpperCase(),
  '00000000-0000-0000-0000-000000000000',
  'a'.repeat(63),
  'a'.repeat(64),
  'a\u0301',
  '\uFE0F',
  '😀',
  'a\nb',
  [null],
  ['x'],
  [1],
  [{}],
  [[]],
  Array.from({ length: 11 }, (_, i) => `t${i}`),
  { a: 1 },
];

type Plain = Record<string, unknown>;
const storage = getMetadataStorage();
const metadatasOf = (type: ClassType) =>
  storage.groupByPropertyName(storage.getTargetValidationMetadatas(type, '', false, false, undefined));
/** Whether class-validator accepts `value` as `property` of `type` (the other properties left out). */
const propertyAccepted = (type: ClassType, property: string, value: unknown) => {
  const r = validateWithClasses(
    { ...envelopeOf(BackbonePing), data: { [property]: value } },
    {
      ...BackbonePing,
      payload: type as never,
    },
  );
  return r.ok || !r.reasons.some((m) => m.startsWith(`data.${property}:`) || m.startsWith(`data.${property}.`));
};

function envelopeOf(definition: EventDefinition, data: unknown = {}): Plain {
  return {
    specversion: '1.0',
    id: randomUUID(),
    type: definition.type,
    source: 'tenant-service',
    time: '2026-12-01T10:00:00.000Z',
    datacontenttype: 'application/json',
    tenantid: randomUUID(),
    correlationid: 'corr-1',
    causationid: randomUUID(),
    data,
  };
}

/**
 * A valid sample of a class, with every property set (`all`) or only the ones it must have: each
 * property gets the first pool value (or a nested sample, or an array of them) that class-validator
 * accepts in that place. Judged by class-validator itself, so the samples need no upkeep.
 */
function sampleOf(type: ClassType, all: boolean): Plain {
  const sample: Plain = {};
  for (const [property, metas] of Object.entries(metadatasOf(type))) {
    const optional = metas.some((m) => m.type === ValidationTypes.CONDITIONAL_VALIDATION);
    if (optional && !all) continue;
    const nested = metas.some((m) => m.type === ValidationTypes.NESTED_VALIDATION);
    const inner = nested
      ? (transformerStorage.findTypeMetadata(type, property)!.typeFunction() as ClassType)
      : undefined;
    const candidates = inner
      ? [sampleOf(inner, all), [sampleOf(inner, all)], [sampleOf(inner, all), sampleOf(inner, false)]]
      : [...allowed(metas), ...POOL, ...[...allowed(metas), ...POOL].map((v) => [v])];
    const fits = candidates.find((c) => propertyAccepted(type, property, c));
    if (fits === undefined) throw new Error(`no sample value for ${type.name}.${property}`);
    sample[property] = fits;
  }
  return sample;
}

/** The values an @IsIn / @Equals of the property lists (pattern-free candidates). */
function allowed(metas: { constraints?: unknown[] }[]): unknown[] {
  return metas.flatMap((m) => {
    const [first] = m.constraints ?? [];
    if (Array.isArray(first)) return first;
    return typeof first === 'string' || typeof first === 'number' ? [first] : [];
  });
}

/** Every property path of a sample (nested objects and the first element of arrays of them). */
function paths(value: unknown, prefix: string[] = []): string[][] {
  if (Array.isArray(value))
    return value.length && typeof value[0] === 'object' ? paths(value[0], [...prefix, '0']) : [];
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
}

function withValue(root: Plain, path: string[], value: unknown): Plain {
  const copy = structuredClone(root);
  let node = copy as Record<string, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  if (value === undefined) delete node[path[path.length - 1]];
  else node[path[path.length - 1]] = structuredClone(value);
  return copy;
}

const validators = new Map<EventDefinition, CompiledEventValidator>();

/**
 * Both paths on one input: the same verdict, and for valid input the same envelope, classes included.
 * Neither may throw: input that makes a constraint throw (e.g. a VM whose biosUuid is no string,
 * given to the @ArrayUnique identifier) must be refused like any other invalid input.
 */
function agree(definition: EventDefinition, raw: Plain): boolean {
  if (!validators.has(definition)) validators.set(definition, compileEventValidator(definition));
  const compiled = validators.get(definition)!;
  const slow = validateWithClasses(structuredClone(raw), definition);
  const fast = compiled.validate(raw);
  if (fast !== slow.ok)
    throw new Error(
      `${definition.name}: schema says ${JSON.stringify(fast)}, classes say ${JSON.stringify(slow.ok)} for ${JSON.stringify(raw)}`,
    );
  if (fast && slow.ok) expect(compiled.build(structuredClone(raw))).toStrictEqual(slow.envelope);
  return fast;
}

const consumed = EVENT_CATALOG.filter((d) => d.consumers.length > 0);

describe('compiled event schemas agree with the class-validator contracts', () => {
  it('every catalog event compiles (no construct the generator cannot express exactly)', () => {
    for (const d of EVENT_CATALOG) expect(() => compileEventValidator(d)).not.toThrow();
    expect(consumed.length).toBeGreaterThan(15);
  });

  it('every catalog schema is a valid JSON Schema 2020-12 (the validators skip that check when compiling)', () => {
    const meta = new Ajv2020({ strict: false });
    meta.addKeyword({ keyword: 'classValidator', schemaType: 'number' });
    for (const d of EVENT_CATALOG) {
      const ok = meta.validateSchema(compileEventValidator(d).schema);
      if (!ok) throw new Error(`${d.name}: ${meta.errorsText(meta.errors)}`);
      // The producers' payload schema (unknown properties refused) too.
      if (!meta.validateSchema(compilePayloadValidator(d).schema))
        throw new Error(`${d.name} (outgoing): ${meta.errorsText(meta.errors)}`);
    }
  });

  it('warming compiles once: the validator a delivery then asks for is the one built at boot', () => {
    warmEventValidators(consumed);
    for (const d of consumed) expect(compiledEventValidator(d)).toBe(compiledEventValidator(d));
    const before = consumed.map((d) => compiledEventValidator(d));
    warmEventValidators(consumed);
    expect(consumed.map((d) => compiledEventValidator(d))).toEqual(before);
  });

  describe.each(consumed.map((d) => [d.name, d] as const))('%s', (_name, definition) => {
    const full = envelopeOf(definition, sampleOf(definition.payload, true));
    const minimal = envelopeOf(definition, sampleOf(definition.payload, false));

    it('valid samples (every property, only the required ones, unknown properties added): both accept, same instances', () => {
      expect(agree(definition, full)).toBe(true);
      expect(agree(definition, minimal)).toBe(true);
      let extra = withValue(withValue(full, ['data', 'unknownField'], { x: 1 }), ['unknownAttribute'], 'x');
      for (const p of paths(full.data, ['data'])) {
        const node = p.reduce<unknown>((n, k) => (n as Plain)[k], full);
        if (node && typeof node === 'object' && !Array.isArray(node))
          extra = withValue(extra, [...p, 'unknownNested'], 1);
      }
      expect(agree(definition, extra)).toBe(true);
    });

    it('each payload property set to each mutation value (or left out): the same verdict', () => {
      let refused = 0;
      for (const path of paths(full.data, ['data']))
        for (const value of MUTATIONS) if (!agree(definition, withValue(full, path, value))) refused++;
      for (const path of paths(minimal.data, ['data']))
        for (const value of [undefined, null]) if (!agree(definition, withValue(minimal, path, value))) refused++;
      expect(refused).toBeGreaterThan(0);
    });
  });

  it('each envelope attribute set to each mutation value (or left out): the same verdict', () => {
    const valid = envelopeOf(BackbonePing, { pingId: randomUUID(), route: ['tenant-service'], hop: 0 });
    for (const path of paths(valid).filter((p) => p[0] !== 'data'))
      for (const value of MUTATIONS) agree(BackbonePing, withValue(valid, path, value));
    for (const value of MUTATIONS) agree(BackbonePing, withValue(valid, ['data'], value));
  });

  it('validateEvent gives what the class path gives: the instance for valid input, the same reasons otherwise', () => {
    const valid = envelopeOf(BackbonePing, { pingId: randomUUID(), route: ['tenant-service'], hop: 0, extra: 1 });
    const result = validateEvent(structuredClone(valid), BackbonePing);
    expect(result).toStrictEqual(validateWithClasses(structuredClone(valid), BackbonePing));
    expect(result.ok && result.envelope).toBeInstanceOf(EventEnvelope);
    const invalid = withValue(withValue(valid, ['data', 'hop'], -1), ['time'], 'yesterday');
    expect(validateEvent(structuredClone(invalid), BackbonePing)).toStrictEqual(
      validateWithClasses(structuredClone(invalid), BackbonePing),
    );
    const payloadOnly = withValue(valid, ['data', 'hop'], 'one');
    const r = validateEvent(structuredClone(payloadOnly), BackbonePing);
    expect(r).toMatchObject({ ok: false, reasons: expect.arrayContaining([expect.stringMatching(/^data\.hop/)]) });
    expect(r).toStrictEqual(validateWithClasses(structuredClone(payloadOnly), BackbonePing));
  });

  it('a constraint that throws on some input refuses it (the class path then words why): no exception', () => {
    const valid = envelopeOf(Throwing, { word: 'fine' });
    expect(agree(Throwing, valid)).toBe(true);
    expect(agree(Throwing, withValue(valid, ['data', 'word'], 'boom'))).toBe(false);
    expect(validateEvent(withValue(valid, ['data', 'word'], 'boom'), Throwing)).toMatchObject({
      ok: false,
      reasons: ['data: payload could not be validated: the check blew up'],
    });
  });

  it('input class-transformer would turn into another class (`__proto__`) is left to the class path', () => {
    const raw = JSON.parse(
      JSON.stringify(envelopeOf(BackbonePing, { pingId: randomUUID(), route: ['tenant-service'], hop: 0 })).replace(
        '"hop":0',
        '"hop":0,"__proto__":{"x":1}',
      ),
    ) as Plain;
    expect(compileEventValidator(BackbonePing).validate(raw)).toBe(false);
  });
});

/** In-process values a producer might hand the outbox writer (not JSON): they must be judged alike too. */
const IN_PROCESS: unknown[] = [
  NaN,
  Infinity,
  -0,
  new Date('2026-12-01T10:00:00.000Z'),
  () => 'x',
  [undefined],
  new Map([['a', 1]]),
  Object.assign(Object.create({ inherited: 1 }) as object, { own: 1 }),
];

const payloadValidators = new Map<EventDefinition, CompiledPayloadValidator>();

/**
 * The outbox writer's two paths on one payload: the same verdict (with `exact`; otherwise the
 * schema may refuse what the classes accept, which the writer then hands to them), and for a valid
 * one the same instance. The class path may throw (the writer then throws as before): the schema
 * must refuse that input.
 */
function agreeOutgoing(definition: EventDefinition, data: Plain, exact = true): boolean {
  if (!payloadValidators.has(definition)) payloadValidators.set(definition, compilePayloadValidator(definition));
  const compiled = payloadValidators.get(definition)!;
  const fast = compiled.validate(data);
  let slow: ReturnType<typeof validateOutgoingWithClasses>;
  try {
    slow = validateOutgoingWithClasses(definition, data);
  } catch (e) {
    if (fast) throw new Error(`${definition.name}: schema accepts what makes the classes throw (${String(e)})`);
    return false;
  }
  // In-process values (not JSON) are left to the class path: only what the schema accepts must agree.
  if (fast !== slow.ok && (exact || fast))
    throw new Error(
      `${definition.name} (outgoing): schema says ${JSON.stringify(fast)}, classes say ${JSON.stringify(slow.ok)} for ${JSON.stringify(data)}`,
    );
  if (fast && slow.ok) expect(compiled.build(data)).toStrictEqual(slow.payload);
  return fast;
}

/** `root` with `value` at `path`, the key kept even when `value` is undefined (a producer's `x: undefined`). */
function withKey(root: Plain, path: string[], value: unknown): Plain {
  const copy = structuredClone(root);
  let node = copy as Record<string, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path[path.length - 1]] = value;
  return copy;
}

const emitted = EVENT_CATALOG.filter((d) => d.producers.some((p) => p !== 'upstream-order-system'));

describe("compiled payload schemas agree with the outbox writer's check (unknown properties refused)", () => {
  it('every event a service emits compiles for producers; warming compiles once', () => {
    for (const d of emitted) expect(() => compilePayloadValidator(d)).not.toThrow();
    expect(emitted.length).toBeGreaterThan(15);
    warmPayloadValidators(emitted);
    const built = emitted.map((d) => compiledPayloadValidator(d));
    expect(built.every((v) => v !== undefined)).toBe(true);
    warmPayloadValidators(emitted);
    expect(emitted.map((d) => compiledPayloadValidator(d))).toEqual(built);
  });

  describe.each(emitted.map((d) => [d.name, d] as const))('%s', (_name, definition) => {
    const full = sampleOf(definition.payload, true);
    const minimal = sampleOf(definition.payload, false);

    it('valid payloads (every property, only the required ones, an instance of the class): both accept, same instance', () => {
      expect(agreeOutgoing(definition, full)).toBe(true);
      expect(agreeOutgoing(definition, minimal)).toBe(true);
      const instance = compilePayloadValidator(definition).build(full) as Plain;
      expect(agreeOutgoing(definition, instance)).toBe(true);
      // Optional properties given as `undefined` (as producers write `x: cond ? v : undefined`).
      for (const p of paths(full).filter((q) => !paths(minimal).some((m) => m.join('.') === q.join('.'))))
        agreeOutgoing(definition, withKey(full, p, undefined));
    });

    it('an unknown property, at the top or in any nested object, even undefined: both refuse', () => {
      expect(agreeOutgoing(definition, withKey(full, ['unknownField'], 1))).toBe(false);
      expect(agreeOutgoing(definition, withKey(full, ['unknownField'], undefined))).toBe(false);
      for (const p of paths(full)) {
        const node = p.reduce<unknown>((n, k) => (n as Plain)[k], full);
        const nested = metadatasOf(definition.payload)[p[0]]?.some((m) => m.type === ValidationTypes.NESTED_VALIDATION);
        if (node && typeof node === 'object' && !Array.isArray(node) && nested)
          expect(agreeOutgoing(definition, withKey(full, [...p, 'unknownNested'], 1))).toBe(false);
      }
    });

    it('each property set to each mutation value, JSON or in-process (or left out): the same verdict', () => {
      let refused = 0;
      const at = (path: string[], value: unknown) =>
        path.length === 1 ? withKey(full, path, value) : withValue(full, path, value);
      for (const path of paths(full)) {
        for (const value of MUTATIONS) if (!agreeOutgoing(definition, at(path, value))) refused++;
        for (const value of IN_PROCESS) if (!agreeOutgoing(definition, withKey(full, path, value), false)) refused++;
      }
      for (const path of paths(minimal))
        for (const value of [undefined, null])
          if (!agreeOutgoing(definition, withValue(minimal, path, value))) refused++;
      expect(refused).toBeGreaterThan(0);
    });
  });

  it('validateOutgoingPayload gives what the class path gives: the instance, or the same reasons', () => {
    const valid = { pingId: randomUUID(), route: ['tenant-service' as const], hop: 0 };
    const result = validateOutgoingPayload(BackbonePing, valid);
    expect(result).toStrictEqual(validateOutgoingWithClasses(BackbonePing, valid));
    expect(result.ok && result.payload).toBeInstanceOf(BackbonePing.payload);
    for (const invalid of [
      { ...valid, extra: 1 },
      { ...valid, hop: -1 },
      { ...valid, route: undefined },
    ]) {
      const r = validateOutgoingPayload(BackbonePing, invalid as typeof valid);
      expect(r.ok).toBe(false);
      expect(r).toStrictEqual(validateOutgoingWithClasses(BackbonePing, invalid as typeof valid));
    }
  });
});
