import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import {
  AdminAuthGuard,
  createLogger,
  CredentialVerifier,
  HealthHttpController,
  READINESS_CHECKS,
} from '@tpo/platform';
import { OpsConsoleEnv } from './config/ops-console.env';
import { EventsHttpController } from './live/events.http.controller';
import { LiveEventsService } from './live/live-events.service';
import { ApiProxyHttpController } from './proxy/api-proxy.http.controller';
import { SessionHttpController } from './session/session.http.controller';
import { CONSOLE_CONFIG, CONSOLE_LOGGER } from './tokens';

/** The ops console: static page, session, live events (read-only), and the allow-listed API calls. */
@Module({})
export class OpsConsoleModule {
  static register(config: OpsConsoleEnv): DynamicModule {
    return {
      module: OpsConsoleModule,
      imports: [ThrottlerModule.forRoot([{ ttl: 60_000, limit: 600 }])],
      controllers: [SessionHttpController, EventsHttpController, ApiProxyHttpController, HealthHttpController],
      providers: [
        { provide: CONSOLE_CONFIG, useValue: config },
        { provide: CONSOLE_LOGGER, useValue: createLogger('ops-console', config.LOG_LEVEL) },
        {
          provide: CredentialVerifier,
          useValue: new CredentialVerifier({
            jwtSecret: config.AUTH_JWT_SECRET,
            jwtPublicKeyPem: config.AUTH_JWT_PUBLIC_KEY,
            issuer: config.AUTH_JWT_ISSUER,
            audience: config.AUTH_JWT_AUDIENCE,
            apiKeys: config.AUTH_API_KEYS,
          }),
        },
        { provide: APP_GUARD, useClass: AdminAuthGuard },
        { provide: APP_GUARD, useClass: ThrottlerGuard },
        LiveEventsService,
        { provide: READINESS_CHECKS, inject: [LiveEventsService], useFactory: (live: LiveEventsService) => [live] },
      ],
    };
  }
}
