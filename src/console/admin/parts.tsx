import type { Child } from 'hono/jsx';
import { CsrfField } from '../layout.js';

// The pieces every administration page is built of.

/** A value to publish or keep, with the button that copies it (console.js, `data-copy`). */
export const Copyable = (props: { id: string; text: string; label: string }) => (
  <>
    <code id={props.id}>{props.text}</code>{' '}
    <button type="button" class="secondary" data-copy={props.id} aria-label={props.label}>
      Copy
    </button>
  </>
);

/** A table with a header row; `label` names it for screen readers (or `labelledBy` a heading's id). */
export const Table = (props: { label?: string; labelledBy?: string; columns: (string | false)[]; children?: Child }) => (
  <table aria-label={props.label} aria-labelledby={props.labelledBy}>
    <thead>
      <tr>
        {props.columns
          .filter((c): c is string => c !== false)
          .map((c) => (
            <th scope="col">{c}</th>
          ))}
      </tr>
    </thead>
    <tbody>{props.children}</tbody>
  </table>
);

/**
 * A one-button form that changes something (CSRF token, hidden fields). `label` is the visible
 * text; `name` the accessible name, which starts with it (axe: label-content-name-mismatch).
 */
export const RowAction = (props: { action: string; token: string; label: string; name: string; fields?: Record<string, string> }) => (
  <form method="post" action={props.action}>
    <CsrfField token={props.token} />
    {Object.entries(props.fields ?? {}).map(([k, v]) => (
      <input type="hidden" name={k} value={v} />
    ))}
    <button type="submit" class="secondary" aria-label={props.name}>
      {props.label}
    </button>
  </form>
);

/** The link back to a section's list. */
export const Back = (props: { href: string; label: string }) => (
  <p>
    <a href={props.href}>{props.label}</a>
  </p>
);
