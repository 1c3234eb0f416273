import type { ReactNode } from 'react';
import { childrenOf, isBranch, kindOf, previewOf } from '../../state-tree/tree-rows.ts';

const MAX_NODES = 2000;

/**
 * A small value (a payload, a component) printed in full as an indented, coloured tree. For
 * values that can be large, the state panel's virtualised tree is used instead.
 */
export function ValueView(props: { readonly value: unknown; readonly label?: string }): ReactNode {
  let budget = MAX_NODES;
  const render = (value: unknown, key: string | number | null, depth: number): ReactNode => {
    budget--;
    const kind = kindOf(value);
    const label =
      key === null ? null : (
        <>
          <span className="state-key">{key}</span>
          <span className="colon">: </span>
        </>
      );
    if (!isBranch(kind)) {
      return (
        <div className="value-line" style={{ paddingLeft: depth * 14 }} key={String(key)}>
          {label}
          <span className={`kind-${kind}`}>{previewOf(value)}</span>
        </div>
      );
    }
    const children = childrenOf(value);
    const [open, close] = kind === 'array' ? ['[', ']'] : ['{', '}'];
    if (children.length === 0 || budget <= 0) {
      return (
        <div className="value-line" style={{ paddingLeft: depth * 14 }} key={String(key)}>
          {label}
          <span className="muted">
            {children.length === 0 ? `${open}${close}` : previewOf(value)}
          </span>
        </div>
      );
    }
    return (
      <div key={String(key)}>
        <div className="value-line" style={{ paddingLeft: depth * 14 }}>
          {label}
          <span className="muted">{open}</span>
        </div>
        {children.map(([k, v]) => (budget > 0 ? render(v, k, depth + 1) : null))}
        <div className="value-line" style={{ paddingLeft: depth * 14 }}>
          <span className="muted">{close}</span>
        </div>
      </div>
    );
  };
  return (
    <div className="value-view mono" aria-label={props.label}>
      {render(props.value, null, 0)}
    </div>
  );
}
