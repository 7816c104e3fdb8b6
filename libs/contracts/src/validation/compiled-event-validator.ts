import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import { EventEnvelope } from '../envelope/event-envelope';
import { EventDefinition } from '../event-definition';
import { ConstraintCheck, contractSchemaOf, hydrate, HydrationPlan, JsonSchema } from './contract-schema';

/** One event's compiled check and the instances it builds from valid input. */
export interface CompiledEventValidator {
  /** The event's JSON schema: the envelope with `type` fixed to the event's and `data` its payload. */
  readonly schema: JsonSchema;
  /** True only for input class-validator would accept too (see validateEvent). */
  validate(raw: unknown): boolean;
  /** The envelope (payload in `data`) validateEvent's class-validator path makes of valid input. */
  build(raw: Record<string, unknown>): EventEnvelope;
}

function newAjv(checks: ConstraintCheck[]): Ajv2020 {
  // No coercion, defaults or removal: the input is only judged. `unicodeRegExp: false` compiles
  // patterns as `new RegExp(source)`, as class-validator's @Matches does. `validateSchema: false`:
  // checking each generated schema against the 2020-12 meta-schema made ajv compile that large
  // meta-schema in every instance, 50-700 ms per event type on a service's first delivery of it
  // (issue 11); the contracts spec checks every catalog schema against the meta-schema instead.
  const ajv = new Ajv2020({
    allErrors: false,
    strict: false,
    unicodeRegExp: false,
    validateFormats: false,
    validateSchema: false,
  });
  ajv.addKeyword({
    keyword: 'classValidator',
    schemaType: 'number',
    errors: false,
    compile: (id: number) => {
      const fn = checks[id];
      return (data: unknown, cxt?: { parentData?: unknown }) => fn(data, cxt?.parentData);
    },
  });
  return ajv;
}

function compile(definition: EventDefinition): CompiledEventValidator {
  const envelope = contractSchemaOf(EventEnvelope);
  const payload = contractSchemaOf(definition.payload);
  // The payload's constraint numbers follow the envelope's in one table.
  const checks = [...envelope.checks, ...payload.checks];
  const shift = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(shift);
    if (!node || typeof node !== 'object') return node;
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => [
        k,
        k === 'classValidator' ? (v as number) + envelope.checks.length : k === '$ref' ? v : shift(v),
      ]),
    );
  };
  const payloadSchema = shift(payload.schema) as JsonSchema;
  const payloadDefs = payloadSchema.$defs as Record<string, JsonSchema>;
  const envelopeDefs = envelope.schema.$defs as Record<string, JsonSchema>;
  for (const name of Object.keys(payloadDefs))
    if (envelopeDefs[name]) throw new Error(`${definition.name}: payload class ${name} shadows an envelope class`);
  const schema: JsonSchema = {
    $defs: { ...envelopeDefs, ...payloadDefs },
    allOf: [
      { $ref: `#/$defs/${EventEnvelope.name}` },
      {
        required: ['type', 'data'],
        properties: { type: { const: definition.type }, data: { $ref: payloadSchema.$ref } },
      },
    ],
  };
  const check: ValidateFunction = newAjv(checks).compile(schema);
  const envelopePlan: HydrationPlan = envelope.plan;
  const payloadPlan: HydrationPlan = payload.plan;
  return {
    schema,
    validate: (raw) => check(raw) === true,
    build: (raw) => {
      const built = hydrate(envelopePlan, raw) as EventEnvelope;
      built.data = hydrate(payloadPlan, raw.data as Record<string, unknown>);
      return built;
    },
  };
}

/** An event's payload check for a producer (the outbox writer): stricter than a consumer's. */
export interface CompiledPayloadValidator {
  /** The payload's JSON schema, unknown properties refused (forbidNonWhitelisted). */
  readonly schema: JsonSchema;
  /**
   * True only for a payload `validateSync(plainToInstance(payload class, data), { whitelist: true,
   * forbidNonWhitelisted: true, forbidUnknownValues: true })` accepts too (the outbox writer's check).
   */
  validate(data: unknown): boolean;
  /** The instance `plainToInstance` makes of a valid payload. */
  build(data: object): object;
}

/**
 * Whether a producer's value is plain data, as JSON would carry it: strings, finite numbers,
 * booleans, null, arrays of such (no holes, no undefined), and objects that are plain or instances of
 * the contract's own classes (`undefined` properties count as absent). Anything else (a Date, a Map,
 * NaN, a function, another class's instance) is left to class-transformer, which treats some of
 * them specially, and class-validator.
 */
function isPlainData(value: unknown, classes: ReadonlySet<object>): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++)
          if (!(i in value) || value[i] === undefined || !isPlainData(value[i], classes)) return false;
        return true;
      }
      // Plain: a root prototype (Object.prototype, of any realm: structuredClone's copies, for one) or none.
      const proto = Object.getPrototypeOf(value) as object | null;
      if (proto !== null && Object.getPrototypeOf(proto) !== null && !classes.has(proto)) return false;
      for (const v of Object.values(value)) if (v !== undefined && !isPlainData(v, classes)) return false;
      return true;
    }
    case 'undefined':
    case 'bigint':
    case 'function':
    case 'symbol':
      return false;
  }
}

function prototypesOf(plan: HydrationPlan, into = new Set<object>()): Set<object> {
  if (into.has(plan.type.prototype as object)) return into;
  into.add(plan.type.prototype as object);
  for (const p of plan.properties) if (p.nested) prototypesOf(p.nested, into);
  return into;
}

function compilePayload(definition: EventDefinition): CompiledPayloadValidator {
  const payload = contractSchemaOf(definition.payload, { forbidUnknown: true });
  const check: ValidateFunction = newAjv(payload.checks).compile(payload.schema);
  const classes = prototypesOf(payload.plan);
  return {
    schema: payload.schema,
    validate: (data) => isPlainData(data, classes) && check(data) === true,
    build: (data) => hydrate(payload.plan, data as Record<string, unknown>),
  };
}

const compiled = new WeakMap<EventDefinition, CompiledEventValidator | null>();
const compiledPayloads = new WeakMap<EventDefinition, CompiledPayloadValidator | null>();

/**
 * The event's compiled validator, built on first use and kept; undefined when its contract uses a
 * construct the schema generator cannot express exactly (contract-schema.ts), which then keeps the
 * class-validator path (the contracts spec asserts that no catalog event does).
 */
export function compiledEventValidator(definition: EventDefinition): CompiledEventValidator | undefined {
  let v = compiled.get(definition);
  if (v === undefined) {
    try {
      v = compile(definition);
    } catch {
      v = null;
    }
    compiled.set(definition, v);
  }
  return v ?? undefined;
}

/**
 * Compiles the validators of these events now (a service's consumed events, at boot) instead of on
 * each one's first delivery, where the compilation (tens of ms) would hold up that delivery and
 * every other one of the process. Contracts that cannot be compiled keep the class path, as on
 * first use.
 */
export function warmEventValidators(definitions: readonly EventDefinition[]): void {
  for (const definition of definitions) compiledEventValidator(definition);
}

/** The same, throwing why a contract cannot be compiled (for the contracts spec and tooling). */
export function compileEventValidator(definition: EventDefinition): CompiledEventValidator {
  return compile(definition);
}

/**
 * The event's compiled payload check for producers, built on first use and kept; undefined when the
 * contract cannot be compiled exactly (the producer then keeps the class-validator path).
 */
export function compiledPayloadValidator(definition: EventDefinition): CompiledPayloadValidator | undefined {
  let v = compiledPayloads.get(definition);
  if (v === undefined) {
    try {
      v = compilePayload(definition);
    } catch {
      v = null;
    }
    compiledPayloads.set(definition, v);
  }
  return v ?? undefined;
}

/** Compiles the producers' payload checks of `definitions` now (at boot), not on each one's first emit. */
export function warmPayloadValidators(definitions: readonly EventDefinition[]): void {
  for (const definition of definitions) compiledPayloadValidator(definition);
}

/** The same, throwing why a contract cannot be compiled (for the contracts spec). */
export function compilePayloadValidator(definition: EventDefinition): CompiledPayloadValidator {
  return compilePayload(definition);
}
