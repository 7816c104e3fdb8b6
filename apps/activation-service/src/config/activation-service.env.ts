import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { StepServiceEnv } from '@tpo/site-directory';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));

/** Environment of activation-service; validated at boot (a bad or missing variable stops the process). */
export class ActivationServiceEnv extends StepServiceEnv {
  /** How long the activation task may take on the Integration Server. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  ACTIVATION_TASK_DEADLINE_MS = 300_000;
}
