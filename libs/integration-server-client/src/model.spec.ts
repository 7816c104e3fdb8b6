import { listOf, parseTimestamp, taskFrom, taskIdFrom } from './model';
import { parseXml } from './xml-codec';

describe('tolerant parsing of Integration Server answers', () => {
  it('finds the task id in every documented or tolerated 202 shape', () => {
    const id = '5c6b1f0e-2d3a-4e8f-9b1c-0a7d3e4f5a61';
    expect(taskIdFrom(parseXml(`<task id="${id}"><state>Queued</state></task>`), '', undefined)).toBe(id);
    expect(taskIdFrom(parseXml(`<result id="${id}"/>`), '', undefined)).toBe(id);
    expect(taskIdFrom(parseXml(`<taskId>${id}</taskId>`), '', undefined)).toBe(id);
    expect(taskIdFrom(undefined, ` ${id}\n`, undefined)).toBe(id);
    expect(taskIdFrom(undefined, '', `/api/2.0/virtualization/tasks/${id}`)).toBe(id);
    expect(taskIdFrom(undefined, 'accepted', undefined)).toBeUndefined();
  });

  it('reads a failed task with its error code, and treats Cancelled/Stopped as Canceled', () => {
    const failed = taskFrom(
      (
        parseXml(
          '<task id="t1"><state>Failed</state><type>CreateTenant</type><progress>20</progress><error><code>VIRMT_TenantGroupAlreadyExists</code><message>exists</message></error></task>',
        ) as { task: Record<string, unknown> }
      ).task,
    );
    expect(failed).toMatchObject({
      state: 'Failed',
      progress: 20,
      error: { code: 'VIRMT_TenantGroupAlreadyExists', message: 'exists' },
    });
    expect(
      taskFrom((parseXml('<task id="t2"><state>Cancelled</state></task>') as { task: Record<string, unknown> }).task)
        .state,
    ).toBe('Canceled');
    const bare = taskFrom(
      (
        parseXml('<task id="t3"><state>Failed</state><error>KSC_ServiceNotConfigured: no KSC</error></task>') as {
          task: Record<string, unknown>;
        }
      ).task,
    );
    expect(bare.error?.code).toBe('KSC_ServiceNotConfigured');
  });

  it('collects list items whatever the wrapper is called', () => {
    expect(listOf(parseXml('<tenants><tenant id="a"><name>A</name></tenant></tenants>'), 'tenant')).toHaveLength(1);
    expect(
      listOf(
        parseXml('<list><tenant id="a"><name>A</name></tenant><tenant id="b"><name>B</name></tenant></list>'),
        'tenant',
      ),
    ).toHaveLength(2);
    expect(listOf(parseXml('<tenants/>'), 'tenant')).toEqual([]);
  });

  it('reads zone-less timestamps as UTC', () => {
    expect(parseTimestamp('2024-03-01T09:15:02')?.toISOString()).toBe('2024-03-01T09:15:02.000Z');
    expect(parseTimestamp('2024-03-01T09:15:02+02:00')?.toISOString()).toBe('2024-03-01T07:15:02.000Z');
    expect(parseTimestamp('garbage')).toBeUndefined();
  });
});
