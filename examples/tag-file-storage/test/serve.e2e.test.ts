import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { finished, startTagfs, tagfs, waitForOutput, type Run } from './cli-process.ts';

let dir: string;
let server: ChildProcess | null = null;
let serverRun: Promise<Run> | null = null;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tagfs-serve-'));
  writeFileSync(join(dir, 'a.jpg'), 'a');
  writeFileSync(join(dir, 'b.jpg'), 'b');
  writeFileSync(join(dir, 'c.jpg'), 'c');
  await tagfs(dir, 'add', 'a.jpg', 'b.jpg', 'c.jpg');
  await tagfs(dir, 'tag', 'a.jpg', 'photos');
  await tagfs(dir, 'tag', 'b.jpg', 'photos', 'private');
});

afterEach(async () => {
  if (server !== null) {
    server.kill('SIGINT');
    const ended = await serverRun;
    expect(ended?.code).toBe(0);
    server = null;
  }
  rmSync(dir, { recursive: true, force: true });
});

async function serve(): Promise<{ url: string; token: string }> {
  server = startTagfs(dir, ['serve', '--port', '0']);
  serverRun = finished(server);
  const match = await waitForOutput(server.stdout!, /GraphQL: (\S+)\nToken for ada[^\n]*\n(\S+)\n/);
  return { url: match[1]!, token: match[2]! };
}

async function post(
  url: string,
  query: string,
  token: string | null,
): Promise<{
  status: number;
  body: { data?: unknown; errors?: { extensions?: { code?: string; reason?: string } }[] };
}> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as never };
}

describe('tagfs serve', () => {
  it('answers a paged find with the printed token', async () => {
    const { url, token } = await serve();

    const first = await post(
      url,
      '{ files(find: "photos", first: 1) { edges { node { name tags } } pageInfo { hasNextPage endCursor } } }',
      token,
    );

    expect(first.status).toBe(200);
    expect(first.body.data).toMatchObject({
      files: {
        edges: [{ node: { name: 'a.jpg', tags: ['photos'] } }],
        pageInfo: { hasNextPage: true },
      },
    });
  });

  it('refuses a request without a token with 401 and CW_UNAUTHENTICATED', async () => {
    const { url } = await serve();

    const response = await post(url, '{ files { edges { node { name } } } }', null);

    expect(response.status).toBe(401);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('CW_UNAUTHENTICATED');
  });

  it('tags through a mutation, and refuses an unknown file with its reason', async () => {
    const { url, token } = await serve();

    const tagged = await post(url, 'mutation { tag(file: "c.jpg", tags: ["2024"]) }', token);
    const unknown = await post(url, 'mutation { tag(file: "nope.jpg", tags: ["x"]) }', token);
    const found = await post(url, '{ files(find: "2024") { edges { node { name } } } }', token);

    expect(tagged.body.data).toEqual({ tag: ['2024'] });
    expect(unknown.body.errors?.[0]?.extensions).toMatchObject({ reason: 'UNKNOWN_FILE' });
    expect(found.body.data).toEqual({ files: { edges: [{ node: { name: 'c.jpg' } }] } });
  });

  it('makes a second tagfs writing the same catalog exit 3 with the lock holder named', async () => {
    await serve();

    const second = await tagfs(dir, 'tag', 'c.jpg', 'late');

    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(/lock/i);
  });

  it('reads (ls, find, history) beside a running serve, and sees what it committed', async () => {
    const { url, token } = await serve();
    const tagged = await post(url, 'mutation { tag(file: "c.jpg", tags: ["live"]) }', token);

    const listed = await tagfs(dir, 'ls');
    const found = await tagfs(dir, 'find', 'live');
    const history = await tagfs(dir, 'history', 'c.jpg');
    const write = await tagfs(dir, 'tag', 'c.jpg', 'late');
    const after = await post(
      url,
      '{ files(find: "live") { edges { node { name tags } } } }',
      token,
    );

    expect(tagged.body.data).toEqual({ tag: ['live'] });
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(listed.stdout).toContain('c.jpg\tlive\n');
    expect(found).toMatchObject({ code: 0, stdout: 'c.jpg\n' });
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/FileTagged +tags=live/);
    expect(write.code).toBe(3);
    expect(after.body.data).toEqual({
      files: { edges: [{ node: { name: 'c.jpg', tags: ['live'] } }] },
    });
  });
});
