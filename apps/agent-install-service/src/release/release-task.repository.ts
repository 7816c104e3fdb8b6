import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tpo/persistence';

/** One VM's device in a release task. */
export interface ReleaseTaskHost {
  biosUuid: string;
  name: string;
  /** KLHST_WKS_HOSTNAME inside the vAS. */
  hostId: string;
  /** Why KSC refused to add the device to the task (AddHostToTask), if it did. */
  refused?: string;
}

/** A KSC task the agent-removal job created for one release (a remove-VMs or deprovision operation). */
export interface ReleaseTask {
  /** `deinstall:<product>` or `reconnection`. */
  key: string;
  taskId: string;
  hosts: ReleaseTaskHost[];
  /** The devices were added to the task (their refusals recorded in `hosts`). */
  attached: boolean;
  /** When RunTask was called (epoch ms): the task deadline counts from here, across restarts. */
  startedAt: number | null;
  /** Set once the task ended: the failure message per BIOS id (an empty object: every device succeeded). */
  outcomes: Record<string, string> | null;
}

/** The only code that touches `release_task`. Writes go through the job's fenced `record`. */
@Injectable()
export class ReleaseTaskRepository {
  constructor(private readonly uow: UnitOfWork) {}

  private get m() {
    return this.uow.manager();
  }

  async ofRelease(tenantId: string, operationId: string): Promise<Map<string, ReleaseTask>> {
    const rows: Record<string, unknown>[] = await this.m.query(
      `SELECT task_key, task_id, hosts, attached, started_at, outcomes FROM release_task
       WHERE tenant_id = $1 AND operation_id = $2 ORDER BY created_at, task_key`,
      [tenantId, operationId],
    );
    return new Map(
      rows.map((r) => [
        r.task_key as string,
        {
          key: r.task_key as string,
          taskId: r.task_id as string,
          hosts: r.hosts as ReleaseTaskHost[],
          attached: r.attached as boolean,
          startedAt: r.started_at === null ? null : Number(r.started_at),
          outcomes: r.outcomes as Record<string, string> | null,
        },
      ]),
    );
  }

  /** Records a task right after Tasks.AddTask returned its id (before anything else is done with it). */
  async created(tenantId: string, operationId: string, task: ReleaseTask): Promise<void> {
    await this.m.query(
      `INSERT INTO release_task (tenant_id, operation_id, task_key, task_id, hosts, attached, started_at, outcomes)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8::jsonb)`,
      [
        tenantId,
        operationId,
        task.key,
        task.taskId,
        JSON.stringify(task.hosts),
        task.attached,
        task.startedAt,
        task.outcomes === null ? null : JSON.stringify(task.outcomes),
      ],
    );
  }

  async update(
    tenantId: string,
    operationId: string,
    key: string,
    patch: Partial<Pick<ReleaseTask, 'hosts' | 'attached' | 'startedAt' | 'outcomes'>>,
  ): Promise<void> {
    await this.m.query(
      `UPDATE release_task SET
         hosts = COALESCE($4::jsonb, hosts),
         attached = COALESCE($5, attached),
         started_at = COALESCE($6, started_at),
         outcomes = COALESCE($7::jsonb, outcomes),
         updated_at = now()
       WHERE tenant_id = $1 AND operation_id = $2 AND task_key = $3`,
      [
        tenantId,
        operationId,
        key,
        patch.hosts === undefined ? null : JSON.stringify(patch.hosts),
        patch.attached ?? null,
        patch.startedAt ?? null,
        patch.outcomes === undefined || patch.outcomes === null ? null : JSON.stringify(patch.outcomes),
      ],
    );
  }
}
