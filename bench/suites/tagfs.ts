import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newEntityId } from '@causeway/runtime';
import { command } from '@causeway/runtime/cqrs';
import {
  AddFile,
  catalogMediator,
  catalogSystem,
  TagFile,
} from '../../examples/tag-file-storage/src/catalog.ts';
import { collect, importFiles } from '../../examples/tag-file-storage/src/cli.ts';
import { matchFiles, parseTagExpression } from '../../examples/tag-file-storage/src/expression.ts';
import { defaultStoreUrl, openCatalog } from '../../examples/tag-file-storage/src/session.ts';
import { measureRate, type Suite } from '../harness.ts';

const IMPORT_FILES = Number(process.env['TAGFS_BENCH_IMPORT_FILES'] ?? 10_000);
const FIND_FILES = Number(process.env['TAGFS_BENCH_FIND_FILES'] ?? 10_000);
const QUERIES = ['photos and 2024 and not private', '(photos or music) and not 2023', 'private'];
const TAGS = ['photos', 'music', '2023', '2024', 'private'];

/** The tags of file `i`: a fixed spread, so every query matches a share of the files. */
function tagsOf(i: number): string[] {
  return TAGS.filter((_, k) => (i >> k) % 2 === 1 || (i + k) % 5 === 0);
}

function writeFolder(dir: string, count: number): void {
  for (let i = 0; i < count; i++) {
    const sub = join(dir, String(i % 100).padStart(2, '0'));
    if (i < 100) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}.txt`), `small file ${i}\n`);
  }
}

/**
 * tagfs: `import` (files/s adding a folder of small files, through the CLI's import into the
 * default file store, fsync per commit) and `find` (queries/s of tag expressions on the tag
 * index), each beside what a user without tagfs would reach for: `cp` plus `sha256sum` and a
 * sidecar `.tags` file per file, and `grep -l` over those sidecars joined with `comm`.
 */
export const tagfsSuite: Suite = {
  name: 'tagfs',
  description:
    'tagfs: importing small files and finding by tag expression, beside grep over sidecars',
  async run(recorder) {
    const root = mkdtempSync(join(tmpdir(), 'tagfs-bench-'));
    try {
      const source = join(root, 'source');
      writeFolder(source, IMPORT_FILES);
      const files = collect(source);
      let run = 0;
      let data = '';
      recorder.progress(`import: ${IMPORT_FILES} files per sample`);
      const tagfsImport = await measureRate(
        async () => {
          const catalog = await openCatalog({ data, store: defaultStoreUrl(data) });
          try {
            await importFiles(catalog, files, { user: 'bench', why: 'bench' });
          } finally {
            await catalog.close();
          }
        },
        IMPORT_FILES,
        { samples: 5, warmup: 1, before: () => void (data = join(root, `data-${run++}`)) },
      );
      recorder.record('import', 'tagfs', 'files/s', tagfsImport);
      const baselineImport = await measureRate(
        () => {
          const target = join(root, `plain-${run++}`);
          execFileSync('bash', [
            '-c',
            `set -e; mkdir -p "$1"; cp -r "$2" "$1/files"; cd "$1"; find files -type f -print0 | xargs -0 sha256sum > manifest; find files -type f -print0 | xargs -0 -I{} sh -c ': > "$1.tags"' _ {}`,
            '_',
            target,
            source,
          ]);
        },
        IMPORT_FILES,
        { samples: 5, warmup: 1 },
      );
      recorder.record('import', 'baseline', 'files/s', baselineImport);

      recorder.progress(`find: ${FIND_FILES} files, ${QUERIES.length} expressions`);
      const mediator = catalogMediator(catalogSystem());
      await mediator.start();
      const sidecars = join(root, 'sidecars');
      mkdirSync(sidecars);
      const ids: string[] = [];
      for (let i = 0; i < FIND_FILES; i += 500) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(500, FIND_FILES - i) }, (_, k) =>
            mediator.send(
              command(AddFile, newEntityId(), {
                name: `f${i + k}`,
                hash: `${i + k}`,
                size: 1,
                why: '',
              }),
            ),
          ),
        );
        ids.push(...batch.map((b) => b.id));
      }
      const tag = (i: number): Promise<unknown> => {
        const newTags: Record<string, string> = {};
        for (const t of TAGS) newTags[t] = newEntityId();
        return mediator.send(command(TagFile, ids[i]!, { tags: tagsOf(i), newTags, why: '' }));
      };
      // The first files one by one, so every tag exists before the batches.
      for (let i = 0; i < 32; i++) await tag(i);
      for (let i = 32; i < FIND_FILES; i += 500)
        await Promise.all(
          Array.from({ length: Math.min(500, FIND_FILES - i) }, (_, k) => tag(i + k)),
        );
      for (let i = 0; i < FIND_FILES; i++)
        writeFileSync(
          join(sidecars, `f${i}.tags`),
          tagsOf(i)
            .map((t) => `${t}\n`)
            .join(''),
        );
      const state = mediator.system.state;
      const rounds = 200;
      const tagfsFind = await measureRate(() => {
        for (let r = 0; r < rounds; r++)
          for (const q of QUERIES)
            matchFiles(q, parseTagExpression(q), state.index, () => Object.keys(state.files));
      }, rounds * QUERIES.length);
      recorder.record('find', 'tagfs', 'queries/s', tagfsFind);
      // The sidecar user's translation of the three expressions into grep, sort and comm.
      const scripts = [
        'comm -12 <(grep -lx photos *.tags | sort) <(grep -lx 2024 *.tags | sort) | comm -23 - <(grep -lx private *.tags | sort)',
        'sort -u <(grep -lx photos *.tags) <(grep -lx music *.tags) | comm -23 - <(grep -lx 2023 *.tags | sort)',
        'grep -lx private *.tags',
      ];
      const baselineFind = await measureRate(
        () => {
          for (const script of scripts)
            execFileSync('bash', ['-c', `cd "$1" && ${script} > /dev/null`, '_', sidecars]);
        },
        scripts.length,
        { samples: 5, warmup: 1 },
      );
      recorder.record('find', 'baseline', 'queries/s', baselineFind);
      await mediator.system.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
};
