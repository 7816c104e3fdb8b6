import { Injectable } from '@nestjs/common';
import { DomainError } from '@tpo/platform';
import { UnitOfWork } from '@tpo/persistence';
import { EnvelopeCipher } from '@tpo/secrets';
import { SiteRepository } from '../../sites/site.repository';
import { TenantErrorCode } from '../tenant-errors';
import { TenantSecretRepository } from '../tenant-secret.repository';
import { TenantRepository } from '../tenant.repository';
import { secretAad } from './create-tenant.job';

export const CHANGE_PASSWORD_ADVICE =
  'Sign in to the virtual Administration Server with this account and change its password now. This password is shown once and is no longer stored by the platform.';

export interface RevealedCredentials {
  tenantId: string;
  adminAccountName: string;
  password: string;
  administrationServer: { address: string; virtualServerName: string; connectionString: string };
  advice: string;
}

/**
 * The one-time reveal of a tenant admin's initial password: decrypt, crypto-shred (the sealed value
 * is deleted in the same transaction), record who and when. Afterwards, or after the reveal window
 * expired, the answer is 410 Gone.
 */
@Injectable()
export class RevealCredentialsUseCase {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly tenants: TenantRepository,
    private readonly secrets: TenantSecretRepository,
    private readonly sites: SiteRepository,
    private readonly cipher: EnvelopeCipher,
  ) {}

  async execute(tenantId: string, actor: string): Promise<RevealedCredentials> {
    const result = await this.uow.run(async (): Promise<RevealedCredentials | 'expired'> => {
      const t = await this.tenants.findById(tenantId);
      if (!t) throw new DomainError(TenantErrorCode.TenantNotFound, `tenant ${tenantId} not found`);
      if (t.status !== 'ready')
        throw new DomainError(
          TenantErrorCode.TenantNotReady,
          `tenant ${tenantId} is not ready yet (${t.status}, step ${t.currentStep})`,
        );
      const secret = await this.secrets.find(t.id, true);
      if (!secret?.sealed)
        throw new DomainError(
          TenantErrorCode.CredentialsGone,
          `the initial password of tenant ${tenantId} was already revealed or destroyed`,
        );
      if (secret.revealExpiresAt && secret.revealExpiresAt < new Date()) {
        await this.secrets.destroy(t.id, 'reveal window expired');
        return 'expired'; // committed before answering 410
      }
      const password = this.cipher.open(secret.sealed, secretAad(t.id));
      await this.secrets.markRevealed(t.id, actor);
      const site = await this.sites.findById(t.siteId);
      const address = site?.connection.ksc.publicAddress ?? 'unknown';
      const vasName = t.virtualServerName ?? t.name;
      return {
        tenantId: t.id,
        adminAccountName: t.adminAccountName,
        password,
        administrationServer: { address, virtualServerName: vasName, connectionString: `${address}/${vasName}` },
        advice: CHANGE_PASSWORD_ADVICE,
      };
    });
    if (result === 'expired') {
      throw new DomainError(
        TenantErrorCode.CredentialsGone,
        `the reveal window of tenant ${tenantId} expired; the password was destroyed and must be reset`,
      );
    }
    return result;
  }
}
