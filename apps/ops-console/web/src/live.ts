import { Api } from './api.js';

export interface LiveEvent {
  type: string;
  tenantId: string;
  siteId?: string;
  step?: string;
  attempt?: number;
  operation?: boolean;
  time?: string;
}

export interface LiveHandlers {
  onEvent(e: LiveEvent): void;
  /** The stream (re)connected: anything missed while away should be re-read. */
  onConnected(): void;
  onDisconnected(): void;
  /** The token expired or was refused: back to sign-in with this message. */
  onSignedOut(message: string): void;
}

/** Splits a server-sent-events body into (event, data) pairs; keeps the unfinished tail. */
export function parseSse(buffer: string): { events: { event: string; data: string }[]; rest: string } {
  const blocks = buffer.split('\n\n');
  const rest = blocks.pop() ?? '';
  const events = blocks
    .map((block) => {
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      return { event, data: data.join('\n') };
    })
    .filter((e) => e.data !== '');
  return { events, rest };
}

/**
 * Follows `/api/events` (server-sent events read with fetch, so the credential travels in a header,
 * never in the URL) and reconnects after a drop. Returns a function that stops it.
 */
export function followLiveEvents(api: Api, handlers: LiveHandlers): () => void {
  const abort = new AbortController();
  const run = async () => {
    while (!abort.signal.aborted) {
      try {
        const res = await fetch('/api/events', {
          headers: { accept: 'text/event-stream', ...api.headers() },
          signal: abort.signal,
          cache: 'no-store',
        });
        if (res.status === 401) {
          const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
          return handlers.onSignedOut(body.error?.message ?? 'your session is no longer valid; sign in again');
        }
        if (!res.ok || !res.body) throw new Error(String(res.status));
        handlers.onConnected();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const parsed = parseSse(buffer + value);
          buffer = parsed.rest;
          for (const e of parsed.events) {
            if (e.event === 'expired') return handlers.onSignedOut((JSON.parse(e.data) as { message: string }).message);
            if (e.event === 'tenant') handlers.onEvent(JSON.parse(e.data) as LiveEvent);
          }
        }
      } catch {
        if (abort.signal.aborted) return;
      }
      handlers.onDisconnected();
      await new Promise((r) => setTimeout(r, 2000));
    }
  };
  void run();
  return () => abort.abort();
}
