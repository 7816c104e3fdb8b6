import { Client } from 'pg';
import { testDatabaseUrl } from '../support/test-env';

describe('per-service database roles', () => {
  let svmConfig: Client;

  beforeAll(async () => {
    svmConfig = new Client({ connectionString: testDatabaseUrl('svm-config-service') });
    await svmConfig.connect();
  });

  afterAll(() => svmConfig?.end());

  it("one service's role cannot read or write another service's tables", async () => {
    await expect(svmConfig.query('SELECT * FROM tenant.outbox LIMIT 1')).rejects.toThrow(
      /permission denied for schema tenant/,
    );
    await expect(svmConfig.query('SELECT * FROM activation.inbox LIMIT 1')).rejects.toThrow(
      /permission denied for schema activation/,
    );
    await expect(svmConfig.query('CREATE TABLE tenant.intruder (id int)')).rejects.toThrow(/permission denied/);
  });

  it('works only in its own schema, which its search_path points at', async () => {
    const [{ schema }] = (await svmConfig.query('SELECT current_schema() AS schema')).rows;
    expect(schema).toBe('svm_config');
    await expect(svmConfig.query('SELECT count(*) FROM outbox')).resolves.toBeDefined();
    await expect(svmConfig.query('CREATE TABLE public.intruder (id int)')).rejects.toThrow(/permission denied/);
  });
});
