// The web console (console/, built by `npm run build:console` into dist/console/): its files are
// served at / from this server only, under a policy that lets the page load nothing from
// elsewhere. Without a build, / answers 503 saying how to make one.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler } from 'express';

export const CONSOLE_DIRECTORY = fileURLToPath(new URL('../../dist/console/', import.meta.url));

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export function consoleAssets(directory = CONSOLE_DIRECTORY): RequestHandler {
  const serve = express.static(directory, {
    redirect: false,
    setHeaders: (response, path) => {
      response.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
      response.set('X-Content-Type-Options', 'nosniff');
      // Vite names assets by their content hash; index.html must be read afresh.
      response.set(
        'Cache-Control',
        path.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
      );
    },
  });
  return (request, response, next) => {
    const isPageRequest = request.method === 'GET' || request.method === 'HEAD';
    if (!isPageRequest || request.path.startsWith('/v1/')) {
      next();
      return;
    }
    if (request.path === '/' && !existsSync(join(directory, 'index.html'))) {
      response
        .status(503)
        .type('text/plain')
        .send('The console is not built: run `npm run build:console`, then reload this page.\n');
      return;
    }
    serve(request, response, next);
  };
}
