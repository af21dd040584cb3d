// The BullMQ queue board (@bull-board) for the platform operator's admin keys only: every
// queue's jobs, failures and retries, as the operator's staff would look at them in a browser.
// A browser sends no Bearer header on navigation, so the board also takes the key as the
// password of HTTP Basic authentication (any user name): the browser asks for it once and sends
// it with every page and API call of the board. Nothing on the page loads from elsewhere: the
// Content-Security-Policy keeps the board's web-font link from leaving our server.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Router, type RequestHandler } from 'express';
import { requireOperatorAdmin } from '../domain/organizations.js';
import type { Database } from '../infra/db.js';
import { Forbidden } from '../infra/errors.js';
import type { QueueViews } from '../infra/queues.js';
import { authenticate, principalOf, type PrincipalCache } from './auth.js';

export const QUEUE_BOARD_PATH = '/admin/queues';

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** `Authorization: Basic base64(<anything>:<key>)` is taken as `Bearer <key>`. */
const basicAsBearer: RequestHandler = (request, response, next) => {
  response.set('WWW-Authenticate', 'Basic realm="ClaimChain queue board", charset="UTF-8"');
  const basic = /^Basic\s+([A-Za-z0-9+/=]{1,1024})$/i.exec(request.header('authorization') ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const key = decoded.slice(decoded.indexOf(':') + 1);
    request.headers.authorization = `Bearer ${key}`;
  }
  next();
};

/**
 * A browser sends Basic credentials with any request to the board, a forged one from another
 * site included: a request that changes something must come from the board's own page.
 */
const sameOriginChanges: RequestHandler = (request, _response, next) => {
  if (request.method === 'GET' || request.method === 'HEAD') return next();
  const site = request.header('sec-fetch-site');
  const origin = request.header('origin');
  const crossSite =
    (site !== undefined && site !== 'same-origin') ||
    (origin !== undefined && origin.replace(/^https?:\/\//, '') !== request.header('host'));
  if (crossSite) throw new Forbidden('the queue board takes changes only from its own page');
  next();
};

const operatorAdminOnly: RequestHandler = (_request, response, next) => {
  requireOperatorAdmin(principalOf(response));
  response.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  response.set('Cache-Control', 'no-store');
  next();
};

export function queueBoard(database: Database, cache: PrincipalCache, queues: QueueViews): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUE_BOARD_PATH);
  const board = createBullBoard({
    queues: [],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'ClaimChain queues' } },
  });
  // The queues open their Redis work on first use: an API nobody asks for the board has none.
  let shown = false;
  const showQueues: RequestHandler = (_request, _response, next) => {
    if (!shown) board.replaceQueues(queues.all().map((queue) => new BullMQAdapter(queue)));
    shown = true;
    next();
  };
  const router = Router();
  router.use(
    basicAsBearer,
    authenticate(database, cache),
    operatorAdminOnly,
    sameOriginChanges,
    showQueues,
    serverAdapter.getRouter() as RequestHandler,
  );
  return router;
}
