import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';
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
  /** Virtual Administration Servers this platform may place on the site (the KSC limit is 500). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(500)
  maxVirtualServers?: number;

  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @IsOptional()
  @IsBoolean()
  kscConfigured?: boolean;
}
