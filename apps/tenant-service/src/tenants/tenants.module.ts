import { DynamicModule, Inject, Module, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { UnitOfWork } from '@tpo/persistence';
import { JobRunner, runExclusiveRound } from '@tpo/jobs';
import { LOGGER } from '@tpo/platform';
import type { Logger } from 'pino';
import { TenantServiceEnv } from '../config/tenant-service.env';
import { OPERATION_KIND_PROVIDERS } from '../operations/kinds/operation-kinds';
import { TenantVendorSteps } from '../operations/kinds/tenant-vendor-steps';
import { OnboardOperation } from '../operations/onboard-operation';
import { OperationJob } from '../operations/operation.job';
import { OperationRepository } from '../operations/operation.repository';
import { OperationsHttpController } from '../operations/operations.http.controller';
import { OperationsMessageController } from '../operations/operations.message.controller';
import { RequestOperationUseCase } from '../operations/use-cases/request-operation.use-case';
import { RetryOperationUseCase } from '../operations/use-cases/retry-operation.use-case';
import { OperationProgressUseCase } from '../operations/use-cases/operation-progress.use-case';
import { TenantVmRepository } from '../operations/tenant-vm.repository';
import { SitesModule } from '../sites/sites.module';
import { CreateTenantStepRepository } from './create-tenant-step.repository';
import { TenantEventsMessageController } from './tenant-events.message.controller';
import { TenantReadQuery } from './tenant-read.query';
import { TenantSecretRepository } from './tenant-secret.repository';
import { TenantTimelineRepository } from './tenant-timeline.repository';
import { TenantRepository } from './tenant.repository';
import { TenantsHttpController } from './tenants.http.controller';
import { CreateTenantJob } from './use-cases/create-tenant.job';
import { IntakeFromBusUseCase } from './use-cases/intake-from-bus.use-case';
import { RecordProgressUseCase } from './use-cases/record-progress.use-case';
import { RequestOnboardingUseCase } from './use-cases/request-onboarding.use-case';
import { RetryOnboardingUseCase } from './use-cases/retry-onboarding.use-case';
import { RevealCredentialsUseCase } from './use-cases/reveal-credentials.use-case';

const TENANTS_CONFIG = Symbol('TENANTS_CONFIG');

/** Intake, placement, step 1, timeline, handover, lifecycle operations — tenant-service's tenant domain (sites: SitesModule). */
@Module({})
export class TenantsModule implements OnModuleInit, OnModuleDestroy {
  private sweeper?: NodeJS.Timeout;

  constructor(
    @Inject(TENANTS_CONFIG) private readonly config: TenantServiceEnv,
    private readonly runner: JobRunner,
    private readonly createTenant: CreateTenantJob,
    private readonly operationJob: OperationJob,
    private readonly secrets: TenantSecretRepository,
    private readonly uow: UnitOfWork,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  static register(config: TenantServiceEnv): DynamicModule {
    return {
      module: TenantsModule,
      imports: [SitesModule.register(config)],
      controllers: [
        TenantsHttpController,
        TenantEventsMessageController,
        OperationsHttpController,
        OperationsMessageController,
      ],
      providers: [
        { provide: TENANTS_CONFIG, useValue: config },
        TenantRepository,
        TenantTimelineRepository,
        TenantSecretRepository,
        TenantReadQuery,
        RequestOnboardingUseCase,
        IntakeFromBusUseCase,
        RecordProgressUseCase,
        RetryOnboardingUseCase,
        RevealCredentialsUseCase,
        CreateTenantStepRepository,
        CreateTenantJob,
        // Lifecycle operations (src/operations): one folder, one file per kind under kinds/.
        OperationRepository,
        OnboardOperation,
        TenantVendorSteps,
        ...OPERATION_KIND_PROVIDERS,
        OperationJob,
        RequestOperationUseCase,
        RetryOperationUseCase,
        OperationProgressUseCase,
        TenantVmRepository,
      ],
    };
  }

  async onModuleInit(): Promise<void> {
    this.runner.register(this.createTenant);
    this.runner.register(this.operationJob);
    // Unrevealed passwords past their window are destroyed (the tenant must reset it in KSC).
    this.sweeper = setInterval(() => void this.sweep(), 60_000);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.sweeper);
  }

  /** Every replica schedules the sweep; one runs each round (the others skip while it holds the lock). */
  private async sweep(): Promise<void> {
    try {
      await runExclusiveRound(this.uow, `${this.config.DATABASE_SCHEMA}:secret-sweep`, async () => {
        for (const tenantId of await this.secrets.expired(100)) {
          if (!(await this.secrets.destroy(tenantId, 'reveal window expired'))) continue;
          this.logger.warn(
            { tenantId },
            'unrevealed admin password destroyed after its reveal window; the tenant needs a password reset',
          );
        }
      });
    } catch (e) {
      this.logger.warn({ err: e }, 'secret sweep failed');
    }
  }
}
