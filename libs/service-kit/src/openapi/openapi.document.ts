import { INestApplication, ParseUUIDPipe, Type } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type {
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { THROTTLER_SKIP } from '@nestjs/throttler/dist/throttler.constants';
import { ErrorBody } from '@tpo/platform';
import { RouteEntry, RoutePolicies } from '../routes/route-policies';
import { referencedSchemaNames, SCHEMA_PREFIX, validationSchemas } from './validation-schemas';

export interface OpenApiOptions {
  service: string;
  version: string;
  description?: string;
}

const ERROR_REF = { $ref: `${SCHEMA_PREFIX}${ErrorBody.name}` };
const errorResponse = (description: string): ResponseObject => ({
  description,
  content: { 'application/json': { schema: ERROR_REF } },
});

/** `/v1/tenants/:id` (Express) → `/v1/tenants/{id}` (OpenAPI). */
export const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/**
 * The service's OpenAPI 3 document, generated from the code: routes and responses from the
 * controllers' metadata, request bodies and query parameters from the class-validator classes the
 * ValidationPipe enforces, security and roles from the route-policy table, and the coded error body
 * on every operation.
 */
export function buildOpenApiDocument(app: INestApplication, options: OpenApiOptions): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(`Tenant Protection Orchestrator — ${options.service}`)
    .setDescription(
      options.description ??
        `Admin REST API of ${options.service}. Errors always have the body \`{ error: { code, message, details? }, correlationId }\`.`,
    )
    .setVersion(options.version)
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'Platform JWT with `roles` (viewer < operator < admin); `npm run token -- --role <role>` mints one locally',
      },
      'bearer',
    )
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'X-API-Key',
        description: 'An API key configured (hashed) in AUTH_API_KEYS with one role',
      },
      'api-key',
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    extraModels: [ErrorBody],
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey.replace(/HttpController$/, '')}_${methodKey}`,
  });
  const policies = app.get(RoutePolicies);
  const schemas = validationSchemas();
  for (const route of policies.entries()) enrichOperation(document, route, schemas);
  fillSchemas(document, schemas);
  addInternalScheme(document);
  return document;
}

function operationOf(document: OpenAPIObject, route: RouteEntry): OperationObject {
  const op = document.paths[toOpenApiPath(route.path)]?.[route.method.toLowerCase() as 'get'];
  if (!op)
    throw new Error(`OpenAPI: ${route.method} ${route.path} is missing from the document (excluded controller?)`);
  return op;
}

/** The class of a whole-object `@Query()` / `@Body()` argument of the handler, if any. */
function argumentClass(route: RouteEntry, kind: RouteParamtypes): Type<unknown> | undefined {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, route.controller, route.methodName) ?? {}) as Record<
    string,
    { index: number; data?: unknown }
  >;
  const types = (Reflect.getMetadata('design:paramtypes', route.controller.prototype as object, route.methodName) ??
    []) as Type<unknown>[];
  const arg = Object.entries(args).find(([key, a]) => key.split(':')[0] === String(kind) && a.data === undefined)?.[1];
  return arg ? types[arg.index] : undefined;
}

function enrichOperation(document: OpenAPIObject, route: RouteEntry, schemas: Record<string, SchemaObject>): void {
  const op = operationOf(document, route);
  const query = argumentClass(route, RouteParamtypes.QUERY);
  if (query && schemas[query.name])
    op.parameters = [...withoutQuery(op.parameters), ...queryParameters(schemas[query.name])];
  markUuidParameters(op, route);
  const hasInput = (op.parameters ?? []).length > 0 || op.requestBody !== undefined;
  const responses = op.responses;
  const add = (status: string, description: string) => (responses[status] ??= errorResponse(description));
  if (route.access === 'public') {
    op.security ??= [];
  } else {
    op.security = [{ bearer: [] }, { 'api-key': [] }];
    (op as OperationObject & { 'x-required-role'?: string })['x-required-role'] = route.access;
    op.description = [`Requires the **${route.access}** role (or higher).`, op.description]
      .filter(Boolean)
      .join('\n\n');
    add('401', 'UNAUTHORIZED: no, malformed, invalid or expired credentials (WWW-Authenticate: Bearer)');
    add('403', `FORBIDDEN: the caller lacks the ${route.access} role`);
  }
  if (hasInput)
    add('400', 'BAD_REQUEST / INVALID_INPUT / MALFORMED_JSON: details.fields lists each invalid field path');
  if (op.requestBody) add('413', 'PAYLOAD_TOO_LARGE: the body exceeds 256 KB');
  const skip =
    Reflect.getMetadata(`${THROTTLER_SKIP}default`, route.handler) ??
    Reflect.getMetadata(`${THROTTLER_SKIP}default`, route.controller);
  if (!skip) add('429', 'TOO_MANY_REQUESTS: rate limit exceeded (per caller and minute)');
  add('500', 'INTERNAL: unexpected failure; the body has no internals (see the log line with the correlation id)');
}

/** Path parameters parsed by ParseUUIDPipe are documented as UUIDs. */
function markUuidParameters(op: OperationObject, route: RouteEntry): void {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, route.controller, route.methodName) ?? {}) as Record<
    string,
    { data?: unknown; pipes?: unknown[] }
  >;
  for (const [key, arg] of Object.entries(args)) {
    if (key.split(':')[0] !== String(RouteParamtypes.PARAM) || typeof arg.data !== 'string') continue;
    if (!(arg.pipes ?? []).some((p) => p instanceof ParseUUIDPipe)) continue;
    const param = (op.parameters ?? []).find(
      (p): p is ParameterObject => 'in' in p && p.in === 'path' && p.name === arg.data,
    );
    if (param) param.schema = { type: 'string', format: 'uuid' };
  }
}

function withoutQuery(
  parameters: (ParameterObject | ReferenceObject)[] | undefined,
): (ParameterObject | ReferenceObject)[] {
  return (parameters ?? []).filter((p) => !('in' in p) || p.in !== 'query');
}

function queryParameters(schema: SchemaObject): ParameterObject[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema: s,
  }));
}

/**
 * Request classes get the schema of their validation decorators (the scanner only sees @ApiProperty);
 * `additionalProperties: false` because the ValidationPipe refuses unknown fields.
 */
function fillSchemas(document: OpenAPIObject, schemas: Record<string, SchemaObject>): void {
  const components = (document.components ??= {});
  const own = (components.schemas ??= {}) as Record<string, SchemaObject>;
  const isEmpty = (s: SchemaObject | undefined) =>
    !s || (Object.keys(s.properties ?? {}).length === 0 && !s.allOf && !s.oneOf && !s.additionalProperties);
  // Until nothing changes: a filled schema may reference further request classes (nested DTOs).
  for (let changed = true; changed;) {
    changed = false;
    for (const name of referencedSchemaNames(document.paths, own)) {
      if (schemas[name] && isEmpty(own[name])) {
        own[name] = { ...schemas[name], additionalProperties: false };
        changed = true;
      }
    }
  }
  const missing = [...referencedSchemaNames(document.paths, own)].filter((n) => !own[n]);
  if (missing.length > 0) throw new Error(`OpenAPI: schemas referenced but not defined: ${missing.join(', ')}`);
}

function addInternalScheme(document: OpenAPIObject): void {
  const used = Object.values(document.paths).some((item) =>
    Object.values(item).some((op) => (op as OperationObject).security?.some((s) => 'internal-token' in s)),
  );
  if (!used) return;
  document.components!.securitySchemes!['internal-token'] = {
    type: 'http',
    scheme: 'bearer',
    description:
      "The shared internal service token (INTERNAL_API_TOKEN) — for the platform's step services, not for admins",
  };
}
