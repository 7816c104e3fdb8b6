import { Api, PlatformError } from './api.js';
import { h, replace } from './dom.js';
import { followLiveEvents } from './live.js';
import { Session } from './types.js';
import { DeadLettersView } from './views/dead-letters.view.js';
import { renderSignIn } from './views/sign-in.view.js';
import { SitesView } from './views/sites.view.js';
import { TenantsView } from './views/tenants.view.js';

const KEY = 'tpo-console-credential';
const app = document.getElementById('app')!;
const who = document.getElementById('who')!;
const banner = document.getElementById('banner')!;
let stopLive: (() => void) | undefined;

/** The platform's message (code, text, field paths), never a stack trace. */
function showError(e: unknown): void {
  if (e instanceof PlatformError && e.status === 401) return; // already back at sign-in, with the message
  const err =
    e instanceof PlatformError
      ? e
      : new PlatformError('something went wrong in the page; reload it', 0, 'CONSOLE_ERROR');
  const close = h('button', { type: 'button', class: 'link' }, 'dismiss');
  close.addEventListener('click', () => (banner.hidden = true));
  replace(
    banner,
    h('b', {}, err.code ?? `HTTP ${err.status}`),
    `: ${err.message}`,
    err.details.length ? h('ul', {}, ...err.details.map((d) => h('li', {}, d))) : '',
    ' ',
    close,
  );
  banner.hidden = false;
}

function signOut(message?: string): void {
  stopLive?.();
  stopLive = undefined;
  sessionStorage.removeItem(KEY);
  replace(who);
  banner.hidden = true;
  renderSignIn(app, message, (credential) => {
    sessionStorage.setItem(KEY, credential);
    void start(credential);
  });
}

async function start(credential: string): Promise<void> {
  let signedOut = false;
  const api = new Api(credential, (message) => {
    if (signedOut) return;
    signedOut = true;
    signOut(message);
  });
  let session: Session;
  try {
    session = await api.get<Session>('/api/session');
  } catch (e) {
    if (!(e instanceof PlatformError && e.status === 401))
      signOut(e instanceof PlatformError ? e.message : 'the console cannot be reached');
    return;
  }
  const live = h('span', { id: 'live', class: 'live off' }, 'connecting');
  const out = h('button', { type: 'button', class: 'link' }, 'sign out');
  out.addEventListener('click', () => signOut('Signed out.'));
  replace(
    who,
    h('span', {}, `${session.subject} · ${session.roles.join(', ')}${session.canAct ? '' : ' (read only)'}`),
    ' ',
    live,
    ' ',
    out,
  );
  const tenants = new TenantsView(api, session, showError);
  const sites = new SitesView(api);
  const letters = new DeadLettersView(api, session, showError);
  replace(app, tenants.element, sites.element, letters.element);
  const loadAll = () => Promise.all([tenants.load(), sites.load(), letters.load()]).catch(showError);
  await loadAll();
  let siteRefresh: number | undefined;
  // Dead letters and license use also change without a tenant event: look again every 15 s.
  const periodic = window.setInterval(() => void Promise.all([sites.load(), letters.load()]).catch(showError), 15_000);
  const stopEvents = followLiveEvents(api, {
    onEvent: (e) => {
      tenants.changed(e.tenantId, e);
      // Placement, activation and dead letters move with the same events; refresh those views gently.
      window.clearTimeout(siteRefresh);
      siteRefresh = window.setTimeout(() => void Promise.all([sites.load(), letters.load()]).catch(showError), 1000);
    },
    onConnected: () => {
      live.className = 'live on';
      live.textContent = 'live';
      void loadAll(); // whatever happened while disconnected
    },
    onDisconnected: () => {
      live.className = 'live off';
      live.textContent = 'reconnecting';
    },
    onSignedOut: (message) => {
      if (signedOut) return;
      signedOut = true;
      signOut(message);
    },
  });
  stopLive = () => {
    stopEvents();
    tenants.dispose();
    window.clearInterval(periodic);
    window.clearTimeout(siteRefresh);
  };
}

window.addEventListener('unhandledrejection', (e) => {
  e.preventDefault();
  showError(e.reason);
});

const saved = sessionStorage.getItem(KEY);
if (saved) void start(saved);
else signOut();
