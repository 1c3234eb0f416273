import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { ExportedTest } from '../../protocol/index.ts';
import { useAgent } from '../data/agent.tsx';

/**
 * Export a range as a test: the inputs of ticks `from..to` become a given/when/then test file
 * on the runtime's testing kit, which reproduces them and then guards against regressions.
 */
export function ExportDialog(props: {
  readonly tick: number;
  readonly onClose: () => void;
}): ReactNode {
  const client = useAgent();
  const dialog = useRef<HTMLDialogElement>(null);
  const [from, setFrom] = useState(String(Math.max(1, props.tick)));
  const [to, setTo] = useState(String(Math.max(1, props.tick)));
  const [name, setName] = useState('');
  const [result, setResult] = useState<ExportedTest | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  const exportRange = (event: FormEvent): void => {
    event.preventDefault();
    setError(null);
    const fromTick = Number(from);
    const toTick = Number(to);
    if (
      !Number.isInteger(fromTick) ||
      !Number.isInteger(toTick) ||
      fromTick < 1 ||
      toTick < fromTick
    ) {
      setError(
        `Ticks ${from}..${to} are not a range: give whole numbers, from at least 1, to not below from.`,
      );
      return;
    }
    const run = async (): Promise<ExportedTest> => {
      const before =
        fromTick > 1
          ? (await client.call('commits', { afterTick: fromTick - 2, limit: 1 })).commits[0]
          : undefined;
      const last = (await client.call('commits', { afterTick: toTick - 1, limit: 1 })).commits[0];
      if (last === undefined) throw new Error(`Tick ${toTick} is not in the log.`);
      const fromInput = (before?.lastInput ?? 0) + 1;
      if (last.lastInput < fromInput)
        throw new Error(
          `Ticks ${fromTick}..${toTick} consumed no input: there is nothing to replay.`,
        );
      const params = { fromInput, toInput: last.lastInput };
      return client.call(
        'exportTest',
        name.trim() === '' ? params : { ...params, name: name.trim() },
      );
    };
    run().then(setResult, (err: unknown) =>
      setError(err instanceof Error ? err.message : String(err)),
    );
  };
  const download = (): void => {
    if (result === null) return;
    const url = URL.createObjectURL(new Blob([result.source], { type: 'text/typescript' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = result.fileName;
    link.click();
    URL.revokeObjectURL(url);
  };
  return (
    <dialog
      ref={dialog}
      className="dialog wide"
      aria-label="Export a range as a test"
      onClose={props.onClose}
    >
      <h2 className="section-title">Export ticks as a test</h2>
      <form className="panel-toolbar" onSubmit={exportRange}>
        <label>
          from tick{' '}
          <input
            className="text-input mono narrow"
            value={from}
            onChange={(e) => setFrom(e.target.value)}
            aria-label="From tick"
          />
        </label>
        <label>
          to tick{' '}
          <input
            className="text-input mono narrow"
            value={to}
            onChange={(e) => setTo(e.target.value)}
            aria-label="To tick"
          />
        </label>
        <input
          className="text-input"
          placeholder="test name (optional)"
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-label="Test name"
        />
        <button type="submit" className="button primary">
          Export
        </button>
      </form>
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {result !== null && (
        <>
          <p className="muted small">
            <span className="mono">{result.fileName}</span>: inputs {result.fromInput}–
            {result.toInput} over {result.ticks} tick
            {result.ticks === 1 ? '' : 's'}
          </p>
          <pre className="source mono" data-testid="exported-test" tabIndex={0}>
            {result.source}
          </pre>
          <div className="panel-toolbar">
            <button
              type="button"
              className="button"
              onClick={() => void navigator.clipboard?.writeText(result.source)}
            >
              Copy
            </button>
            <button type="button" className="button" onClick={download}>
              Download
            </button>
          </div>
        </>
      )}
      <form method="dialog" className="dialog-close">
        <button type="submit" className="button">
          Close
        </button>
      </form>
    </dialog>
  );
}
