import { readFileSync } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { formatValidationErrors } from '@tpo/contracts';
import {
  DomainError,
  hasPermission,
  inSiteScope,
  LOGGER,
  PERMISSION_TLS_VERIFICATION_OFF,
  PlatformErrorCode,
  Principal,
  RequestContext,
  SERVICE_CONFIG,
} from '@tpo/platform';
import { UnitOfWork } from '@tpo/persistence';
import { EnvelopeCipher } from '@tpo/secrets';
import {
  DEFAULT_INTEGRATION_SERVER_AGENT_PORT,
  SiteConnection,
  SiteDeployment,
  SiteDirectory,
} from '@tpo/site-directory';
import { AuditRepository } from '@tpo/service-kit';
import type { Logger } from 'pino';
import { TenantErrorCode } from '../tenants/tenant-errors';
import { TenantServiceEnv } from '../config/tenant-service.env';
import { RegisterSiteCommand } from './register-site.command';
import { AddressClass, checkSiteUrl } from './site-url-policy';
import { SiteRecord, SiteRepository } from './site.repository';
import { freeVirtualServers } from './placement';
import { SitePreflightRecord, SitePreflightRepository } from './site-preflight.repository';

const aad = (siteId: string, part: string) => `site:${siteId}:${part}`;

/** A site's last preflight as admins (and the ops console) see it. */
export function toPreflightView(p: SitePreflightRecord) {
  return {
    status: p.status ?? 'not-run',
    trigger: p.trigger,
    checkedAt: p.checkedAt,
    kscVirtualServers: p.kscVirtualServers,
    otherVirtualServers: p.foreignVirtualServers,
    checks: p.checks.map(({ name, status, ok, message }) => ({ name, status, ok, message })),
  };
}

/** A value in SITES_FILE that must not be written in the file itself. */
type SecretRef = { env: string } | { file: string };

function resolveSecret(ref: unknown, where: string): string {
  if (typeof ref === 'object' && ref !== null && 'env' in ref) {
    const v = process.env[(ref as { env: string }).env];
    if (!v) throw new Error(`${where}: environment variable ${(ref as { env: string }).env} is not set`);
    return v;
  }
  if (typeof ref === 'object' && ref !== null && 'file' in ref)
    return readFileSync((ref as { file: string }).file, 'utf8').trim();
  throw new Error(`${where}: give secrets as {"env": "NAME"} or {"file": "path"}, never inline`);
}

/**
 * How long this process reuses a site connection it built for its own Kaspersky clients (every
 * create-tenant and handover job asks for one): a change made through this process drops it at
 * once; one made through another replica shows here within this time (the step services cache
 * theirs for 60 s, RemoteSiteDirectory).
 */
export const OWN_CONNECTION_TTL_MS = 10_000;

/**
 * The site registry: sites come from SITES_FILE at boot and from admins over REST. Credentials are
 * envelope-encrypted at rest and only ever decrypted to build a site connection for a Kaspersky
 * client (here, or for another service over the internal API).
 */
@Injectable()
export class SiteRegistry implements SiteDirectory {
  /** Connections built for this process's own clients (never for another service's audited read). */
  private readonly own = new Map<string, { at: number; site: SiteConnection }>();

  constructor(
    private readonly sites: SiteRepository,
    private readonly uow: UnitOfWork,
    private readonly cipher: EnvelopeCipher,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SERVICE_CONFIG) private readonly config: TenantServiceEnv,
    private readonly audit: AuditRepository,
    private readonly preflights: SitePreflightRepository,
  ) {}

  async seedFromFile(path: string): Promise<number> {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as { sites?: Record<string, unknown>[] };
    let n = 0;
    for (const [i, entry] of (raw.sites ?? []).entries()) {
      const where = `${path} sites[${i}]`;
      const is = entry.integrationServer as Record<string, unknown> & {
        password: SecretRef;
        tls?: Record<string, unknown>;
      };
      const ksc = entry.ksc as Record<string, unknown> & {
        password: SecretRef;
        tls?: Record<string, unknown>;
        pushInstall?: { username?: unknown; password?: SecretRef };
      };
      const withCa = (tls?: Record<string, unknown>) =>
        tls && typeof tls.caFile === 'string'
          ? {
              ...Object.fromEntries(Object.entries(tls).filter(([k]) => k !== 'caFile')),
              caPem: readFileSync(tls.caFile, 'utf8'),
            }
          : tls;
      const command = {
        ...entry,
        integrationServer: {
          ...is,
          password: resolveSecret(is?.password, `${where}.integrationServer.password`),
          tls: withCa(is?.tls),
        },
        ksc: {
          ...ksc,
          password: resolveSecret(ksc?.password, `${where}.ksc.password`),
          tls: withCa(ksc?.tls),
          ...(ksc?.pushInstall
            ? {
                pushInstall: {
                  ...ksc.pushInstall,
                  password: resolveSecret(ksc.pushInstall.password, `${where}.ksc.pushInstall.password`),
                },
              }
            : {}),
        },
      };
      await this.register(command, 'config');
      n++;
    }
    this.logger.info({ sites: n, file: path }, 'sites registered from configuration');
    return n;
  }

  /**
   * Registers or updates a site. Input is validated whatever called. Over the API the caller must
   * have the site in its scope, and switching TLS verification off needs its own permission (never
   * implied by a role) and writes an audit row in the same transaction.
   */
  async register(input: unknown, source: 'config' | 'api', actor?: Principal): Promise<SiteRecord> {
    const command = plainToInstance(RegisterSiteCommand, input);
    const errors = formatValidationErrors(
      validateSync(command, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true }),
    );
    if (errors.length > 0)
      throw new DomainError('INVALID_INPUT', `invalid site: ${errors.join('; ')}`, { details: { errors } });
    const insecure = [command.integrationServer.tls?.insecure, command.ksc.tls?.insecure].some(Boolean);
    if (source === 'api') {
      if (!inSiteScope(actor, command.id))
        throw new DomainError(PlatformErrorCode.Forbidden, `site ${command.id} is outside the caller's site scope`);
      if (insecure && !hasPermission(actor, PERMISSION_TLS_VERIFICATION_OFF)) {
        throw new DomainError(
          PlatformErrorCode.Forbidden,
          `switching TLS verification off needs the ${PERMISSION_TLS_VERIFICATION_OFF} permission`,
        );
      }
    }
    const allow = new Set((this.config.SITE_URL_ALLOW ?? '').split(',').filter(Boolean) as AddressClass[]);
    for (const [field, url] of [
      ['integrationServer.url', command.integrationServer.url],
      ['ksc.url', command.ksc.url],
    ] as const) {
      const problem = await checkSiteUrl(url, allow);
      if (problem)
        throw new DomainError('INVALID_INPUT', `${field}: ${problem}`, {
          details: { fields: [`${field}: ${problem}`] },
        });
    }
    const record: Omit<SiteRecord, 'createdAt' | 'updatedAt'> = {
      id: command.id,
      name: command.name,
      enabled: command.enabled ?? true,
      kscConfigured: command.kscConfigured ?? true,
      maxVirtualServers: command.maxVirtualServers,
      connection: {
        integrationServer: {
          url: command.integrationServer.url,
          username: command.integrationServer.username,
          tls: command.integrationServer.tls ? { ...command.integrationServer.tls } : undefined,
          addressForAgents: command.integrationServer.addressForAgents,
          agentPort: command.integrationServer.agentPort,
        },
        ksc: {
          url: command.ksc.url,
          username: command.ksc.username,
          tls: command.ksc.tls ? { ...command.ksc.tls } : undefined,
          publicAddress: command.ksc.publicAddress,
          pushInstall: command.ksc.pushInstall ? { username: command.ksc.pushInstall.username } : undefined,
        },
        license: command.license ? { ...command.license } : undefined,
        // Plain data after validation (class instances would carry no secrets, but keep the JSON exact).
        deployment: command.deployment ? (JSON.parse(JSON.stringify(command.deployment)) as SiteDeployment) : undefined,
      },
      credentials: {
        integrationServer: this.cipher.seal(command.integrationServer.password, aad(command.id, 'integration-server')),
        ksc: this.cipher.seal(command.ksc.password, aad(command.id, 'ksc')),
        ...(command.ksc.pushInstall
          ? { pushInstall: this.cipher.seal(command.ksc.pushInstall.password, aad(command.id, 'push-install')) }
          : {}),
      },
      source,
    };
    await this.uow.run(async () => {
      await this.sites.upsert(record);
      // A changed site is checked again soon (a REST registration is also checked right away).
      await this.preflights.markDue(command.id);
      if (insecure) {
        this.logger.warn(
          { siteId: command.id, actor: actor?.subject ?? source },
          'site registered with TLS verification switched off',
        );
        await this.audit.record({
          actor: actor?.subject ?? `config:${source}`,
          roles: actor?.roles ?? [],
          via: actor?.via ?? 'config',
          action: 'site.tls-verification-off',
          target: command.id,
          outcome: 200,
          sourceIp: null,
          correlationId: RequestContext.current()?.correlationId ?? null,
        });
      }
    });
    // After the commit: a read meanwhile may have cached the connection as it was.
    this.own.delete(command.id);
    return (await this.sites.findById(command.id))!;
  }

  /**
   * A site's connection with its decrypted credentials: for another service (`reader`) read and
   * audited every time; for this process's own clients reused for OWN_CONNECTION_TTL_MS.
   */
  async connection(siteId: string, reader?: { service: string; sourceIp: string | null }): Promise<SiteConnection> {
    if (!reader) {
      const hit = this.own.get(siteId);
      if (hit && Date.now() - hit.at < OWN_CONNECTION_TTL_MS) return hit.site;
    }
    const site = await this.build(siteId, reader);
    if (!reader) this.own.set(siteId, { at: Date.now(), site });
    return site;
  }

  private async build(siteId: string, reader?: { service: string; sourceIp: string | null }): Promise<SiteConnection> {
    const s = await this.sites.findById(siteId);
    // Reads by another service are audited; this service's own clients read in-process.
    if (reader)
      await this.audit.record({
        actor: `service:${reader?.service ?? 'unknown'}`,
        roles: [],
        via: 'service-token',
        action: 'site.credentials.read',
        target: siteId,
        outcome: s ? 200 : 404,
        sourceIp: reader?.sourceIp ?? null,
        correlationId: RequestContext.current()?.correlationId ?? null,
      });
    if (!s) throw new DomainError(TenantErrorCode.SiteUnknown, `site ${siteId} is not registered`);
    return {
      id: s.id,
      name: s.name,
      maxVirtualServers: s.maxVirtualServers,
      license: s.connection.license,
      deployment: s.connection.deployment,
      integrationServer: {
        ...s.connection.integrationServer,
        password: this.cipher.open(s.credentials.integrationServer, aad(s.id, 'integration-server')),
      },
      ksc: {
        ...s.connection.ksc,
        password: this.cipher.open(s.credentials.ksc, aad(s.id, 'ksc')),
        pushInstall:
          s.connection.ksc.pushInstall && s.credentials.pushInstall
            ? {
                username: s.connection.ksc.pushInstall.username,
                password: this.cipher.open(s.credentials.pushInstall, aad(s.id, 'push-install')),
              }
            : undefined,
      },
    } as SiteConnection;
  }

  /** What admins see: everything but credentials, plus how many virtual servers are taken (within the caller's sites). */
  async list(viewer?: Principal) {
    const preflights = await this.preflights.all();
    return (await this.sites.list())
      .filter((s) => inSiteScope(viewer, s.id))
      .map((s) => {
        const p = preflights.get(s.id);
        const foreign = p?.foreignVirtualServers ?? 0;
        const free = freeVirtualServers({ maxVirtualServers: s.maxVirtualServers, placed: s.placedTenants, foreign });
        return {
          id: s.id,
          name: s.name,
          enabled: s.enabled,
          kscConfigured: s.kscConfigured,
          eligible: s.enabled && s.kscConfigured && p?.status !== 'failed' && free > 0,
          maxVirtualServers: s.maxVirtualServers,
          placedTenants: s.placedTenants,
          freeVirtualServers: free,
          otherVirtualServers: foreign,
          integrationServer: {
            url: s.connection.integrationServer.url,
            username: s.connection.integrationServer.username,
            addressForAgents: s.connection.integrationServer.addressForAgents,
            agentPort: s.connection.integrationServer.agentPort ?? DEFAULT_INTEGRATION_SERVER_AGENT_PORT,
          },
          ksc: {
            url: s.connection.ksc.url,
            username: s.connection.ksc.username,
            publicAddress: s.connection.ksc.publicAddress,
            // The account's name only: its password is write-only, like the other site credentials.
            pushInstall: s.connection.ksc.pushInstall ? { username: s.connection.ksc.pushInstall.username } : undefined,
          },
          license: s.connection.license,
          deployment: s.connection.deployment,
          preflight: p?.status ? toPreflightView(p) : null,
          source: s.source,
          updatedAt: s.updatedAt,
        };
      });
  }

  /** One site as admins see it (NOT_FOUND outside the caller's sites, as for an unknown id). */
  async view(id: string, viewer?: Principal) {
    const site = (await this.list(viewer)).find((s) => s.id === id);
    if (!site) throw new DomainError(PlatformErrorCode.NotFound, `site ${id} is not registered`);
    return site;
  }

  async setFlags(
    id: string,
    flags: { enabled?: boolean; kscConfigured?: boolean; maxVirtualServers?: number },
    actor?: Principal,
  ): Promise<void> {
    if (!(await this.sites.findById(id)) || !inSiteScope(actor, id))
      throw new DomainError(TenantErrorCode.SiteUnknown, `site ${id} is not registered`);
    await this.uow.run(async () => {
      if (flags.enabled !== undefined) await this.sites.setEnabled(id, flags.enabled);
      if (flags.kscConfigured !== undefined) await this.sites.setKscConfigured(id, flags.kscConfigured);
      if (flags.maxVirtualServers !== undefined) await this.sites.setMaxVirtualServers(id, flags.maxVirtualServers);
      // Re-enabled or declared configured again: checked at the next tick rather than after the interval.
      if (flags.enabled === true || flags.kscConfigured === true) await this.preflights.markDue(id);
    });
    this.own.delete(id);
  }
}
