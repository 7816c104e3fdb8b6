import { BackbonePingHops1764201700000 } from '@tpo/diagnostics';
import { StepRuns1765100000001, StepTables1764500000000 } from '@tpo/steps';
import { ReleaseTasks1765400000000 } from './1765400000000-release-tasks';

/** This service's migrations, in order (the shared messaging and job tables come first, from the kit). */
export const SERVICE_MIGRATIONS = [
  BackbonePingHops1764201700000,
  StepTables1764500000000,
  StepRuns1765100000001,
  ReleaseTasks1765400000000,
];
