import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { OpenAPIV3 } from 'openapi-types';

export type OpenApiDoc = OpenAPIV3.Document;
type Operation = OpenAPIV3.OperationObject & { 'x-required-role'?: string };

/** Validates against the OpenAPI 3 schema and resolves every $ref (throws with the reasons). */
export async function validateOpenApi(doc: OpenApiDoc): Promise<void> {
  await SwaggerParser.validate(structuredClone(doc) as never);
}

export function operations(doc: OpenApiDoc): { method: string; path: string; op: Operation }[] {
  const out: { method: string; path: string; op: Operation }[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const op = item?.[method];
      if (op) out.push({ method: method.toUpperCase(), path, op });
    }
  }
  return out;
}

/** Problems with an operation's documented success answer: none when a 2xx has a description and a schema. */
export function successProblems(op: Operation): string[] {
  const ok = Object.entries(op.responses ?? {}).filter(([status]) => /^2\d\d$/.test(status));
  if (ok.length === 0) return ['no 2xx response'];
  return ok.flatMap(([status, r]) => {
    const res = r as OpenAPIV3.ResponseObject;
    const problems: string[] = [];
    if (!res.description?.trim()) problems.push(`${status} has no description`);
    const media = Object.values(res.content ?? {});
    if (media.length === 0 || media.some((m) => !m.schema)) problems.push(`${status} has no schema`);
    return problems;
  });
}

/**
 * A validator of real answers against the documented schema. Objects that do not say otherwise
 * refuse properties the document does not list, so an undocumented field fails the test.
 */
export function answerValidator(doc: OpenApiDoc): (schema: object) => ValidateFunction {
  const strict = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strict);
    if (!node || typeof node !== 'object') return node;
    const copy = Object.fromEntries(
      Object.entries(node).map(([k, v]) => [k, k === 'example' ? v : strict(v)]),
    ) as Record<string, unknown>;
    if (copy.properties && copy.additionalProperties === undefined) copy.additionalProperties = false;
    // OpenAPI 3.0 writes a nullable reference as { nullable: true, allOf: [ref] }; JSON Schema says anyOf null.
    if (copy.nullable === true && copy.type === undefined) {
      const { nullable: _n, ...rest } = copy;
      return { anyOf: [{ type: 'null' }, rest] };
    }
    return copy;
  };
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('password', true);
  const components = JSON.parse(
    JSON.stringify(strict(doc.components)).replaceAll('"#/components/', '"openapi#/components/'),
  ) as object;
  ajv.addSchema({ $id: 'openapi', components });
  return (schema) =>
    ajv.compile(
      JSON.parse(JSON.stringify(strict(schema)).replaceAll('"#/components/', '"openapi#/components/')) as object,
    );
}

export function responseSchema(doc: OpenApiDoc, method: string, path: string, status: number): object {
  const op = doc.paths[path]?.[method.toLowerCase() as 'get'];
  const res = op?.responses?.[String(status)] as OpenAPIV3.ResponseObject | undefined;
  const schema = res?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`${method} ${path} documents no JSON ${status} answer`);
  return schema;
}
