import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '@causeway/adapters/file';
import { header, LogBuilder } from '../../../test/conformance/fixtures.ts';
import { readContents, removeDir, tempDir } from './file-fixtures.ts';

// Inputs journaled with `syncWithCommit` wait for the commit that follows them, to share its
// write and its sync; these tests hold that they are never lost when no commit comes.
describe('file store inputs journaled to ride on a commit', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await tempDir();
  });

  afterEach(async () => {
    await removeDir(dir);
  });

  it('lands them before the commit that follows, in one log', async () => {
    const writer = new FileStore({ dir });
    await writer.open(header());
    const log = new LogBuilder();
    const inputs = log.nextInputs(2);

    await writer.journal(inputs, { syncWithCommit: true });
    log.lastInput += 2;
    const tick = log.nextTick([{ type: 'Created' }]);
    await writer.commit(tick.commit, tick.events);
    const reader = new FileStore({ dir, readOnly: true });
    await reader.open();
    const contents = await readContents(reader);
    await reader.close();
    await writer.close();

    expect(contents.inputs).toEqual(inputs);
    expect(contents.commits).toEqual([tick.commit]);
  });

  it('writes them by the end of the turn when no commit follows', async () => {
    const writer = new FileStore({ dir });
    await writer.open(header());
    const inputs = new LogBuilder().nextInputs(3);

    await writer.journal(inputs, { syncWithCommit: true });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const reader = new FileStore({ dir, readOnly: true });
    await reader.open();
    const seen = await reader.readInputs(0, 10);
    await reader.close();
    await writer.close();

    expect(seen).toEqual(inputs);
  });

  it('writes them on close when the store closes before any commit', async () => {
    const writer = new FileStore({ dir });
    await writer.open(header());
    const inputs = new LogBuilder().nextInputs(2);

    await writer.journal(inputs, { syncWithCommit: true });
    await writer.close();
    const reader = new FileStore({ dir, readOnly: true });
    await reader.open();
    const seen = await reader.readInputs(0, 10);
    await reader.close();

    expect(seen).toEqual(inputs);
  });
});
