import { MultiBar, Presets, SingleBar } from 'cli-progress';
import { seconds } from '../output';
import { TimelineEntry, VmCounts } from '../tenant-view';
import { WatchSnapshot } from './tenant-watch';

const STATE: Record<TimelineEntry['status'], string> = {
  pending: 'pending',
  running: 'running',
  succeeded: 'done',
  failed: 'FAILED',
};

export function vmText(c: VmCounts | undefined): string {
  if (!c) return '';
  return `VMs ${c.succeeded}/${c.total} done${c.inProgress ? `, ${c.inProgress} in progress` : ''}${c.failed ? `, ${c.failed} failed` : ''}`;
}

/** One line per step state change (pipes, logs, CI): `[3/6] install-agents running VMs 1/3 done  2.1 s`. */
export class LineRenderer {
  private readonly printed = new Map<string, string>();

  constructor(private readonly write: (line: string) => void) {}

  update(s: WatchSnapshot): void {
    const total = s.tenant.timeline.length;
    s.tenant.timeline.forEach((step, i) => {
      if (step.status === 'pending') return;
      const vms = vmText(s.vms[step.step]);
      const key = `${step.status}|${vms}`;
      if (this.printed.get(step.step) === key) return;
      this.printed.set(step.step, key);
      const time = step.status === 'running' ? '' : seconds(step.startedAt, step.endedAt);
      const failure = step.status === 'failed' ? `  ${step.errorCode}: ${step.errorMessage}` : '';
      this.write(
        `[${i + 1}/${total}] ${step.step.padEnd(15)} ${STATE[step.status].padEnd(8)} ${vms.padEnd(24)} ${time}${failure}`.trimEnd(),
      );
    });
  }

  stop(): void {}
}

/** A progress bar per step on a terminal (stderr), with per-VM counts and elapsed time. */
export class BarRenderer {
  private readonly multi = new MultiBar(
    {
      format: ' {step} |{bar}| {state} {vms} {elapsed}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      barsize: 16,
      autopadding: true,
      stream: process.stderr,
    },
    Presets.shades_classic,
  );
  private readonly bars = new Map<string, SingleBar>();

  update(s: WatchSnapshot): void {
    for (const step of s.tenant.timeline) {
      const counts = s.vms[step.step];
      const total = counts?.total ?? 1;
      const value = step.status === 'succeeded' ? total : counts ? counts.succeeded + counts.failed : 0;
      const payload = {
        step: step.step.padEnd(15),
        state: STATE[step.status].padEnd(7),
        vms: vmText(counts).padEnd(22),
        elapsed: seconds(step.startedAt, step.endedAt),
      };
      const bar = this.bars.get(step.step);
      if (!bar) this.bars.set(step.step, this.multi.create(total, value, payload));
      else {
        bar.setTotal(total);
        bar.update(value, payload);
      }
    }
  }

  stop(): void {
    this.multi.stop();
  }
}
