
import { IsBoolean, IsOptional } from 'class-validator';
import { SiteConnection } from '@tpo/site-directory';

/** Body of `POST /v1/sites` and one entry of SITES_FILE (after secret references are resolved). */
export class RegisterSiteCommand extends SiteConnection {
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  /**
   * Whether the site's Integration Server has its KSC connection configured (deployment step 1).
   * A site without it is not eligible for placement; it is also cleared automatically when a
   * create task fails with KSC_ServiceNotConfigured.
   */
  @IsOptional()
  @IsBoolean()
  kscConfigured?: boolean;
}

export class SetSiteFlagsCommand {
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @IsOptional()
  @IsBoolean()
  kscConfigured?: boolean;
}

