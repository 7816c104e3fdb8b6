import { HttpStatusError, parseRetryAfter } from './errors';

describe('HTTP error helpers', () => {
  it('parses Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString(), Date.now())).toBeGreaterThan(3000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('treats 429 and 5xx as retryable, other 4xx as final', () => {
    expect(new HttpStatusError(429, '', 1000).retryable).toBe(true);
    expect(new HttpStatusError(503, '', undefined).retryable).toBe(true);
    expect(new HttpStatusError(409, '', undefined).retryable).toBe(false);
    expect(new HttpStatusError(404, '', undefined).retryable).toBe(false);
  });
});
