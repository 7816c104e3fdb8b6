import 'reflect-metadata';
import { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { correlationMiddleware, DomainErrorHttpFilter, EnvValidationError, validateEnv } from '@tpo/platform';
import helmet from 'helmet';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { OpsConsoleModule } from './app.module';
import { OpsConsoleEnv } from './config/ops-console.env';
import { CONSOLE_LOGGER } from './tokens';

/** Nest's own messages as JSON lines through pino, like the services. */
class PinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
}

function loadConfig(): OpsConsoleEnv {
  try {
    return validateEnv(OpsConsoleEnv);
  } catch (e) {
    const message = e instanceof EnvValidationError ? e.message : String(e);
    process.stderr.write(
      `${JSON.stringify({ level: 'fatal', service: 'ops-console', msg: 'configuration rejected', detail: message })}\n${message}\n`,
    );
    process.exit(78);
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.create<NestExpressApplication>(OpsConsoleModule.register(config), {
    bufferLogs: true,
    cors: false,
    bodyParser: false,
  });
  const logger = app.get<Logger>(CONSOLE_LOGGER);
  app.useLogger(new PinoLogger(logger));
  app.use(correlationMiddleware);
  app.use(helmet()); // default CSP: scripts and connections to this origin only
  // The page: index.html, styles and the compiled browser modules (npm run build puts them together).
  app.useStaticAssets(resolve(__dirname, '..', 'web'), { index: 'index.html', maxAge: 0 });
  app.useGlobalFilters(new DomainErrorHttpFilter());
  app.enableShutdownHooks();
  await app.listen(config.HTTP_PORT, config.HTTP_HOST);
  logger.info({ port: config.HTTP_PORT }, 'ops-console started');
}

main().catch((e: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ level: 'fatal', service: 'ops-console', msg: 'boot failed', err: String(e) })}\n`,
  );
  process.exit(1);
});
