import { KscHandlers } from './method-types';

/** Session.StartSession is answered by the HTTP layer (it authenticates); these need a session. */
export const sessionMethods: KscHandlers = {
  'Session.EndSession': (ctx) => {
    ctx.protocol.sessions.end(ctx.session.token);
    return {};
  },
  'Session.Ping': () => ({}),
};
