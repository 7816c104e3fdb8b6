import { latestClosedPeriod, summarizeReport } from './report-period';

describe('report periods and figures', () => {
  it('takes the last whole UTC day that ended an hour ago', () => {
    expect(latestClosedPeriod(new Date('2026-12-01T00:30:00Z'), 86_400, 3600)).toEqual({
      from: new Date('2026-11-29T00:00:00Z'),
      to: new Date('2026-11-30T00:00:00Z'),
    });
    expect(latestClosedPeriod(new Date('2026-12-01T01:00:00Z'), 86_400, 3600)).toEqual({
      from: new Date('2026-11-30T00:00:00Z'),
      to: new Date('2026-12-01T00:00:00Z'),
    });
  });

  it('short periods for tests, aligned on whole seconds', () => {
    expect(latestClosedPeriod(new Date('2026-12-01T00:00:07.500Z'), 5, 0)).toEqual({
      from: new Date('2026-12-01T00:00:00Z'),
      to: new Date('2026-12-01T00:00:05Z'),
    });
  });

  it('counts rows and distinct VMs of the vendor CSV (no header, CRLF), with the content hash', () => {
    const csv = Buffer.from(
      '7f3c2a9e-1b44-4c0e-9d7a-52a1c9e0b001;Acme;4210A1B2-c3d4-e5f6-0718-293a4b5c6d7e;web-01;2024-03-02T10:05:00;2024-03-02T18:30:00\r\n' +
        '7f3c2a9e-1b44-4c0e-9d7a-52a1c9e0b001;Acme;4210a1b2-c3d4-e5f6-0718-293a4b5c6d7e;web-01;2024-03-03T07:59:00;2024-03-04T00:00:00\r\n' +
        '7f3c2a9e-1b44-4c0e-9d7a-52a1c9e0b001;Acme;9b8a7c6d-5e4f-3a2b-1c0d-ffeeddccbbaa;db-01;2024-03-02T00:00:00;2024-03-04T00:00:00\r\n',
    );
    expect(summarizeReport(csv)).toMatchObject({
      rows: 3,
      protectedVms: 2,
      bytes: csv.length,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(summarizeReport(Buffer.alloc(0))).toMatchObject({ rows: 0, protectedVms: 0, bytes: 0 });
  });
});
