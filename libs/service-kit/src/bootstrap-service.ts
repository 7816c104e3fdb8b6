import 'reflect-metadata';
import { DynamicModule, INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JetStreamServer } from '@tpo/messaging';
import {
  BaseServiceEnv,
  correlationMiddleware,
  DomainErrorHttpFilter,
  EnvValidationError,
  HttpStatusMap,
  initTracing,
  TracingShutdown,
  validateEnv,
} from '@tpo/platform';
import { httpTracingMiddleware } from './tracing/http-tracing.middleware';
import { accessLogMiddleware } from './http/access-log.middleware';
import { json, NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { setupApiDocs, securityHeaders } from './openapi/api-docs.setup';
import { PinoNestLogger } from './pino-nest-logger';
import { LOGGER } from './tokens';

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

/** Builds and starts a service app (REST + JetStream consumers + relay); shared by main.ts and tests. */
export async function createServiceApp(
  module: DynamicModule,
  config: BaseServiceEnv,
  options: { service: string; httpStatusByCode?: HttpStatusMap },
): Promise<INestApplication> {
  const app = await NestFactory.create(module, { bufferLogs: true, bodyParser: false, cors: false });
  try {
    const logger = app.get<Logger>(LOGGER);
    app.useLogger(new PinoNestLogger(logger));
    app.use(correlationMiddleware);
    app.use(httpTracingMiddleware);
    app.use(accessLogMiddleware(logger));
    app.use(securityHeaders());
    app.use(json({ limit: '256kb' }));
    // Body-parser failures (413 too large, 400 malformed JSON) answered as JSON, without internals.
    app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
      if (!err || !err.status) return next(err);
      const code =
        err.type === 'entity.too.large'
          ? 'PAYLOAD_TOO_LARGE'
          : err.type === 'entity.parse.failed'
            ? 'MALFORMED_JSON'
            : 'BAD_REQUEST';
      res.status(err.status).json({
        error: {
          code,
          message: err.type === 'entity.too.large' ? 'request body exceeds 256 KB' : 'request body is not valid JSON',
        },
      });
    });
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
