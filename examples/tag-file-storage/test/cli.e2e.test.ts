import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '@causeway/adapters';
import { finished, startTagfs, tagfs, waitForOutput } from './cli-process.ts';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tagfs-e2e-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(path: string, content: string): void {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), content);
}

/** Every `FileAdded` name in the catalog's log, read from the store itself. */
async function addedNames(): Promise<string[]> {
  const store = await openStore(`file:${join(dir, '.tagfs', 'catalog')}`, { readOnly: true });
  await store.open();
  const names: string[] = [];
  try {
    for (let from: number | null = 1; from !== null;) {
      const page = await store.readEvents({ type: 'FileAdded', fromSeq: from, limit: 5000 });
      for (const e of page.items) names.push((e.data as { name: string }).name);
      from = page.next;
    }
  } finally {
    await store.close();
  }
  return names;
}

describe('tagfs, the command line', () => {
  it('adds, tags, finds, renames, removes and shows a history', async () => {
    write('pics/beach.jpg', 'sand');
    write('pics/2023/snow.jpg', 'snow');
    write('notes.txt', 'sand');

    const add = await tagfs(dir, 'add', 'pics', 'notes.txt');
    await tagfs(dir, 'tag', 'pics/beach.jpg', 'photos', '2024');
    await tagfs(dir, 'tag', 'pics/2023/snow.jpg', 'photos');
    await tagfs(dir, 'tag', 'notes.txt', '2024', 'private');
    const found = await tagfs(dir, 'find', '(photos or private) and 2024 and not private');
    const renamed = await tagfs(dir, '--why', 'clearer name', 'rename', 'notes.txt', 'todo.txt');
    const removed = await tagfs(dir, 'rm', 'pics/2023/snow.jpg');
    const listed = await tagfs(dir, 'ls');
    const history = await tagfs(dir, 'history', 'todo.txt');

    expect(add).toMatchObject({ code: 0, stdout: 'Added 3 files.\n' });
    expect(readdirSync(join(dir, '.tagfs', 'blobs')).length).toBe(2);
    expect(found).toMatchObject({ code: 0, stdout: 'pics/beach.jpg\n' });
    expect(renamed.code).toBe(0);
    expect(removed.code).toBe(0);
    expect(listed.stdout).toBe('pics/beach.jpg\t2024,photos\ntodo.txt\t2024,private\n');
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/FileAdded +name=notes\.txt/);
    expect(history.stdout).toMatch(/FileTagged +tags=2024,private/);
    expect(history.stdout).toMatch(
      /FileRenamed +from=notes\.txt to=todo\.txt\n {4}by ada, why: clearer name\n {4}caused by command RenameFile /,
    );
  });

  it('points at the offending token of a malformed expression and exits 1', async () => {
    write('a.txt', 'a');
    await tagfs(dir, 'add', 'a.txt');
    await tagfs(dir, 'tag', 'a.txt', 'photos');

    const run = await tagfs(dir, 'find', 'photos and or 2024');

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('expected a tag, "not" or "(" at column 12, found "or"');
    expect(run.stderr).toContain('  photos and or 2024\n             ^^\n');
    expect(run.stdout).toBe('');
  });

  it('prints names and reasons with control characters escaped, one file a line', async () => {
    // Arrange: a name holding a line break and a name holding a terminal escape sequence.
    write('in/two\nlines.txt', 'a');
    write('in/red\u001b[31m.txt', 'b');
    await tagfs(dir, 'add', 'in');
    // Act
    const listed = await tagfs(dir, 'ls');
    await tagfs(dir, '--why', 'wipe\u001b[2J', 'tag', 'in/red\u001b[31m.txt', 'red');
    const history = await tagfs(dir, 'history', 'in/red\u001b[31m.txt');
    const found = await tagfs(dir, 'find', 'red');
    // Assert
    expect(listed.stdout).toBe('in/red\\u001b[31m.txt\t\nin/two\\nlines.txt\t\n');
    expect(history.stdout).toContain('why: wipe\\u001b[2J');
    expect(history.stdout).not.toContain('\u001b');
    expect(found.stdout).toBe('in/red\\u001b[31m.txt\n');
  });

  it('lists an empty catalog on a fresh folder without creating anything', async () => {
    const listed = await tagfs(dir, 'ls');

    expect(listed).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(existsSync(join(dir, '.tagfs'))).toBe(false);
  });

  it('refuses a missing file with exit 1 and adds none of the others', async () => {
    write('a.txt', 'a');

    const run = await tagfs(dir, 'add', 'a.txt', 'missing.txt');
    const listed = await tagfs(dir, 'ls');

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Cannot add "missing.txt": no such file or folder');
    expect(listed.stdout).toBe('');
  });

  it('refuses an unknown file and an unknown tag with exit 1 and changes nothing', async () => {
    write('a.txt', 'a');
    await tagfs(dir, 'add', 'a.txt');

    const unknownFile = await tagfs(dir, 'tag', 'b.txt', 'photos');
    const unknownTag = await tagfs(dir, 'untag', 'a.txt', 'photos');
    const unknownInFind = await tagfs(dir, 'find', 'photos');
    const listed = await tagfs(dir, 'ls', '--tags');

    expect(unknownFile.code).toBe(1);
    expect(unknownFile.stderr).toContain('Unknown file "b.txt"');
    expect(unknownTag.code).toBe(1);
    expect(unknownTag.stderr).toContain('[UNKNOWN_TAG]');
    expect(unknownInFind.code).toBe(1);
    expect(unknownInFind.stderr).toContain('Unknown tag "photos" at column 1');
    expect(listed.stdout).toBe('');
  });

  it('refuses a second name for a different content with exit 1', async () => {
    write('a/x.txt', 'one');
    write('b/x.txt', 'two');
    await tagfs(dir, 'add', 'a/x.txt');

    const run = await tagfs(dir, 'add', 'b/x.txt');

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('[DUPLICATE_NAME]');
    expect((await tagfs(dir, 'ls')).stdout).toBe('x.txt\t\n');
  });

  it('refuses an unreadable folder with exit 1 and adds nothing', async () => {
    write('pics/a.jpg', 'a');
    write('pics/locked/b.jpg', 'b');
    chmodSync(join(dir, 'pics', 'locked'), 0o000);
    // Root reads any folder: run the CLI as nobody, who may write the catalog but not read it.
    const nobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : null;
    if (nobody !== null) chmodSync(dir, 0o777);

    const run = await finished(startTagfs(dir, ['add', 'pics'], nobody));
    chmodSync(join(dir, 'pics', 'locked'), 0o755);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Cannot read the folder');
    expect(run.stderr).toContain('nothing was added');
    expect(readdirSync(dir)).not.toContain('.tagfs');
  });

  it('refuses two files that would get the same name with exit 1 and adds neither', async () => {
    write('a/x.txt', 'one');
    write('b/x.txt', 'two');

    const run = await tagfs(dir, 'add', 'a/x.txt', 'b/x.txt');

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Two files would both be named "x.txt" in the catalog');
    expect(readdirSync(dir)).not.toContain('.tagfs');
  });

  it('adds a file given twice in one command once', async () => {
    write('a.txt', 'a');

    const run = await tagfs(dir, 'add', 'a.txt', 'a.txt');

    expect(run).toMatchObject({ code: 0, stdout: 'Added 1 file.\n' });
    expect(await addedNames()).toEqual(['a.txt']);
  });

  it('refuses a folder holding a name that is not UTF-8 with exit 1 and adds nothing', async () => {
    write('pics/a.jpg', 'a');
    writeFileSync(Buffer.from(join(dir, 'pics', 'b\xff.jpg'), 'latin1'), 'b');

    const run = await tagfs(dir, 'add', 'pics');

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('its name is not valid UTF-8');
    expect(run.stderr).toContain('nothing was added');
    expect(readdirSync(dir)).not.toContain('.tagfs');
  });

  it('refuses an unknown option with exit 2 instead of ignoring it, and removes nothing', async () => {
    write('a.txt', 'a');
    await tagfs(dir, 'add', 'a.txt');

    const run = await tagfs(dir, 'rm', '--dry-run', 'a.txt');

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Unknown option "--dry-run"');
    expect((await tagfs(dir, 'ls')).stdout).toBe('a.txt\t\n');
  });

  it("refuses another command's option with exit 2", async () => {
    const run = await tagfs(dir, 'find', '--tags', 'photos');

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--tags is an option of ls, not of find.');
  });

  it('refuses an option given twice with exit 2 rather than dropping one of its values', async () => {
    write('a.txt', 'a');

    const run = await tagfs(dir, '--why', 'first', '--why', 'second', 'add', 'a.txt');

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--why is given twice ("first" and "second"); give it once.');
    expect(readdirSync(dir)).not.toContain('.tagfs');
  });

  it('refuses an empty user with exit 2 and a hint', async () => {
    write('a.txt', 'a');

    const run = await tagfs(dir, '--user', '', 'add', 'a.txt');

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('give a name with --user <name>');
    expect(readdirSync(dir)).not.toContain('.tagfs');
  });

  it('refuses a data folder that is a file with exit 1, naming it and what to pass', async () => {
    write('a.txt', 'a');
    write('notes.txt', 'my notes');

    const add = await tagfs(dir, '--data', 'notes.txt', 'add', 'a.txt');
    const listed = await tagfs(dir, '--data', 'notes.txt', 'ls');
    const nested = await tagfs(dir, '--data', 'notes.txt/tagfs', 'add', 'a.txt');

    for (const run of [add, listed, nested]) {
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `${JSON.stringify(join(dir, 'notes.txt'))} is a file, not a folder`,
      );
      expect(run.stderr).toContain('--data <folder>');
      expect(run.stderr).not.toContain('ENOTDIR');
    }
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('my notes');
  });

  it('renames a file to its own name as a no-op: exit 0, and no event written', async () => {
    write('a.txt', 'a');
    await tagfs(dir, 'add', 'a.txt');

    const run = await tagfs(dir, 'rename', 'a.txt', 'a.txt');
    const history = await tagfs(dir, 'history', 'a.txt');

    expect(run).toMatchObject({
      code: 0,
      stdout: 'a.txt is already named a.txt; nothing changed.\n',
    });
    expect(history.stdout).not.toContain('FileRenamed');
  });

  it('removes a file named twice in one rm once, with exit 0', async () => {
    write('a.txt', 'a');
    write('b.txt', 'b');
    await tagfs(dir, 'add', 'a.txt', 'b.txt');

    const run = await tagfs(dir, 'rm', 'a.txt', 'a.txt');

    expect(run).toMatchObject({ code: 0, stdout: 'removed a.txt\n', stderr: '' });
    expect((await tagfs(dir, 'ls')).stdout).toBe('b.txt\t\n');
  });

  it('refuses a path that is not a regular file or folder (a FIFO) with exit 1 instead of waiting on it', async () => {
    write('a.txt', 'a');
    execFileSync('mkfifo', [join(dir, 'pipe')]);

    const run = await tagfs(dir, 'add', 'a.txt', 'pipe');

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'Cannot add "pipe": it is a FIFO (named pipe), not a regular file or a folder',
    );
    expect(readdirSync(dir)).not.toContain('.tagfs');
  }, 20_000);

  it('refuses a --port that is not a port number with exit 2 before opening the catalog', async () => {
    const runs = await Promise.all([
      tagfs(dir, 'serve', '--port', ''),
      tagfs(dir, 'serve', '--port', '70000'),
      tagfs(dir, 'serve', '--port', '0x10'),
    ]);

    expect(runs.map((r) => r.code)).toEqual([2, 2, 2]);
    expect(runs[1]?.stderr).toContain('--port 70000 is not a port number (0 to 65535).');
    expect(runs[0]?.stderr).toContain('--port "" is not a port number (0 to 65535).');
    expect(readdirSync(dir)).not.toContain('.tagfs');
  });

  it('prints usage and exits 2 for an unknown command', async () => {
    const run = await tagfs(dir, 'frobnicate');

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Unknown command "frobnicate"');
  });
});

describe('tagfs serve, stopped by a service manager', () => {
  it('closes the catalog on SIGTERM with exit 0, so the next command writes to it at once', async () => {
    write('a.txt', 'alpha');
    expect((await tagfs(dir, 'add', 'a.txt')).code).toBe(0);
    const child = startTagfs(dir, ['serve', '--port', '0']);
    const run = finished(child);
    await waitForOutput(child.stdout!, /GraphQL: http:\/\/[^\s]+\/graphql\n/);
    child.kill('SIGTERM');
    const stopped = await run;

    write('b.txt', 'beta');
    const added = await tagfs(dir, 'add', 'b.txt');

    expect(stopped.signal).toBeNull();
    expect(stopped.code).toBe(0);
    expect(added.code).toBe(0);
    expect((await tagfs(dir, 'ls')).stdout).toMatch(/a\.txt[\s\S]*b\.txt/);
  });
});

describe('tagfs, a long import', () => {
  const count = 3000;

  beforeEach(() => {
    for (let i = 0; i < count; i++) write(`big/${String(i).padStart(5, '0')}.txt`, `file ${i}`);
  });

  it('resumes after SIGKILL mid-import with every file exactly once', async () => {
    const child = startTagfs(dir, ['add', 'big']);
    const run = finished(child);
    await waitForOutput(child.stderr!, /\n[1-9]\d*\/3000 files\n/);
    child.kill('SIGKILL');
    const killed = await run;
    const before = (await addedNames()).length;

    const resumed = await tagfs(dir, 'add', 'big');
    const names = await addedNames();

    expect(killed.signal).toBe('SIGKILL');
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(count);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/already in the catalog/);
    expect(names).toHaveLength(count);
    expect(new Set(names).size).toBe(count);
    expect((await tagfs(dir, 'ls')).stdout.trim().split('\n')).toHaveLength(count);
  });

  it('stops on SIGINT with exit 130 and a resume hint, then finishes on a re-run', async () => {
    const child = startTagfs(dir, ['add', 'big']);
    const run = finished(child);
    await waitForOutput(child.stderr!, /\n[1-9]\d*\/3000 files\n/);
    child.kill('SIGINT');
    const interrupted = await run;

    const resumed = await tagfs(dir, 'add', 'big');
    const names = await addedNames();

    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toMatch(/Interrupted: \d+ of 3000 files are in the catalog/);
    expect(resumed.code).toBe(0);
    expect(names).toHaveLength(count);
    expect(new Set(names).size).toBe(count);
  });
});
