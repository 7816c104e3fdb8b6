import { Transform } from 'class-transformer';
import { IsInt, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { StepServiceEnv } from '@tpo/site-directory';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));

/** Environment of agent-install-service; validated at boot (a bad or missing variable stops the process). */
export class AgentInstallServiceEnv extends StepServiceEnv {
  /**
   * How long one KSC task (reconnection, remote installation) may run before the devices still
   * pending or running are cancelled and reported failed. Counted from RunTask, across restarts.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(86_400_000)
  KSC_TASK_DEADLINE_MS = 1_800_000;

  /**
   * Cap of the plain backoff between task-statistics polls (first poll after 40 ms, growing by half).
   * Once tasks of a kind have been seen, polls follow their learned duration instead, and a long
   * task's pause may grow past this (a quarter of the time already waited): see PollSchedule.
   */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(300_000)
  KSC_TASK_POLL_INTERVAL_MS = 5000;

  /**
   * After a successful reconnection the Network Agent waits KLNAG_TASK_RECONNECTION_TIMEOUT and then
   * restarts connected to the vAS (ksc-openapi.md §3.3): how long we wait for it to show up there.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  KSC_VAS_ARRIVAL_DEADLINE_MS = 600_000;

  /** KLNAG_TASK_RECONNECTION_TIMEOUT sent with the reconnection task (the vendor default is 60 s). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  KSC_RECONNECTION_TIMEOUT_MS = 60_000;

  /** How long retranslating one package into the vAS may take (RetranslateToVServerAsync). */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  KSC_PACKAGE_DEADLINE_MS = 600_000;

  /** Case-insensitive part of the main server's Network Agent installation package name. */
  @IsString()
  @MinLength(3)
  @MaxLength(200)
  NETWORK_AGENT_PACKAGE_NAME = 'Network Agent';

  /** Case-insensitive part of the main server's Light Agent installation package name. */
  @IsString()
  @MinLength(3)
  @MaxLength(200)
  LIGHT_AGENT_PACKAGE_NAME = 'Light Agent';
}
