import { Writable } from 'node:stream';
import { RequestContext } from '../context/request-context';
import { createLogger } from './logger';

function captured() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, logger: createLogger('test-service', 'info', sink) };
}

describe('createLogger', () => {
  it('redacts passwords, authorization headers and Kaspersky request bodies', () => {
    const { lines, logger } = captured();
    logger.info(
      {
        password: 'S3cret!',
        vKsc: { user: { password: 'S3cret!' } },
        req: { headers: { authorization: 'Basic bXVsdGl0ZW5hbmN5OlMzY3JldCE=' } },
        requestBody: '<tenant><vKsc><user><password>UzNjcmV0IQ==</password></user></vKsc></tenant>',
      },
      'calling the Integration Server',
    );
    expect(lines.join('')).not.toMatch(/S3cret|bXVsdGl0ZW5hbmN5|UzNjcmV0IQ/);
    expect(lines.join('')).toMatch(/\[REDACTED\]/);
  });

  it('writes JSON with the service name and the correlation id of the work in scope', () => {
    const { lines, logger } = captured();
    RequestContext.run({ correlationId: 'corr-42', causationId: 'evt-1' }, () => logger.info('inside'));
    const line = JSON.parse(lines[0]);
    expect(line).toMatchObject({
      service: 'test-service',
      correlationId: 'corr-42',
      causationId: 'evt-1',
      level: 'info',
      msg: 'inside',
    });
  });
});
