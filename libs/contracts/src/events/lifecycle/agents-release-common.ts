import { IsUUID, Matches } from 'class-validator';
import { SITE_ID_PATTERN } from '../../onboarding/naming-rules';

export class AgentsReleaseBase {
  @IsUUID()
  tenantId!: string;

  @Matches(SITE_ID_PATTERN)
  siteId!: string;
}
