import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';
import { targetConstructorToSchema, validationMetadatasToSchemas } from 'class-validator-jsonschema';

// class-transformer keeps its @Type metadata in an untyped internal module; the schemas need it for nested classes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: MetadataStorage;
};

export const SCHEMA_PREFIX = '#/components/schemas/';

/**
 * JSON schemas of every class-validator class loaded in this process (commands, queries, event
 * payloads), keyed by class name. The validation decorators are the single source: what the
 * service refuses is what the schema says.
 */
export function validationSchemas(refPointerPrefix = SCHEMA_PREFIX): Record<string, SchemaObject> {
  return validationMetadatasToSchemas({
    refPointerPrefix,
    classTransformerMetadataStorage: defaultMetadataStorage,
  }) as Record<string, SchemaObject>;
}

/** The schema of one class, including what it inherits (also for a subclass without decorators of its own). */
export function validationSchemaOf(type: new () => object, refPointerPrefix = SCHEMA_PREFIX): SchemaObject {
  return targetConstructorToSchema(type, {
    refPointerPrefix,
    classTransformerMetadataStorage: defaultMetadataStorage,
  }) as SchemaObject;
}

/** Names of the schemas `root` references, transitively through `pool` (`#/…/Name` refs). */
export function referencedSchemaNames(
  root: unknown,
  pool: Record<string, unknown>,
  prefix = SCHEMA_PREFIX,
): Set<string> {
  const seen = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith(prefix)) {
        const name = value.slice(prefix.length);
        if (!seen.has(name)) {
          seen.add(name);
          visit(pool[name]);
        }
      } else visit(value);
    }
  };
  visit(root);
  return seen;
}
