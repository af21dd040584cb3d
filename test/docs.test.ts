// The docs cannot drift from the code: every link between them lands on a file and a heading,
// every `npm run` script and CLI command they show exists, and every route they name is one the
// app serves (by its own OpenAPI document). The README's tour itself is run against the demo
// (test/integration/demo.test.ts).
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { promisify } from 'node:util';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, testApp, type TestEnvironment } from './support/environment.js';

function markdownFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

const FILES = ['README.md', ...markdownFiles('docs')];
const text = (file: string) => readFileSync(file, 'utf8');
/** Outside fenced code blocks: what a reader sees as prose, links and tables. */
const prose = (file: string) => text(file).replace(/```[\s\S]*?```/g, '');
const shellBlocks = (file: string) =>
  [...text(file).matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(file: string): Set<string> {
  const headings = [...prose(file).matchAll(/^#+ (.*)$/gm)].map((match) => match[1]!);
  return new Set(
    headings.map((heading) =>
      heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\- ]/gu, '')
        .replaceAll(' ', '-'),
    ),
  );
}

describe('the docs', () => {
  it('link only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const file of FILES) {
      for (const match of prose(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1]!;
        if (/^(https?:|mailto:)/.test(target)) continue;
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const linked = path === '' ? file : normalize(join(dirname(file), path));
        if (!existsSync(linked)) {
          broken.push(`${file}: ${target} (no such file)`);
        } else if (anchor && linked.endsWith('.md') && !anchorsOf(linked).has(anchor)) {
          broken.push(`${file}: ${target} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('show only npm scripts that exist', () => {
    const scripts = Object.keys(
      (JSON.parse(text('package.json')) as { scripts: Record<string, string> }).scripts,
    );
    const shown = FILES.flatMap((file) =>
      shellBlocks(file).flatMap((block) =>
        [...block.matchAll(/npm run (?:--silent )?([\w:-]+)/g)].map((match) => match[1]!),
      ),
    );
    expect(shown.length).toBeGreaterThan(10);
    expect([...new Set(shown)].filter((script) => !scripts.includes(script))).toEqual([]);
  });

  it('show only CLI commands that exist', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--import',
      'tsx',
      'src/cli/main.ts',
      '--help',
    ]);
    const commands = new Set(
      [...stdout.matchAll(/^ {2}([\w-]+)/gm)].map((match) => match[1]!).filter(Boolean),
    );
    const shown = FILES.flatMap((file) =>
      shellBlocks(file).flatMap((block) =>
        [...block.matchAll(/npm run (?:--silent )?cli -- ([\w-]+)/g)].map((match) => match[1]!),
      ),
    );
    expect(shown.length).toBeGreaterThan(10);
    expect([...new Set(shown)].filter((command) => !commands.has(command))).toEqual([]);
  }, 60_000);

  describe('routes', () => {
    let environment: TestEnvironment;
    let app: Express;
    beforeAll(async () => {
      environment = await createTestEnvironment();
      app = testApp(environment);
    });
    afterAll(async () => {
      await environment.close();
    });

    it('name only routes the app serves', async () => {
      const document = (await request(app).get('/openapi.json')).body as {
        paths: Record<string, Record<string, unknown>>;
      };
      // A document path's {param} stands for any one segment ("me", a docs placeholder).
      const served = Object.entries(document.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => ({
          method: method.toUpperCase(),
          segments: path.split('/'),
        })),
      );
      const isServed = (method: string, path: string) =>
        served.some(
          (route) =>
            route.method === method &&
            route.segments.length === path.split('/').length &&
            path
              .split('/')
              .every(
                (segment, index) =>
                  route.segments[index] === segment || /^\{\w+\}$/.test(route.segments[index]!),
              ),
        );
      // The app's routes (a witness's own routes, /add-checkpoint, are its process's, not ours).
      const named = FILES.flatMap((file) =>
        [
          ...prose(file).matchAll(
            /`((?:GET|POST|PUT|DELETE)(?:\/(?:GET|POST|PUT|DELETE))*) (\/v1\/[^`\s?]*)/g,
          ),
        ]
          .filter((match) => !/[…<]/.test(match[2]!))
          .flatMap((match) =>
            match[1]!.split('/').map((method) => ({
              file,
              method,
              path: match[2]!.replace(/\[[^\]]*\]$/, ''),
            })),
          ),
      );
      expect(named.length).toBeGreaterThan(50);
      expect(named.filter(({ method, path }) => !isServed(method, path))).toEqual([]);
    });
  });
});
