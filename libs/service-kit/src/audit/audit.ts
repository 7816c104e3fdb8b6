import { CallHandler, Controller, ExecutionContext, Get, Injectable, NestInterceptor, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PageQuery, principalOf, RequestContext, RequireRole } from '@tpo/platform';
import { AuditPageResponse } from '../openapi/service-kit.responses';
import { UnitOfWork } from '@tpo/persistence';
import type { Request, Response } from 'express';
import { Observable } from 'rxjs';

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
      .query(`INSERT INTO audit_log (actor, roles, via, action, target, outcome, source_ip, correlation_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
        e.actor,
        e.roles,
        e.via,
        e.action,
        e.target,
        e.outcome,
        e.sourceIp,
        e.correlationId,
      ]);
  }

  async list(limit: number, offset: number): Promise<{ items: AuditEntry[]; total: number }> {
    const rows: Record<string, unknown>[] = await this.uow
      .manager()
      .query(`SELECT id, at, actor, roles, via, action, target, outcome, source_ip, correlation_id FROM audit_log ORDER BY id DESC LIMIT $1 OFFSET $2`, [limit, offset]);
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

/** Records every authenticated state-changing request with its outcome (bodies are never stored). */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(private readonly audit: AuditRepository) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Request>();
    if (['GET', 'HEAD', 'OPTIONS'].includes(req.method)) return next.handle();
    const write = (outcome: number) => {
      const p = principalOf(req);
      if (!p) return;
      const target = Object.values((req.params ?? {}) as Record<string, string>).join('/') || null;
      void this.audit
        .record({
          actor: p.subject,
          roles: p.roles,
          via: p.via,
          action: `${req.method} ${req.route?.path ?? req.path}`,
          target,
          outcome,
          sourceIp: req.ip ?? null,
          correlationId: RequestContext.current()?.correlationId ?? null,
        })
        .catch(() => undefined);
    };
    // The final status is known only once exception filters have answered: record on 'finish'.
    const res = context.switchToHttp().getResponse<Response>();
    res.once('finish', () => write(res.statusCode));
    return next.handle();
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
