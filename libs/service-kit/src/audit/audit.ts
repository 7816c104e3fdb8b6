import { CallHandler, Controller, ExecutionContext, Get, Injectable, NestInterceptor, Query } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { DomainError, PageQuery, principalOf, RequestContext, RequireRole } from '@tpo/platform';
import { UnitOfWork } from '@tpo/persistence';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, Observable } from 'rxjs';
import { AuditPageResponse } from '../openapi/service-kit.responses';
import { requestContextOf, routeOf } from '../http/http-pipeline';

export interface AuditEntry {
  id: string;
  at: Date;
  actor: string;
  roles: string[];
  via: string;
  action: string;
  target: string | null;
  outcome: number;
  sourceIp: string | null;
  correlationId: string | null;
}

/** The only code that touches `audit_log`. */
@Injectable()
export class AuditRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async record(e: Omit<AuditEntry, 'id' | 'at'>): Promise<void> {
    await this.uow
      .manager()
      .query(
        `INSERT INTO audit_log (actor, roles, via, action, target, outcome, source_ip, correlation_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [e.actor, e.roles, e.via, e.action, e.target, e.outcome, e.sourceIp, e.correlationId],
      );
  }

  async list(limit: number, offset: number): Promise<{ items: AuditEntry[]; total: number }> {
    const rows: Record<string, unknown>[] = await this.uow
      .manager()
      .query(
        `SELECT id, at, actor, roles, via, action, target, outcome, source_ip, correlation_id FROM audit_log ORDER BY id DESC LIMIT $1 OFFSET $2`,
        [limit, offset],
      );
    const [{ n }] = await this.uow.manager().query(`SELECT count(*)::int AS n FROM audit_log`);
    return {
      items: rows.map((r) => ({
        id: String(r.id),
        at: r.at as Date,
        actor: r.actor as string,
        roles: r.roles as string[],
        via: r.via as string,
        action: r.action as string,
        target: r.target as string | null,
        outcome: r.outcome as number,
        sourceIp: r.source_ip as string | null,
        correlationId: r.correlation_id as string | null,
      })),
      total: n,
    };
  }
}

/** The audit row of an admin request (bodies are never stored). */
export function auditEntryOf(req: FastifyRequest, outcome: number): Omit<AuditEntry, 'id' | 'at'> {
  const p = principalOf(req);
  return {
    actor: p?.subject ?? 'anonymous',
    roles: p?.roles ?? [],
    via: p?.via ?? 'none',
    action: `${req.method} ${routeOf(req)}`,
    target: Object.values((req.params ?? {}) as Record<string, string>).join('/') || null,
    outcome,
    sourceIp: req.ip ?? null,
    correlationId: (requestContextOf(req) ?? RequestContext.current())?.correlationId ?? null,
  };
}

/**
 * Every authenticated state-changing request runs in one transaction with its audit row: the
 * handler's writes (repositories join the transaction in scope) and the row commit together or not
 * at all. A crash (any other error) rolls everything back. A coded domain refusal keeps what the
 * use case deliberately wrote before refusing (e.g. a reveal past its window destroys the sealed
 * password, then answers 410); such outcomes, like every failure, are recorded by
 * AuditRefusals once the answer is sent.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly audit: AuditRepository,
    private readonly uow: UnitOfWork,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    if (['GET', 'HEAD', 'OPTIONS'].includes(req.method) || !principalOf(req)) return next.handle();
    const res = context.switchToHttp().getResponse<FastifyReply>();
    const declared = Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) as number | undefined;
    let refusal: DomainError | undefined;
    return from(
      this.uow
        .run(async () => {
          let result: unknown;
          try {
            result = await lastValueFrom(next.handle(), { defaultValue: undefined });
          } catch (e) {
            if (!(e instanceof DomainError)) throw e;
            refusal = e;
            return undefined;
          }
          // A status set by the handler itself (passthrough), else @HttpCode, else Nest's default.
          const status = res.statusCode !== 200 ? res.statusCode : (declared ?? (req.method === 'POST' ? 201 : 200));
          await this.audit.record(auditEntryOf(req, status));
          return result;
        })
        .then((result) => {
          if (refusal) throw refusal;
          return result;
        }),
    );
  }
}

/** The audit trail of this service's admin actions (admins only). */
@Controller('v1/audit')
@ApiTags('operations')
export class AuditHttpController {
  constructor(private readonly audit: AuditRepository) {}

  @Get()
  @RequireRole('admin')
  @ApiOkResponse({ type: AuditPageResponse, description: 'Admin actions on this service, newest first' })
  list(@Query() q: PageQuery) {
    return this.audit.list(q.limit, q.offset);
  }
}
