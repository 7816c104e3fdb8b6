import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, DomainError, ErrorBody, PageQuery, Principal, RequireRole, SiteScoped } from '@tpo/platform';
import type { FastifyReply } from 'fastify';
import { TenantErrorCode } from '../tenants/tenant-errors';
import { TenantRecord, TenantRepository } from '../tenants/tenant.repository';
import { OperationRecord, OperationRepository } from './operation.repository';
import { OperationAcceptedResponse, OperationDetailResponse, OperationPageResponse } from './operation.response';
import { operationDetail, operationSummary } from './operation.view';
import {
  AddVmsBody,
  LifecycleRequestBody,
  RemoveVmsBody,
  RequestableKind,
} from './use-cases/request-operation.command';
import { RequestOperationUseCase } from './use-cases/request-operation.use-case';
import { RetryOperationUseCase } from './use-cases/retry-operation.use-case';

const inScope = (principal: Principal | undefined, siteId: string) =>
  !principal?.sites || principal.sites.includes(siteId);
const REFUSALS =
  'OPERATION_IN_PROGRESS (details.runningOperationId), TENANT_SUSPENDED, TENANT_NOT_ACTIVE, TENANT_NOT_SUSPENDED or TENANT_DEPROVISIONED';
const VM_REFUSALS = `${REFUSALS}; VM_ALREADY_IN_TENANT, VM_OWNED_BY_ANOTHER_TENANT (details.biosUuids)`;

/** Lifecycle operations over REST: thin, each route builds a command for one use case. Site-scoped. */
@Controller('v1')
@SiteScoped()
@ApiTags('operations')
export class OperationsHttpController {
  constructor(
    private readonly request: RequestOperationUseCase,
    private readonly retryOp: RetryOperationUseCase,
    private readonly operations: OperationRepository,
    private readonly tenants: TenantRepository,
  ) {}

  @Get('tenants/:id/operations')
  @ApiOkResponse({
    type: OperationPageResponse,
    description: "The tenant's operations, newest first (its onboarding included)",
  })
  @ApiNotFoundResponse({
    type: ErrorBody,
    description: "TENANT_NOT_FOUND (also for a tenant of a site outside the caller's scope)",
  })
  async list(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Query() q: PageQuery,
    @CurrentPrincipal() principal?: Principal,
  ) {
    await this.visibleTenant(id, principal);
    const page = await this.operations.listForTenant(id, { limit: q.limit, offset: q.offset });
    return { items: page.items.map(operationSummary), total: page.total, limit: q.limit, offset: q.offset };
  }

  @Get('operations/:id')
  @ApiOkResponse({ type: OperationDetailResponse, description: 'The operation with its steps' })
  @ApiNotFoundResponse({
    type: ErrorBody,
    description: "OPERATION_NOT_FOUND (also for an operation on a tenant outside the caller's scope)",
  })
  async get(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() principal?: Principal) {
    const op = await this.visibleOperation(id, principal);
    return operationDetail(
      op,
      await this.operations.steps(op.id),
      op.kind === 'onboard' ? await this.tenants.steps(op.tenantId) : undefined,
    );
  }

  /** Resumes a failed lifecycle operation at its failed step (202). */
  @Post('operations/:id/retry')
  @RequireRole('operator')
  @ApiAcceptedResponse({ type: OperationDetailResponse, description: 'Running again from its failed step' })
  @ApiNotFoundResponse({ type: ErrorBody, description: 'OPERATION_NOT_FOUND' })
  @ApiConflictResponse({ type: ErrorBody, description: 'OPERATION_NOT_FAILED or OPERATION_IN_PROGRESS' })
  async retry(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Res({ passthrough: true }) res: FastifyReply,
    @CurrentPrincipal() principal?: Principal,
  ) {
    await this.visibleOperation(id, principal);
    const op = await this.retryOp.execute(id);
    void res.status(202);
    return operationDetail(op, await this.operations.steps(op.id));
  }

  /** Deactivates the tenant in its Integration Server (protection stops); recorded with the reason. */
  @Post('tenants/:id/suspend')
  @RequireRole('operator')
  @ApiAcceptedResponse({
    type: OperationAcceptedResponse,
    description: 'Suspend operation started (Location: /v1/operations/{id})',
  })
  @ApiOkResponse({
    type: OperationAcceptedResponse,
    description: 'The request id is already known: the same operation',
  })
  @ApiNotFoundResponse({ type: ErrorBody, description: 'TENANT_NOT_FOUND' })
  @ApiConflictResponse({ type: ErrorBody, description: REFUSALS })
  suspend(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: LifecycleRequestBody,
    @Res({ passthrough: true }) res: FastifyReply,
    @CurrentPrincipal() principal?: Principal,
  ) {
    return this.start('suspend', id, body, res, principal);
  }

  /** Activates a suspended tenant again (protection resumes). */
  @Post('tenants/:id/resume')
  @RequireRole('operator')
  @ApiAcceptedResponse({
    type: OperationAcceptedResponse,
    description: 'Resume operation started (Location: /v1/operations/{id})',
  })
  @ApiOkResponse({
    type: OperationAcceptedResponse,
    description: 'The request id is already known: the same operation',
  })
  @ApiNotFoundResponse({ type: ErrorBody, description: 'TENANT_NOT_FOUND' })
  @ApiConflictResponse({ type: ErrorBody, description: REFUSALS })
  resume(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: LifecycleRequestBody,
    @Res({ passthrough: true }) res: FastifyReply,
    @CurrentPrincipal() principal?: Principal,
  ) {
    return this.start('resume', id, body, res, principal);
  }

  /** Takes the tenant down for good (reverse saga); the record stays as history. */
  @Post('tenants/:id/deprovision')
  @RequireRole('admin')
  @ApiAcceptedResponse({
    type: OperationAcceptedResponse,
    description: 'Deprovision operation started (Location: /v1/operations/{id})',
  })
  @ApiOkResponse({
    type: OperationAcceptedResponse,
    description: 'The request id is already known: the same operation',
  })
  @ApiNotFoundResponse({ type: ErrorBody, description: 'TENANT_NOT_FOUND' })
  @ApiConflictResponse({ type: ErrorBody, description: REFUSALS })
  deprovision(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: LifecycleRequestBody,
    @Res({ passthrough: true }) res: FastifyReply,
    @CurrentPrincipal() principal?: Principal,
  ) {
    return this.start('deprovision', id, body, res, principal);
  }

  /** Adds VMs to an active tenant: install, move into its vAS, register, for the new VMs only (per-VM results in the operation). */
  @Post('tenants/:id/vms')
  @RequireRole('operator')
  @ApiAcceptedResponse({
    type: OperationAcceptedResponse,
    description: 'Add-VMs operation started (Location: /v1/operations/{id})',
  })
  @ApiOkResponse({
    type: OperationAcceptedResponse,
    description: 'The request id is already known: the same operation',
  })
  @ApiNotFoundResponse({ type: ErrorBody, description: 'TENANT_NOT_FOUND' })
  @ApiConflictResponse({ type: ErrorBody, description: VM_REFUSALS })
  addVms(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: AddVmsBody,
    @Res({ passthrough: true }) res: FastifyReply,
    @CurrentPrincipal() principal?: Principal,
  ) {
    return this.start('add-vms', id, body, res, principal, { vms: body.vms });
  }

  /** Removes VMs from a tenant (unregistered from the Integration Server; per-VM results in the operation). */
  @Post('tenants/:id/vms/remove')
  @RequireRole('operator')
  @ApiAcceptedResponse({
    type: OperationAcceptedResponse,
    description: 'Remove-VMs operation started (Location: /v1/operations/{id})',
  })
  @ApiOkResponse({
    type: OperationAcceptedResponse,
    description: 'The request id is already known: the same operation',
  })
  @ApiNotFoundResponse({
    type: ErrorBody,
    description: "TENANT_NOT_FOUND, or VM_NOT_IN_TENANT (details.biosUuids): a VM that is not the tenant's",
  })
  @ApiConflictResponse({ type: ErrorBody, description: REFUSALS })
  removeVms(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: RemoveVmsBody,
    @Res({ passthrough: true }) res: FastifyReply,
    @CurrentPrincipal() principal?: Principal,
  ) {
    return this.start('remove-vms', id, body, res, principal, { biosUuids: body.biosUuids });
  }

  private async start(
    kind: RequestableKind,
    tenantId: string,
    body: { requestId?: string; reason?: string },
    res: FastifyReply,
    principal?: Principal,
    vms: { vms?: AddVmsBody['vms']; biosUuids?: string[] } = {},
  ) {
    await this.visibleTenant(tenantId, principal);
    const r = await this.request.execute({
      tenantId,
      kind,
      requester: `user:${principal?.subject ?? 'unknown'}`,
      requestId: body.requestId,
      reason: body.reason,
      ...vms,
    });
    void res.status(r.outcome === 'accepted' ? 202 : 200);
    void res.header('Location', `/v1/operations/${r.operation.id}`);
    return { ...operationSummary(r.operation), duplicate: r.outcome === 'duplicate' };
  }

  private async visibleTenant(id: string, principal: Principal | undefined): Promise<TenantRecord> {
    const t = await this.tenants.findById(id);
    if (!t || !inScope(principal, t.siteId))
      throw new DomainError(TenantErrorCode.TenantNotFound, `tenant ${id} not found`);
    return t;
  }

  private async visibleOperation(id: string, principal: Principal | undefined): Promise<OperationRecord> {
    const op = await this.operations.findById(id);
    const t = op ? await this.tenants.findById(op.tenantId) : undefined;
    if (!op || !t || !inScope(principal, t.siteId))
      throw new DomainError(TenantErrorCode.OperationNotFound, `operation ${id} not found`);
    return op;
  }
}
