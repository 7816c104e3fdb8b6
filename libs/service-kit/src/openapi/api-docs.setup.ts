import { INestApplication } from '@nestjs/common';
import { OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { RoutePolicies } from '../routes/route-policies';
import { buildOpenApiDocument, OpenApiOptions } from './openapi.document';

export const OPENAPI_JSON_PATH = '/openapi.json';
export const DOCS_PATH = '/docs';

const isDocsPath = (path: string) => path === DOCS_PATH || path.startsWith(`${DOCS_PATH}/`);

/**
 * Security headers for every answer. The docs page (Swagger UI: its own scripts and styles, no inline
 * script) gets a CSP that lets it run from this origin only; the API answers keep helmet's defaults.
 * `upgrade-insecure-requests` is left out for the page so it also works over plain HTTP on a private
 * network (the API itself never needed it: JSON is not upgraded).
 */
export function securityHeaders(): RequestHandler {
  const api = replayed(helmet());
  const docs = helmet({
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
  });
  return (req: Request, res: Response, next: NextFunction) =>
    isDocsPath(req.path) ? docs(req, res, next) : api(req, res, next);
}

/**
 * helmet's default headers do not depend on the request: they are recorded once (helmet run against a
 * recording response) and replayed on each answer, instead of running helmet's thirteen middlewares
 * per request. Should helmet do anything but set and remove headers, it is used as it is.
 */
function replayed(middleware: RequestHandler): RequestHandler {
  const operations: { name: string; value?: number | string | readonly string[] }[] = [];
  let recorded = true;
  const recorder = {
    setHeader: (name: string, value: number | string | readonly string[]) => operations.push({ name, value }),
    removeHeader: (name: string) => operations.push({ name }),
  };
  let nextCalled = false;
  try {
    void middleware(
      new Proxy({} as Request, { get: () => undefined }),
      new Proxy(recorder, {
        get: (target, key) => {
          if (key in target) return target[key as keyof typeof target];
          recorded = false; // anything else: not a plain header set
          return undefined;
        },
      }) as unknown as Response,
      (err?: unknown) => {
        nextCalled = err === undefined;
      },
    );
  } catch {
    recorded = false;
  }
  if (!recorded || !nextCalled) return middleware;
  return (_req: Request, res: Response, next: NextFunction) => {
    for (const op of operations) {
      if (op.value === undefined) res.removeHeader(op.name);
      else res.setHeader(op.name, op.value);
    }
    next();
  };
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
