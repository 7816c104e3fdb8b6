import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tpo/persistence';

export type LicenseAlertKind = 'expiring' | 'limit-reached';

/** The only code that touches `license_alert`: which alerts were raised, so each is sent once per crossing. */
@Injectable()
export class LicenseAlertRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /** Records the alert; false when it was already raised (then nothing is sent again). */
  async raise(siteId: string, kind: LicenseAlertKind, subject: string, detail?: object): Promise<boolean> {
    const rows: unknown[] = await this.uow
      .manager()
      .query(
        `INSERT INTO license_alert (site_id, kind, subject, detail) VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT DO NOTHING RETURNING subject`,
        [siteId, kind, subject, detail ? JSON.stringify(detail) : null],
      );
    return rows.length === 1;
  }

  /** The condition is gone (e.g. usage back under the limit): the next crossing alerts again. */
  async clear(siteId: string, kind: LicenseAlertKind, subject: string): Promise<void> {
    await this.uow
      .manager()
      .query(`DELETE FROM license_alert WHERE site_id = $1 AND kind = $2 AND subject = $3`, [siteId, kind, subject]);
  }
}
