import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));

/** Environment of the simulator; validated at start like every service's. */
export class SimulatorEnv {
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(50)
  SIM_SITES = 1;

  @IsOptional()
  @IsString()
  SIM_HOST = '127.0.0.1';

  /** Site k's Integration Server listens on SIM_IS_PORT + k (the vendor default is 7271). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65000)
  SIM_IS_PORT = 7271;

  /** Site k's KSC Open API listens on SIM_KSC_PORT + k (the vendor default is 13299). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65000)
  SIM_KSC_PORT = 13299;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  SIM_ADMIN_PORT = 7399;

  @IsIn(['self-signed', 'off'])
  SIM_TLS: 'self-signed' | 'off' = 'self-signed';

  /** Optional JSON file: per-site kscConfigured, assumptions and faults (deploy/simulator/*.json). */
  @IsOptional()
  @IsString()
  SIM_CONFIG?: string;

  /** Password of the `multitenancy` account on every simulated Integration Server. */
  @IsString()
  @MinLength(8)
  SIM_IS_PASSWORD!: string;

  @IsString()
  @MinLength(1)
  SIM_KSC_USER = 'svc-onboard';

  @IsString()
  @MinLength(8)
  SIM_KSC_PASSWORD!: string;

  /** Push-install account every simulated site's VMs accept (defaults: SEED_PUSH_INSTALL_ACCOUNT). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  SIM_PUSH_INSTALL_USER?: string;

  @IsOptional()
  @IsString()
  @MinLength(8)
  SIM_PUSH_INSTALL_PASSWORD?: string;

  /** Where the generated certificate and the endpoint list are written for clients to trust/use. */
  @IsOptional()
  @IsString()
  SIM_STATE_DIR = '.local/simulator';
}
