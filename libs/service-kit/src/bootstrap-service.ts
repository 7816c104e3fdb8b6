import 'reflect-metadata';
import { DynamicModule, INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JetStreamServer } from '@tpo/messaging';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  BaseServiceEnv,
  DomainErrorHttpFilter,
  EnvValidationError,
  HttpStatusMap,
  initTracing,
  MALFORMED_JSON,
  TracingShutdown,
  validateEnv,
} from '@tpo/platform';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AuditRefusals } from './audit/audit-refusals';
import { auditMutatingRoutes } from './audit/audited-routes';
import { installHttpPipeline } from './http/http-pipeline';
import { recordServedRoutes } from './routes/route-policies';
import { setupApiDocs, securityHeaders } from './openapi/api-docs.setup';
import { PinoNestLogger } from './pino-nest-logger';
import { LOGGER } from './tokens';
import { memoizeValidationMetadata } from './http/validation-metadata-cache';

/** Version of the admin REST API in the OpenAPI documents (paths carry the major: /v1). */
export const SERVICE_API_VERSION = '1.0.0';

export interface BootstrapOptions<E extends BaseServiceEnv> {
  service: string;
  envSchema: new () => E;
  module: (config: E) => DynamicModule;
  httpStatusByCode?: HttpStatusMap;
}

/** Validates env or exits naming the variable; exits non-zero on any boot failure. */
export function loadConfigOrExit<E extends object>(service: string, schema: new () => E): E {
  try {
    return validateEnv(schema);
  } catch (e) {
    const message = e instanceof EnvValidationError ? e.message : String(e);
    process.stderr.write(
      `${JSON.stringify({ level: 'fatal', service, msg: 'configuration rejected', detail: message })}\n${message}\n`,
    );
    process.exit(78); // EX_CONFIG
  }
}

/** Largest accepted request body (JSON). */
export const BODY_LIMIT_BYTES = 256 * 1024;

/**
 * The HTTP server: Fastify (through Nest's official adapter), with the request pipeline as Fastify
 * hooks (see http-pipeline.ts) and JSON as the only body type.
 */
function createHttpAdapter(): FastifyAdapter {
  // Fastify's own logger stays off (the access log is ours); `/v1/tenants/` answers like `/v1/tenants`, as
  // it did on Express.
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    logger: false,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true },
    // No Nest middleware anywhere (the request pipeline is Fastify hooks, http-pipeline.ts): without
    // @fastify/middie every request skips its empty middleware run (~3% of a tenant read's CPU). A
    // middleware added later fails the boot (the adapter then has no `use`) instead of being ignored.
    skipMiddie: true,
  });
}

/**
 * JSON bodies only; an empty body reads as `{}` (as it did before), a malformed one is refused with a
 * 400 that names no parser internals, and `__proto__` / `constructor` keys are refused.
 */
function acceptJsonBodiesOnly(fastify: FastifyInstance): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '') return done(null, {});
    void parse(req, body as string, (err, value) =>
      err
        ? done(Object.assign(new Error('request body is not valid JSON'), { statusCode: 400, code: MALFORMED_JSON }))
        : done(null, value),
    );
  });
}

/** Builds and starts a service app (REST + JetStream consumers + relay); shared by main.ts and tests. */
export async function createServiceApp(
  module: DynamicModule,
  config: BaseServiceEnv,
  options: { service: string; httpStatusByCode?: HttpStatusMap },
): Promise<INestApplication> {
  auditMutatingRoutes(module);
  const app = await NestFactory.create<NestFastifyApplication>(module, createHttpAdapter(), {
    bufferLogs: true,
    bodyParser: false,
    cors: false,
  });
  try {
    const logger = app.get<Logger>(LOGGER);
    app.useLogger(new PinoNestLogger(logger));
    const fastify = app.getHttpAdapter().getInstance();
    recordServedRoutes(fastify);
    acceptJsonBodiesOnly(fastify);
    const refusals = app.get(AuditRefusals);
    installHttpPipeline(fastify, {
      logger,
      securityHeaders: securityHeaders(),
      onAnswered: (req, status) => refusals.answered(req, status),
    });
    memoizeValidationMetadata();
    app.useGlobalPipes(
      new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, forbidUnknownValues: true }),
    );
    app.useGlobalFilters(new DomainErrorHttpFilter(options.httpStatusByCode));
    setupApiDocs(app, { service: options.service, version: SERVICE_API_VERSION });
    app.connectMicroservice({ strategy: app.get(JetStreamServer) });
    await app.startAllMicroservices();
    await app.listen(config.HTTP_PORT, config.HTTP_HOST);
    logger.info({ port: config.HTTP_PORT }, `${options.service} started`);
    return app;
  } catch (e) {
    await app.close().catch(() => undefined);
    throw e;
  }
}

/** One process per service: validated env, graceful on SIGTERM, non-zero exit on boot failure. */
export async function bootstrapService<E extends BaseServiceEnv>(
  options: BootstrapOptions<E>,
): Promise<INestApplication> {
  const config = loadConfigOrExit(options.service, options.envSchema);
  // Before anything is created, so every span has its provider; nothing is installed when no endpoint is configured.
  const stopTracing = initTracing({
    service: options.service,
    otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
    exportDelayMs: config.OTEL_BSP_SCHEDULE_DELAY,
  });
  try {
    const app = await createServiceApp(options.module(config), config, options);
    exitGracefullyOnSignals(app, options.service, stopTracing);
    return app;
  } catch (e) {
    process.stderr.write(
      `${JSON.stringify({ level: 'fatal', service: options.service, msg: 'boot failed', err: String(e) })}\n`,
    );
    process.exit(1);
  }
}

/**
 * SIGTERM/SIGINT: stop pulling, finish in-flight events, stop the relay, close pools, exit 0.
 * A second signal or a 30 s overrun exits at once (non-zero); JetStream redelivers anything unacked.
 */
function exitGracefullyOnSignals(app: INestApplication, service: string, stopTracing: TracingShutdown): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    setTimeout(() => {
      process.stderr.write(`${service}: graceful shutdown overran 30 s; exiting\n`);
      process.exit(1);
    }, 30_000).unref();
    app
      .close()
      .then(stopTracing) // flushes the last spans
      .then(() => process.exit(0))
      .catch((e: unknown) => {
        process.stderr.write(`${service}: shutdown failed after ${signal}: ${String(e)}\n`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
