import { useEffect, useRef, type ReactNode } from 'react';

const SHORTCUTS: readonly (readonly [string, string])[] = [
  ['← / →', 'step back / forward one event'],
  ['↑ / ↓', 'move in the focused list or tree'],
  ['Home / End', 'first / last event'],
  ['Space', 'play / pause'],
  ['f', 'follow live'],
  ['/', 'search (state on the State panel, else events)'],
  ['1 – 6', 'State, Event, Entity, Path history, Divergence, Activities'],
  ['→ / ← in the state tree', 'open / close a branch'],
  ['Enter in the state tree', "open the value's path history"],
  ['Esc', 'leave a field, close this'],
  ['?', 'show / hide these shortcuts'],
];

/** The keyboard shortcuts, as a dialog. */
export function ShortcutsHelp(props: { readonly onClose: () => void }): ReactNode {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  return (
    <dialog ref={dialog} className="dialog" aria-label="Keyboard shortcuts" onClose={props.onClose}>
      <h2 className="section-title">Keyboard</h2>
      <table className="grid shortcuts">
        <tbody>
          {SHORTCUTS.map(([keys, what]) => (
            <tr key={keys}>
              <td>
                <kbd>{keys}</kbd>
              </td>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form method="dialog">
        <button type="submit" className="button">
          Close
        </button>
      </form>
    </dialog>
  );
}
