import { INestApplication } from '@nestjs/common';
import { OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import helmet from 'helmet';
import { RoutePolicies } from '../routes/route-policies';
import { buildOpenApiDocument, OpenApiOptions } from './openapi.document';

export const OPENAPI_JSON_PATH = '/openapi.json';
export const DOCS_PATH = '/docs';

const isDocsPath = (path: string) => path === DOCS_PATH || path.startsWith(`${DOCS_PATH}/`);

/** Sets the security headers of one answer (called by the HTTP pipeline for every request). */
export type SecurityHeaders = (path: string, reply: FastifyReply) => void;

/**
 * Security headers for every answer. The docs page (Swagger UI: its own scripts and styles, no inline
 * script) gets a CSP that lets it run from this origin only; the API answers keep helmet's defaults.
 * `upgrade-insecure-requests` is left out for the page so it also works over plain HTTP on a private
 * network (the API itself never needed it: JSON is not upgraded).
 */
export function securityHeaders(): SecurityHeaders {
  const api = replayed(helmet());
  const docs = replayed(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          fontSrc: ["'self'", 'data:'],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
    }),
  );
  return (path, reply) => (isDocsPath(path) ? docs(reply) : api(reply));
}

type HeaderValue = number | string | string[];
type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * helmet's headers do not depend on the request: they are recorded once (helmet run against a
 * recording response) and set on each answer, instead of running helmet's middlewares per request.
 * Should helmet do anything but set and remove headers, it runs as it is on the raw response.
 */
function replayed(middleware: Middleware): (reply: FastifyReply) => void {
  const headers: Record<string, HeaderValue> = {};
  let recorded = true;
  const recorder = {
    setHeader: (name: string, value: HeaderValue | readonly string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? [...(value as string[])] : (value as HeaderValue);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  let nextCalled = false;
  try {
    middleware(
      new Proxy({} as IncomingMessage, { get: () => undefined }),
      new Proxy(recorder, {
        get: (target, key) => {
          if (key in target) return target[key as keyof typeof target];
          recorded = false; // anything else: not a plain header set
          return undefined;
        },
      }) as unknown as ServerResponse,
      (err?: unknown) => {
        nextCalled = err === undefined;
      },
    );
  } catch {
    recorded = false;
  }
  if (!recorded || !nextCalled) return (reply) => middleware(reply.request.raw, reply.raw, () => undefined);
  return (reply) => void reply.headers(headers);
}

/**
 * Serves the generated OpenAPI document at /openapi.json and Swagger UI at /docs. Both are public
 * (reading the description needs no credentials; "Try it out" sends the caller's token) and are
 * declared in the route-policy table, which refuses to boot with any route it does not know.
 */
export function setupApiDocs(app: INestApplication, options: OpenApiOptions): OpenAPIObject {
  const document = buildOpenApiDocument(app, options);
  const policies = app.get(RoutePolicies);
  policies.allowPublic({ method: 'GET', path: OPENAPI_JSON_PATH, reason: 'OpenAPI description of this service' });
  policies.allowPublic({ method: 'GET', path: DOCS_PATH, reason: 'API documentation page' });
  policies.allowPublic({ method: 'GET', path: `${DOCS_PATH}/*`, reason: 'API documentation page assets' });
  SwaggerModule.setup(DOCS_PATH, app, document, {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    raw: ['json'],
    customSiteTitle: `${options.service} API`,
    swaggerOptions: {
      url: OPENAPI_JSON_PATH,
      persistAuthorization: false,
      tryItOutEnabled: false,
      displayOperationId: false,
    },
  });
  return document;
}
