import type { MetadataStorage as TransformerStorage } from 'class-transformer/types/MetadataStorage';
import { getMetadataStorage, ValidationArguments, ValidationTypes } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

// class-transformer keeps its @Type metadata in an untyped internal module (as service-kit's schemas do).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage: transformerStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: TransformerStorage;
};

export type ClassType = new () => object;
export type JsonSchema = Record<string, unknown>;

/** A class-validator constraint as a predicate: the decorator's own `validate`, called as class-validator calls it. */
export type ConstraintCheck = (value: unknown, object: unknown) => boolean;

/** A construct this generator cannot express exactly: that contract keeps the class-validator path only. */
export class UnsupportedContractError extends Error {
  override name = 'UnsupportedContractError';
}

/** How to rebuild a validated plain object as the instance class-transformer would have made. */
export interface HydrationPlan {
  type: ClassType;
  /** The decorated properties (class-validator's whitelist); `nested` for @ValidateNested + @Type ones. */
  properties: { name: string; nested?: HydrationPlan }[];
  /** Own fields of a fresh instance that are not whitelisted: class-validator deletes them. */
  strip: string[];
}

export interface ContractSchema {
  /** JSON schema (draft 2020-12 + the `classValidator` keyword) of the class, `$defs` for nested classes. */
  schema: JsonSchema;
  /** The `classValidator` keyword's predicates, by the number the schema gives them. */
  checks: ConstraintCheck[];
  plan: HydrationPlan;
}

const primitive = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
const num = (v: unknown): v is number => typeof v === 'number';

/** Keywords whose JSON-schema meaning is exactly the class-validator check (for JSON input), by constraint name. */
const NATIVE: Record<string, (first: unknown) => JsonSchema | undefined> = {
  isString: () => ({ type: 'string' }),
  isInt: () => ({ type: 'integer' }),
  isBoolean: () => ({ type: 'boolean' }),
  isArray: () => ({ type: 'array' }),
  isObject: () => ({ type: 'object' }),
  isIn: (v) => (Array.isArray(v) && v.every(primitive) ? { enum: v } : undefined),
  equals: (v) => (primitive(v) ? { const: v } : undefined),
  min: (v) => (num(v) ? { type: 'number', minimum: v } : undefined),
  max: (v) => (num(v) ? { type: 'number', maximum: v } : undefined),
  arrayMaxSize: (v) => (num(v) ? { type: 'array', maxItems: v } : undefined),
  arrayMinSize: (v) => (num(v) ? { type: 'array', minItems: v } : undefined),
};

function nativeSchemaOf(name: string | undefined, constraints: unknown[] | undefined): JsonSchema | undefined {
  const native = name !== undefined && Object.prototype.hasOwnProperty.call(NATIVE, name) ? NATIVE[name] : undefined;
  return native?.(constraints?.[0]);
}

/**
 * Builds the JSON schema of a class-validator class from its decorators, exactly as `validateSync`
 * with `{ whitelist: true, forbidUnknownValues: true }` judges a `plainToInstance` of JSON input:
 * the same metadata (class-validator's own lookup, inheritance included), `@IsOptional` as "null or
 * absent skips the rest", `each` as "every element when an array, else the value", `@ValidateNested`
 * + `@Type` as nested objects or arrays of them, and each constraint either as a JSON-schema keyword
 * with exactly its meaning or as the `classValidator` keyword, which calls the decorator's own
 * `validate`. A property is required exactly when one of its constraints refuses `undefined` (asked of
 * the constraint itself). Unknown properties are allowed (class-validator strips them; the hydration
 * plan does too). Anything else (groups, `@ValidateIf`, async or discriminated types, class-transformer
 * exposure rules) throws UnsupportedContractError.
 *
 * With `forbidUnknown`, as `validateSync` judges with `forbidNonWhitelisted` too (what the outbox
 * writer asks of outgoing payloads): a property without decorators is refused, in every class
 * (`additionalProperties: false`), also when its value is `undefined` (class-validator sees the key).
 */
export function contractSchemaOf(root: ClassType, options: { forbidUnknown?: boolean } = {}): ContractSchema {
  const storage = getMetadataStorage();
  const checks: ConstraintCheck[] = [];
  const defs: Record<string, JsonSchema> = {};
  const plans = new Map<ClassType, HydrationPlan>();

  const check = (type: ClassType, m: ValidationMetadata): { native?: JsonSchema; id: number; fn: ConstraintCheck } => {
    const constraints = storage.getTargetValidatorConstraints(m.constraintCls);
    if (constraints.length === 0 || constraints.some((c) => c.async))
      throw new UnsupportedContractError(`${type.name}.${m.propertyName}: async or unknown constraint`);
    const fn: ConstraintCheck = (value, object) => {
      const args: ValidationArguments = {
        targetName: type.name,
        property: m.propertyName,
        object: object as object,
        value,
        constraints: m.constraints,
      };
      // A constraint that throws on this input (e.g. an @ArrayUnique identifier given a non-object)
      // refuses it: the class path then decides, and turns the exception into a reason.
      try {
        return constraints.every((c) => c.instance.validate(value, args) === true);
      } catch {
        return false;
      }
    };
    const names = constraints.map((c) => c.name);
    const native = names.length === 1 ? nativeSchemaOf(names[0], m.constraints) : undefined;
    return { native, id: checks.push(fn) - 1, fn };
  };

  const nestedRef = (owner: ClassType, property: string): { ref: JsonSchema; plan: HydrationPlan } => {
    const typeMeta = transformerStorage.findTypeMetadata(owner, property);
    if (!typeMeta || typeMeta.options?.discriminator)
      throw new UnsupportedContractError(`${owner.name}.${property}: @ValidateNested without a plain @Type`);
    const nested = typeMeta.typeFunction() as ClassType;
    const plan = classDef(nested);
    const name = `${nested.name}[]`;
    // class-validator takes an array (of arrays ...) element by element, and an object as the class.
    defs[name] ??= {
      if: { type: 'array' },
      then: { items: { $ref: `#/$defs/${name}` } },
      else: { $ref: `#/$defs/${nested.name}` },
    };
    return { ref: { $ref: `#/$defs/${name}` }, plan };
  };

  const classDef = (type: ClassType): HydrationPlan => {
    const known = plans.get(type);
    if (known) return known;
    const plan: HydrationPlan = { type, properties: [], strip: [] };
    plans.set(type, plan);
    if (transformerStorage.getExposedMetadatas(type).length || transformerStorage.getExcludedMetadatas(type).length)
      throw new UnsupportedContractError(`${type.name}: class-transformer @Expose/@Exclude`);
    const metadatas = storage.getTargetValidationMetadatas(type, '', false, false, undefined);
    if (metadatas.length === 0) throw new UnsupportedContractError(`${type.name}: no validation metadata`);
    const grouped = storage.groupByPropertyName(metadatas);
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const [property, all] of Object.entries(grouped)) {
      if (transformerStorage.findTransformMetadatas(type, property, 1 /* PLAIN_TO_CLASS */).length)
        throw new UnsupportedContractError(`${type.name}.${property}: @Transform`);
      let optional = false;
      let refusesUndefined = false;
      const parts: JsonSchema[] = [];
      let nested: HydrationPlan | undefined;
      for (const m of all) {
        if ((m.groups && m.groups.length) || m.always !== undefined)
          throw new UnsupportedContractError(`${type.name}.${property}: validation groups`);
        switch (m.type) {
          case ValidationTypes.CONDITIONAL_VALIDATION:
            if (m.name !== 'isOptional') throw new UnsupportedContractError(`${type.name}.${property}: @ValidateIf`);
            optional = true;
            break;
          case ValidationTypes.CUSTOM_VALIDATION:
          case ValidationTypes.IS_DEFINED: {
            const c = check(type, m);
            if (!c.fn(undefined, {})) refusesUndefined = true;
            const leaf = c.native ?? { classValidator: c.id };
            // `each`: every element of an array, or the value itself when it is not one.
            parts.push(m.each ? { if: { type: 'array' }, then: { items: leaf }, else: leaf } : leaf);
            break;
          }
          case ValidationTypes.NESTED_VALIDATION: {
            const n = nestedRef(type, property);
            nested = n.plan;
            parts.push(n.ref);
            break;
          }
          case ValidationTypes.WHITELIST:
            break;
          default:
            throw new UnsupportedContractError(`${type.name}.${property}: ${m.type}`);
        }
      }
      // @Type without @ValidateNested: class-transformer would build an instance nobody validates.
      const typeMeta = transformerStorage.findTypeMetadata(type, property);
      if (typeMeta && !nested && typeMeta.typeFunction() !== Object)
        throw new UnsupportedContractError(`${type.name}.${property}: @Type without @ValidateNested`);
      const value: JsonSchema = parts.length === 1 ? parts[0] : { allOf: parts };
      // @IsOptional: null or absent skips every other check; IS_DEFINED included (class-validator order).
      properties[property] = optional ? { anyOf: [{ type: 'null' }, value] } : value;
      if (!optional && refusesUndefined) required.push(property);
      plan.properties.push({ name: property, nested });
    }
    const whitelisted = new Set(Object.keys(grouped));
    plan.strip = Object.keys(new type()).filter((k) => !whitelisted.has(k));
    // Own fields of every instance that are not whitelisted: forbidNonWhitelisted refuses every input.
    if (options.forbidUnknown && plan.strip.length)
      throw new UnsupportedContractError(`${type.name}: undecorated fields ${plan.strip.join(', ')}`);
    defs[type.name] = {
      type: 'object',
      required,
      properties,
      ...(options.forbidUnknown ? { additionalProperties: false } : {}),
      // class-transformer would assign `__proto__` (and so change the instance's class): such input is
      // left to the class-validator path.
      propertyNames: { not: { const: '__proto__' } },
    };
    return plan;
  };

  const plan = classDef(root);
  return { schema: { $ref: `#/$defs/${root.name}`, $defs: defs }, checks, plan };
}

/**
 * The instance `plainToInstance` + class-validator's whitelist make of valid JSON input: a fresh
 * instance (declared fields, in declaration order), the whitelisted properties present in `plain`
 * copied (nested classes rebuilt, arrays element by element), the rest left out.
 */
export function hydrate(plan: HydrationPlan, plain: Record<string, unknown>): object {
  const target = new plan.type() as Record<string, unknown>;
  for (const key of plan.strip) delete target[key];
  for (const { name, nested } of plan.properties) {
    if (!Object.prototype.hasOwnProperty.call(plain, name)) continue;
    const value = plain[name];
    target[name] = nested ? hydrateNested(nested, value) : value;
  }
  return target;
}

function hydrateNested(plan: HydrationPlan, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => hydrateNested(plan, v));
  return value !== null && typeof value === 'object' ? hydrate(plan, value as Record<string, unknown>) : value;
}
