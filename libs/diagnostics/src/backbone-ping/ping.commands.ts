import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { SERVICE_NAMES, ServiceName } from '@tpo/contracts';

export const DEFAULT_PING_ROUTE: ServiceName[] = [
  'svm-config-service',
  'agent-install-service',
  'registration-service',
  'activation-service',
  'tenant-service',
];

/** Body of `POST /v1/backbone/pings`. */
export class StartPingCommand {
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @IsIn(SERVICE_NAMES, { each: true })
  route?: ServiceName[];

  @IsOptional()
  @IsString()
  @MaxLength(200)
  note?: string;
}
